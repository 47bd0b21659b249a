import { startHotfix } from '../../../git/start.js';
import { HfxError } from '../../../errors.js';
import { defineCommand } from '../../command.js';

export const startCommand = defineCommand({
  name: 'start',
  summary: 'start a hotfix from git: branch hotfix/VERSION from a release tag and check it out',
  usage: 'hfx start [VERSION] --from TAG [--repo DIR] [--json]',
  details: `Like git-flow's \`hotfix start\`. VERSION defaults to the next patch of the tag (v1.7.0 → 1.7.1,
release-1.7.0 → 1.7.1); a leading v is dropped. The tag is recorded in git config
(branch.hotfix/VERSION.hfx-base) for \`hfx review\`, \`hfx create\` and \`hfx finish\`.
Refused, with nothing changed: uncommitted changes (HFX_E_DIRTY), no such tag (HFX_E_NOT_FOUND),
a branch hotfix/VERSION here or on a remote, or a tag for VERSION already (HFX_E_GIT_STATE).
Flags:
  --from TAG     the release tag to branch from
  --repo DIR     the repository (default: the current directory)`,
  examples: [
    '$ hfx start --from v1.7.0                  # creates and checks out hotfix/1.7.1',
    '$ hfx start 1.7.0.1 --from release-1.7.0 --repo ~/src/product',
  ],
  options: { from: { type: 'string' }, repo: { type: 'string' } },
  args: ['[VERSION]'],
  async run({ values: v, args: [version] }, { io, out, path }) {
    if (v.from === undefined || v.from === '')
      throw new HfxError('HFX_E_USAGE', '--from TAG is required: the release tag to branch from', {
        hint: 'e.g. hfx start --from v1.7.0',
      });
    const r = await startHotfix({
      repo: path(v.repo ?? io.cwd),
      from: v.from,
      ...(version === undefined ? {} : { version }),
    });
    out.result(r);
    out.line(`${out.c.green('✓')} on ${out.c.bold(r.branch)}, from ${r.tag} (${r.tagCommit.slice(0, 7)})`);
    out.line(
      `  cherry-pick the fixes (git cherry-pick -x SHA), then: hfx review --scope GLOB; hfx create …; hfx finish (tags ${r.releaseTag})`,
    );
    return 0;
  },
});
