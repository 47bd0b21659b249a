import { finishHotfix } from '../../../git/finish.js';
import { defineCommand } from '../../command.js';

export const finishCommand = defineCommand({
  name: 'finish',
  summary: 'finish a hotfix: tag it and merge it back into the main branch and develop (--no-ff)',
  usage: 'hfx finish [--repo DIR] [--branch B] [--main B] [--json]',
  details: `Like git-flow's \`hotfix finish\`: tags the tip of hotfix/VERSION as VERSION in the style of the
base tag (v1.7.0 → v1.7.1, release-1.7.0 → release-1.7.1; an annotated tag), then merges the branch
into the main branch and into develop when it exists, each with --no-ff, and returns to the branch
you were on. Each step is skipped when already done, so running it again is safe.
On a merge conflict it stops (exit 3, HFX_E_MERGE_CONFLICT) in the merging state: resolve, \`git add\`,
\`git commit\`, and run \`hfx finish\` again to continue. Nothing is pushed and the branch is kept.
Flags:
  --branch B   default: the checked-out hotfix/* branch, or the one whose finish stopped
  --main B     default: main, else master`,
  examples: [
    '$ hfx finish                              # on hotfix/1.7.1: tag v1.7.1, merge into main and develop',
    '$ hfx finish --branch hotfix/1.7.1 --main trunk --json',
  ],
  options: { repo: { type: 'string' }, branch: { type: 'string' }, main: { type: 'string' } },
  args: [],
  async run({ values: v }, { io, out, path }) {
    const r = await finishHotfix({
      repo: path(v.repo ?? io.cwd),
      ...(v.branch ? { branch: v.branch } : {}),
      ...(v.main ? { main: v.main } : {}),
    });
    out.result(r);
    const c = out.c;
    for (const st of r.steps) {
      const done = st.status === 'done';
      const text =
        st.step === 'tag'
          ? done
            ? `tagged ${st.target} at ${st.commit.slice(0, 7)}`
            : `tag ${st.target} already at ${st.commit.slice(0, 7)}`
          : done
            ? `merged ${r.branch} into ${st.target} (--no-ff, ${st.commit.slice(0, 7)})`
            : `${st.target} already has ${r.branch}`;
      out.line(`${done ? c.green('✓') : c.dim('·')} ${text}`);
    }
    if (r.returnedTo === null) out.warn('could not check out the branch you were on');
    else out.line(c.dim(`  on ${r.returnedTo}`));
    for (const p of r.push) out.line(`  next: ${p}`);
    return 0;
  },
});
