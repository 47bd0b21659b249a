import { createInterface } from 'node:readline/promises';
import { currentLogin } from '../../../client/config.js';
import { HfxError } from '../../../errors.js';
import { createRelease, gitHead, prepareRelease } from '../../../release/apply.js';
import { readReleaseConfig } from '../../../release/config.js';
import { diffReleases, type ReleaseDiff } from '../../../release/diff.js';
import { parseAssignments, type ReleaseChoices } from '../../../release/plan.js';
import { confirm, promptBase, promptBuilds, promptCommit, promptSets, type Ask, type Prompter } from '../../../release/prompt.js';
import { publishRelease, type PublishTarget } from '../../../release/publish.js';
import type { ReleaseManifest } from '../../../release/schema.js';
import { listReleases, readRelease, releaseFile } from '../../../release/store.js';
import type { Command, Ctx } from '../../command.js';
import { neutralize } from '../../neutralize.js';
import type { Io, Output } from '../../output.js';

const HELP = 'See `hfx release --help`.';

/** Values of a repeatable flag, each also split on commas. */
const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean) : []);
const given = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

type Stdin = NodeJS.ReadableStream & { isTTY?: boolean };

/** The terminal to ask on: io.stdin when the caller gives one, else the process's own when io is the process's. */
function stdinOf(io: Io): Stdin | undefined {
  const own = (io as Io & { stdin?: Stdin }).stdin;
  if (own) return own;
  return io.stdout === process.stdout ? process.stdin : undefined;
}

/** A readline prompt on stdin/stdout; a closed input (Ctrl-C, Ctrl-D) cancels the command. */
function terminalAsk(stdin: Stdin, io: Io): { ask: Ask; close(): void } {
  const rl = createInterface({ input: stdin, output: io.stdout, terminal: true });
  const ac = new AbortController();
  rl.on('close', () => ac.abort());
  return {
    ask: async (q) => {
      try {
        // Questions quote release manifests (names, notes): shown neutralised, as out.line() would.
        return await rl.question(neutralize(q), { signal: ac.signal });
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw new HfxError('HFX_E_USAGE', 'cancelled at a prompt; nothing was written');
        throw e;
      }
    },
    close: () => rl.close(),
  };
}

export interface ReleaseCommandDeps {
  /**
   * Asks a question and resolves with the answer. When given, `release new` asks its questions
   * through it (unless --yes or --json); otherwise it asks on the terminal when stdin is one.
   */
  ask?: Ask | undefined;
  /** The clock for released_at and published_at. */
  now?: (() => Date) | undefined;
  /** Where `release publish` publishes besides the manifest file (and the server, with --server). */
  targets?: readonly PublishTarget[] | undefined;
}

function summaryRow(r: ReleaseManifest): Record<string, unknown> {
  return {
    version: r.version,
    name: r.name,
    status: r.status,
    released_at: r.released_at,
    ...(r.published_at === undefined ? {} : { published_at: r.published_at }),
    ...(r.base === undefined ? {} : { base: r.base }),
    channels: r.channels,
  };
}

