import { HfxError } from '../../../errors.js';
import { createRelease, gitHead, prepareRelease } from '../../../release/apply.js';
import { readReleaseConfig } from '../../../release/config.js';
import { diffReleases } from '../../../release/diff.js';
import { parseAssignments, type ReleaseChoices } from '../../../release/plan.js';
import { listReleases, readRelease } from '../../../release/store.js';
import { commaList, flags, type Subcommand } from '../../command.js';
import { openPrompt, terminalOf } from '../../prompt.js';
import { releasesDir, subcommand, type ReleaseCommandDeps } from './common.js';
import { printDiff } from './print.js';
import { confirm, promptBase, promptBuilds, promptCommit, promptSets, type Prompter } from './questions.js';

const HELP = 'See `hfx release --help`.';

const NEW_FLAGS = flags({
  base: { type: 'string' },
  version: { type: 'string' },
  build: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  'set-component': { type: 'string', multiple: true },
  notes: { type: 'string' },
  hotfix: { type: 'string', multiple: true },
  channel: { type: 'string', multiple: true },
  commit: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
});

const given = (v: readonly string[] | undefined): boolean => v !== undefined && v.length > 0;

export function releaseNew(deps: ReleaseCommandDeps): Subcommand {
  return subcommand({
    name: 'new',
    summary: 'a draft release made from another: images built or set, components, notes, hotfixes',
    usage:
      '--base V [--version V2] [--build IMG…] [--set IMG=REF…] [--set-component NAME=VER…] [--notes TEXT] [--hotfix ID…] [--channel C…] [--commit SHA] [--yes]',
    details: `The images in --build are built with their command in releases/hfx-release.config.json, those in
--set get the references given. --version defaults to the next patch of V, --commit to
\`git rev-parse HEAD\`, the channels to V's; the hotfix ids are added to V's. Repeat a flag or
separate values with commas. On a terminal, what is missing is asked (which release, which images
to build, which others to change); with --yes or --json, or without a terminal, nothing is asked
and --base is required.`,
    options: NEW_FLAGS,
    async run({ values }, ctx) {
      const { io, out } = ctx;
      const dir = releasesDir(ctx, values);
      const stdin = terminalOf(io);
      const interactive = values.yes !== true && !out.json && (deps.ask !== undefined || stdin !== undefined);
      const terminal = interactive && deps.ask === undefined && stdin ? openPrompt(stdin, io.stdout) : undefined;
      const ask = deps.ask ?? terminal?.ask;
      const p: Prompter | undefined = interactive && ask ? { ask, say: (l) => out.line(l) } : undefined;

      try {
        let base = values.base !== undefined && values.base !== '' ? values.base : undefined;
        if (base === undefined) {
          if (!p)
            throw new HfxError('HFX_E_USAGE', '--base is required', {
              hint: `Without a terminal (or with --yes / --json) hfx asks nothing. ${HELP}`,
            });
          const l = listReleases(dir);
          for (const bad of l.invalid) out.warn(`${bad.file}: ${bad.error.message}`);
          base = await promptBase(p, l.releases);
        }
        const baseManifest = readRelease(dir, base);
        let build = commaList(values.build);
        if (!given(values.build) && p)
          build = await promptBuilds(p, baseManifest, Object.keys(readReleaseConfig(dir)?.images ?? {}));
        let set = parseAssignments(commaList(values.set), 'set');
        if (!given(values.set) && p) set = await promptSets(p, baseManifest, build);
        let commit =
          values.commit !== undefined && values.commit !== '' ? values.commit : await gitHead(io.cwd, io.env);
        if (commit === null) {
          if (!p) {
            throw new HfxError('HFX_E_USAGE', '--commit is required: the current directory is not a git work tree', {
              hint: `Give --commit SHA, the commit the release is built from. ${HELP}`,
            });
          }
          commit = await promptCommit(p);
        }
        const choices: ReleaseChoices = {
          version: values.version,
          build,
          set,
          components: parseAssignments(commaList(values['set-component']), 'set-component'),
          notes: values.notes ?? '',
          hotfixes: commaList(values.hotfix),
          commit,
          channels: given(values.channel) ? commaList(values.channel) : undefined,
        };
        const { plan } = prepareRelease(dir, base, choices);
        if (p) {
          const what = [
            plan.build.length ? `build ${plan.build.join(', ')}` : '',
            Object.keys(plan.set).length ? `set ${Object.keys(plan.set).join(', ')}` : '',
            Object.keys(plan.components).length ? `set component ${Object.keys(plan.components).join(', ')}` : '',
          ].filter(Boolean);
          if (
            !(await confirm(
              p,
              `Make draft release ${plan.version} from ${base} at ${plan.commit.slice(0, 12)}${what.length ? `: ${what.join('; ')}` : ', changing no image'}?`,
            ))
          ) {
            throw new HfxError('HFX_E_USAGE', 'cancelled at a prompt; nothing was written');
          }
        }
        // The builds' output goes to the terminal; a question left open would hold its input.
        terminal?.close();
        const live = !out.json && io.stderr.isTTY === true;
        const r = await createRelease({
          dir,
          base,
          choices,
          cwd: io.cwd,
          env: io.env,
          now: deps.now,
          onBuild: (image, command) => out.line(`${out.c.cyan('→')} building ${image}: ${out.c.dim(command)}`),
          onBuildOutput: live ? (chunk) => io.stderr.write(chunk) : undefined,
        });
        out.result({ release: r.manifest, file: r.file, built: r.built });
        out.line(`${out.c.green('✓')} ${r.file}: draft release ${r.manifest.version} from ${base}`);
        printDiff(out, diffReleases(baseManifest, r.manifest));
        out.line(`  publish it with \`hfx release publish ${r.manifest.version}\``);
        return 0;
      } finally {
        terminal?.close();
      }
    },
  });
}
