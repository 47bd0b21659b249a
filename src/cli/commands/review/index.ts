import { HfxError } from '../../../errors.js';
import { reviewHotfix, type ReviewResult } from '../../../git/review.js';
import { commaList, defineCommand } from '../../command.js';
import type { Output } from '../../output.js';

function print(out: Output, r: ReviewResult): void {
  const c = out.c;
  out.line(
    `${c.bold(r.branch)} (${r.commit.slice(0, 7)}) since ${c.bold(r.tag)} (${r.tagCommit.slice(0, 7)}): ${r.commits.length} commit(s); main branch ${r.main}`,
  );
  for (const k of r.commits) {
    const mark = k.merge
      ? c.yellow('merge')
      : k.versionOnly
        ? c.yellow('version only')
        : k.onMain === false
          ? c.yellow('not on ' + r.main)
          : k.onMain
            ? c.green('on ' + r.main)
            : '';
    out.line(`  ${c.dim(k.sha.slice(0, 7))} ${k.subject}${mark ? `  [${mark}]` : ''}`);
    for (const f of k.files) out.line(`      ${f}`);
  }
  if (r.stat.length) out.line(`against ${r.tag}:`);
  const w = Math.min(60, Math.max(0, ...r.stat.map((s) => s.path.length)));
  for (const s of r.stat) {
    const change = s.added === null ? 'Bin' : `${c.green(`+${s.added}`)} ${c.red(`-${s.deleted ?? 0}`)}`;
    out.line(` ${s.path.padEnd(w)} | ${change}`);
  }
  out.line(
    ` ${r.totals.files} file(s) changed, ${r.totals.insertions} insertion(s)(+), ${r.totals.deletions} deletion(s)(-)`,
  );
  for (const x of r.warnings) out.warn(x.message);
  if (r.warnings.length === 0)
    out.line(`${c.green('✓')} no warnings${r.scope.length ? '' : ' (no --scope given: paths not checked)'}`);
}

export const reviewCommand = defineCommand({
  name: 'review',
  summary: 'review a hotfix branch: its commits and files since the tag, with warnings',
  usage: 'hfx review [--repo DIR] [--branch B] [--tag TAG] [--main B] [--scope GLOB]… [--strict] [--json]',
  details: `Lists the commits on the branch since its tag (recorded by \`hfx start\`, else \`git describe --tags\`),
the files each changes, and the diff stat of the branch against the tag. Warns about:
  files outside --scope         the paths this hotfix is meant to touch
  merge commits                 a hotfix branch should hold cherry-picks
  commits not on the main branch  the fix would be lost in the next release; cherry-picks
                                of main's commits are recognised (git patch-id --stable)
  version-only commits          only version lines of package.json, pom.xml, VERSION, …
Flags:
  --branch B      default: the checked-out branch       --tag TAG   the base tag
  --main B        default: main, else master            --strict    exit 7 (HFX_E_REVIEW_WARNINGS) on warnings
  --scope GLOB    repeat or separate with commas. * does not cross /, ** does; a pattern without /
                  matches at any depth (*.java); a directory matches everything under it (src/auth)`,
  examples: [
    '$ hfx review --scope "src/auth/**" --scope "*.md"',
    '$ hfx review --branch hotfix/1.7.1 --strict --json     # in CI: exit 7 on warnings',
  ],
  options: {
    repo: { type: 'string' },
    branch: { type: 'string' },
    tag: { type: 'string' },
    main: { type: 'string' },
    scope: { type: 'string', multiple: true },
    strict: { type: 'boolean' },
  },
  args: [],
  async run({ values: v }, { io, out, path }) {
    const r = await reviewHotfix({
      repo: path(v.repo ?? io.cwd),
      ...(v.branch ? { branch: v.branch } : {}),
      ...(v.tag ? { tag: v.tag } : {}),
      ...(v.main ? { main: v.main } : {}),
      scope: commaList(v.scope),
    });
    print(out, r);
    if (v.strict === true && r.warnings.length > 0) {
      throw new HfxError('HFX_E_REVIEW_WARNINGS', `${r.warnings.length} warning(s) on ${r.branch}`, {
        hint: 'Fix them, or run without --strict to accept them.',
        details: r,
      });
    }
    out.result(r);
    return 0;
  },
});
