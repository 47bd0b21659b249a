import { HfxError } from '../../../errors.js';
import { SEVERITIES } from '../../../engine/index.js';
import { createHotfix, type BuildEvent } from '../../../git/create.js';
import { fmtBytes, type Io, type Output } from '../../output.js';
import { choice, defineCommand, int, str } from '../../command.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** One line per build: a spinner on a terminal, plain lines elsewhere (nothing with --json). */
function buildReporter(io: Io, out: Output): { onBuild: (e: BuildEvent) => void; stop: () => void } {
  const tty = !out.json && !!io.stderr.isTTY;
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (timer) {
      clearInterval(timer);
      timer = undefined;
      out.endProgress();
    }
  };
  return {
    stop,
    onBuild(e) {
      const what = `${e.side} ${e.ref} (${e.commit.slice(0, 7)})`;
      if (e.phase === 'start') {
        if (!tty) {
          out.line(`building ${what}; log: ${e.log}`);
          return;
        }
        const t0 = Date.now();
        let i = 0;
        // Through out.status: the ref is a branch name from the repository, printed neutralised.
        const draw = (): void => {
          out.status(`${FRAMES[i++ % FRAMES.length] ?? ''} building ${what} ${Math.floor((Date.now() - t0) / 1000)}s`);
        };
        draw();
        timer = setInterval(draw, 100);
        timer.unref();
        return;
      }
      stop();
      out.line(`${out.c.green('✓')} built ${what} in ${((e.ms ?? 0) / 1000).toFixed(1)}s`);
    },
  };
}

export const createCommand = defineCommand({
  name: 'create',
  summary: 'build the product at a release tag and at the hotfix branch, and make the hotfix archive',
  usage:
    'hfx create --build "CMD" --output REL_DIR -o FILE.zip --product P --level N [--repo DIR] [--tag TAG] [--branch B] [--sign NAME.key]',
  details: `Checks out the tag and the branch into two \`git worktree\`s in a temp dir (your tree is not
touched), runs CMD with \`sh -c\` in each (HFX_BUILD_SIDE=tag|branch, HFX_BUILD_REF, HFX_BUILD_COMMIT
are set), and makes the archive of the difference of the two --output trees, as \`hfx diff\`.
Build logs go next to the archive: FILE.zip.build-tag.log and FILE.zip.build-branch.log.
The manifest's source records the repository, tag, branch, both commits and the commit list.
Refused, with nothing changed: uncommitted changes (HFX_E_DIRTY); a branch with an upstream that
has unpushed commits (HFX_E_GIT_STATE). A failed build is HFX_E_BUILD, with its log.
Flags:
  --build CMD            the build, e.g. "npm ci && npm run dist"
  --output REL_DIR       the built product tree, relative to the repository (e.g. dist)
  -o, --out FILE.zip     the archive to write
  --product P --level N  what it applies to; --version V defaults to the tag's version (v1.7.0 → 1.7.0)
  --tag TAG              default: the tag recorded by \`hfx start\`, else \`git describe --tags\`
  --branch B             default: the checked-out branch
  --id ID                default: HF-<version>-<level>-<short commit>
  --title T              default: the subject of the branch's last commit
  --description TEXT  --severity S1|S2|S3|S4 (default S2)  --sign NAME.key`,
  examples: [
    '$ hfx create --build "make dist" --output dist -o HF.zip --product acme --level 0 --sign release.key',
    '$ hfx create --repo ~/src/acme --tag v1.7.0 --branch hotfix/1.7.1 --build "./build.sh" --output out/pack \\',
    '      -o out/HF-1.7.0-0-7.zip --product acme --level 0 --id HF-1.7.0-0-7 --title "Fix token expiry"',
  ],
  options: {
    repo: { type: 'string' },
    tag: { type: 'string' },
    branch: { type: 'string' },
    build: { type: 'string' },
    output: { type: 'string' },
    out: { type: 'string', short: 'o' },
    product: { type: 'string' },
    level: { type: 'string' },
    version: { type: 'string' },
    id: { type: 'string' },
    title: { type: 'string' },
    description: { type: 'string' },
    severity: { type: 'string' },
    sign: { type: 'string' },
  },
  args: [],
  async run({ values: v }, { io, out, path }) {
    const severity = choice(v.severity ?? 'S2', SEVERITIES);
    if (!severity) throw new HfxError('HFX_E_USAGE', '--severity must be S1, S2, S3 or S4');
    const opts = {
      repo: path(v.repo ?? io.cwd),
      build: str(v.build, 'build', 'create'),
      output: str(v.output, 'output', 'create'),
      out: path(str(v.out, 'out', 'create')),
      product: str(v.product, 'product', 'create'),
      level: int(v.level, 'level'),
      severity,
      ...(v.tag ? { tag: v.tag } : {}),
      ...(v.branch ? { branch: v.branch } : {}),
      ...(v.version ? { version: v.version } : {}),
      ...(v.id ? { id: v.id } : {}),
      ...(v.title ? { title: v.title } : {}),
      ...(v.description !== undefined ? { description: v.description } : {}),
      ...(v.sign ? { signKey: path(v.sign) } : {}),
    };
    const rep = buildReporter(io, out);
    try {
      const r = await createHotfix({ ...opts, onBuild: rep.onBuild, onProgress: out.progress });
      out.result(r);
      out.line(
        `${out.c.green('✓')} ${r.out}: ${out.c.bold(r.id)} for ${r.version} — ${r.added} added, ${r.modified} modified, ${r.deleted} deleted, ${fmtBytes(r.payloadBytes)} payload`,
      );
      out.line(
        `  ${r.source.commits.length} commit(s) of ${r.source.branch} since ${r.source.tag}; build logs: ${r.logs.tag}, ${r.logs.branch}`,
      );
      out.line(
        r.signed
          ? `  signed by ${r.signed.slice(0, 16)}`
          : out.c.yellow(`  not signed: run \`hfx sign ${r.out} --key NAME.key\``),
      );
      return 0;
    } finally {
      rep.stop();
    }
  },
});