function table(out: Output, rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) out.line(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

function printRelease(out: Output, r: ReleaseManifest, file: string): void {
  const { c } = out;
  out.line(`${c.bold(`${r.name} ${r.version}`)}  ${r.status === 'published' ? c.green('published') : c.yellow('draft')}   ${c.dim(file)}`);
  const rows: [string, string][] = [
    ['released', r.released_at],
    ...(r.published_at ? [['published', r.published_at] as [string, string]] : []),
    ['commit', r.commit],
    ...(r.base ? [['base', r.base] as [string, string], ['hotfixes', r.hotfixes?.join(', ') || '-'] as [string, string]] : []),
    ['channels', r.channels.join(', ') || '-'],
  ];
  table(out, rows.map(([k, v]) => [`  ${k}`, v]));
  out.line('  images:');
  const images = Object.entries(r.images);
  if (images.length) table(out, images.map(([k, v]) => [`    ${k}`, v]));
  else out.line('    (none)');
  const comps = Object.entries(r.components);
  out.line('  components:');
  if (comps.length) table(out, comps.map(([k, v]) => [`    ${k}`, v]));
  else out.line('    (none)');
  if (r.notes) {
    out.line('  notes:');
    for (const l of r.notes.split('\n')) out.line(`    ${l}`);
  }
}

function printDiff(out: Output, d: ReleaseDiff): void {
  const { c } = out;
  if (d.same) {
    out.line('  no differences in images, components, channels, hotfixes, notes or commit');
    return;
  }
  for (const [title, m] of [['images', d.images], ['components', d.components]] as const) {
    if (m.added.length + m.removed.length + m.changed.length === 0) continue;
    out.line(`  ${title}:`);
    const rows: string[][] = [
      ...m.changed.map((x) => [`    ${c.yellow('~')} ${x.name}`, `${x.from} → ${x.to}`]),
      ...m.added.map((x) => [`    ${c.green('+')} ${x.name}`, x.value]),
      ...m.removed.map((x) => [`    ${c.red('-')} ${x.name}`, x.value]),
    ];
    table(out, rows);
  }
  for (const [title, l] of [['channels', d.channels], ['hotfixes', d.hotfixes]] as const) {
    if (l.added.length + l.removed.length === 0) continue;
    out.line(`  ${title}: ${[...l.added.map((x) => c.green(`+${x}`)), ...l.removed.map((x) => c.red(`-${x}`))].join(' ')}`);
  }
  if (d.commit) out.line(`  commit: ${d.commit.from} → ${d.commit.to}`);
  if (d.notes) {
    out.line('  notes:');
    for (const l of d.notes.from ? d.notes.from.split('\n') : []) out.line(c.red(`    - ${l}`));
    for (const l of d.notes.to ? d.notes.to.split('\n') : []) out.line(c.green(`    + ${l}`));
  }
}

function positionals(pos: string[], n: number, what: string): string[] {
  if (pos.length !== n) throw new HfxError('HFX_E_USAGE', pos.length < n ? `${what} is missing` : `too many arguments: ${pos.slice(n).join(' ')}`, { hint: HELP });
  return pos;
}

async function runNew(values: Record<string, unknown>, rest: string[], ctx: Ctx, deps: ReleaseCommandDeps): Promise<number> {
  const { io, out } = ctx;
  positionals(rest, 0, '');
  const dir = ctx.path(typeof values['dir'] === 'string' ? values['dir'] : 'releases');
  const stdin = stdinOf(io);
  const interactive = values['yes'] !== true && !out.json && (deps.ask !== undefined || stdin?.isTTY === true);
  const terminal = interactive && deps.ask === undefined ? terminalAsk(stdin!, io) : undefined;
  const p: Prompter | undefined = interactive ? { ask: deps.ask ?? terminal!.ask, say: (l) => out.line(l) } : undefined;

  try {
    let base = typeof values['base'] === 'string' && values['base'] !== '' ? values['base'] : undefined;
    if (base === undefined) {
      if (!p) throw new HfxError('HFX_E_USAGE', '--base is required', { hint: `Without a terminal (or with --yes / --json) hfx asks nothing. ${HELP}` });
      const l = listReleases(dir);
      for (const bad of l.invalid) out.warn(`${bad.file}: ${bad.error.message}`);
      base = await promptBase(p, l.releases);
    }
    const baseManifest = readRelease(dir, base);
    let build = list(values['build']);
    if (!given(values['build']) && p) build = await promptBuilds(p, baseManifest, Object.keys(readReleaseConfig(dir)?.images ?? {}));
    let set = parseAssignments(list(values['set']), 'set');
    if (!given(values['set']) && p) set = await promptSets(p, baseManifest, build);
    let commit = typeof values['commit'] === 'string' && values['commit'] !== '' ? values['commit'] : await gitHead(io.cwd, io.env);
    if (commit === null) {
      if (!p) {
        throw new HfxError('HFX_E_USAGE', '--commit is required: the current directory is not a git work tree', { hint: `Give --commit SHA, the commit the release is built from. ${HELP}` });
      }
      commit = await promptCommit(p);
    }
    const choices: ReleaseChoices = {
      version: typeof values['version'] === 'string' ? values['version'] : undefined,
      build,
      set,
      components: parseAssignments(list(values['set-component']), 'set-component'),
      notes: typeof values['notes'] === 'string' ? values['notes'] : '',
      hotfixes: list(values['hotfix']),
      commit,
      channels: given(values['channel']) ? list(values['channel']) : undefined,
    };
    const { plan } = prepareRelease(dir, base, choices);
    if (p) {
      const what = [
        plan.build.length ? `build ${plan.build.join(', ')}` : '',
        Object.keys(plan.set).length ? `set ${Object.keys(plan.set).join(', ')}` : '',
        Object.keys(plan.components).length ? `set component ${Object.keys(plan.components).join(', ')}` : '',
      ].filter(Boolean);
      if (!(await confirm(p, `Make draft release ${plan.version} from ${base} at ${plan.commit.slice(0, 12)}${what.length ? `: ${what.join('; ')}` : ', changing no image'}?`))) {
        throw new HfxError('HFX_E_USAGE', 'cancelled at a prompt; nothing was written');
      }
    }
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
}

export function makeReleaseCommand(deps: ReleaseCommandDeps = {}): Command {
  return {
    name: 'release',
    summary: 'make, list, compare and publish release manifests (releases/<version>.json), also to the server',
    usage: 'hfx release new|list|show|diff|publish|push …   [--dir releases]',
    details: `Subcommands:
  hfx release new --base V [--version V2] [--build IMG…] [--set IMG=REF…] [--set-component NAME=VER…]
                  [--notes TEXT] [--hotfix ID…] [--channel C…] [--commit SHA] [--yes]
      a draft release made from release V: the images in --build are built with their command in
      releases/hfx-release.config.json, those in --set get the references given. --version defaults
      to the next patch of V, --commit to \`git rev-parse HEAD\`, the channels to V's; the hotfix ids
      are added to V's. Repeat a flag or separate values with commas. On a terminal, what is missing
      is asked (which release, which images to build, which others to change); with --yes or --json,
      or without a terminal, nothing is asked and --base is required.
  hfx release list                 every release, oldest first
  hfx release show V               one release's manifest
  hfx release diff V1 V2           images, components, channels, hotfixes, notes and commit that differ
  hfx release publish V [--server] mark a draft published (status and published_at in its manifest);
                                   with --server, on the hfx server first (the draft stays a draft if
                                   the server refuses or cannot be reached)
  hfx release push V               send an already published release to the hfx server
Flags:
  --dir DIR       the releases directory (default: releases, in the current directory)
  --server        publish to the server you last logged in to with \`hfx login URL --user NAME\`
                  (release-manager role); the manifest's name is the server's product, which must exist
The manifest format and the build configuration: docs/releases.md.`,
    examples: [
      '$ hfx release new --base 1.7.0 --build api --set worker=registry.example.com:5000/team/worker:1.7.0-2 \\',
      '      --hotfix HF-1.7.0-0001 --notes "Fix token expiry" --yes   # makes releases/1.7.1.json (draft)',
      '$ hfx release new                  # on a terminal: asks which release, what to build and change',
      '$ hfx release list',
      '$ hfx release diff 1.7.0 1.7.1 --json',
      '$ hfx release publish 1.7.1',
      '$ hfx release publish 1.7.1 --server   # on the hfx server too, then in releases/1.7.1.json',
      '$ hfx release push 1.7.0               # a release published before, to the server',
    ],
    options: {
      dir: { type: 'string' },
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
      server: { type: 'boolean' },
    },
    async run({ values, positionals: pos }, ctx) {
      const { out } = ctx;
      const [sub, ...rest] = pos;
      const dir = ctx.path(typeof values['dir'] === 'string' ? values['dir'] : 'releases');
      const newOnly = ['base', 'version', 'build', 'set', 'set-component', 'notes', 'hotfix', 'channel', 'commit', 'yes'].filter((f) => values[f] !== undefined);
      if (sub !== 'new' && newOnly.length) throw new HfxError('HFX_E_USAGE', `--${newOnly[0]} is a flag of \`hfx release new\``, { hint: HELP });
      if (values['server'] !== undefined && sub !== 'publish' && sub !== 'push') throw new HfxError('HFX_E_USAGE', '--server is a flag of `hfx release publish`', { hint: HELP });
      switch (sub) {
        case 'new':
          return runNew(values, rest, ctx, deps);
        case 'list': {
          positionals(rest, 0, '');
          const l = listReleases(dir);
          if (l.invalid.length) {
            const first = l.invalid[0]!;
            throw new HfxError('HFX_E_MANIFEST', `${l.invalid.length} invalid release manifest${l.invalid.length > 1 ? 's' : ''}: ${first.error.message}`, {
              hint: 'Fix them (the fields are described in docs/releases.md); `hfx release show V` checks one.',
              details: l.invalid.map((x) => ({ file: x.file, error: x.error.toJSON() })),
            });
          }
          for (const f of l.ignored) out.warn(`${f} is not named <version>.json: ignored`);
          out.result({ dir, releases: l.releases.map(summaryRow) });
          if (l.releases.length === 0) out.line(`no releases in ${dir}`);
          else {
            table(out, [
              ['VERSION', 'STATUS', 'RELEASED', 'BASE', 'CHANNELS'],
              ...l.releases.map((r) => [r.version, r.status, r.released_at, r.base ?? '-', r.channels.join(',') || '-']),
            ]);
          }
          return 0;
        }
        case 'show': {
          const [v] = positionals(rest, 1, 'the version to show');
          const r = readRelease(dir, v!);
          const file = releaseFile(dir, r.version);
          out.result({ release: r, file });
          printRelease(out, r, file);
          return 0;
        }
        case 'diff': {
          const [a, b] = positionals(rest, 2, 'two versions to compare');
          const d = diffReleases(readRelease(dir, a!), readRelease(dir, b!));
          out.result(d);
          out.line(`${out.c.bold(`${d.from} → ${d.to}`)}`);
          printDiff(out, d);
          return 0;
        }
        case 'publish': {
          const [v] = positionals(rest, 1, 'the version to publish');
          // The login is looked up before anything is published, so a missing one changes nothing.
          const server = values['server'] === true ? (await import('../../../client/release-manifests.js')).serverTarget(currentLogin(ctx.io.env)) : undefined;
          const targets = [...(deps.targets ?? []), ...(server ? [server] : [])];
          const r = await publishRelease({ dir, version: v!, now: deps.now, targets });
          out.result({ release: r.manifest, file: r.file, targets: r.targets });
          out.line(`${out.c.green('✓')} release ${r.manifest.version} published at ${r.manifest.published_at} (${r.file})`);
          for (const t of r.targets) out.line(`  and to ${t}`);
          return 0;
        }
        case 'push': {
          const [v] = positionals(rest, 1, 'the version to push');
          const m = readRelease(dir, v!);
          const login = currentLogin(ctx.io.env);
          const r = await (await import('../../../client/release-manifests.js')).pushManifest(login, m);
          out.result({ release: r.manifest, server: login.url, existed: r.existed });
          out.line(`${out.c.green('✓')} release ${m.name} ${m.version} ${r.existed ? 'was already' : 'is now'} on ${login.url}`);
          return 0;
        }
        default:
          throw new HfxError('HFX_E_USAGE', sub === undefined ? 'a subcommand is missing: new, list, show, diff, publish or push' : `unknown subcommand ${JSON.stringify(sub)}: new, list, show, diff, publish or push`, { hint: HELP });
      }
    },
  };
}

export const releaseCommand: Command = makeReleaseCommand();
