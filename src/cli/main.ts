import { readFileSync } from 'node:fs';
import { HfxError } from '../errors.js';
import { helpText, makeCtx, parse, type Command } from './command.js';
import { Output, type Io } from './output.js';

// Commands load on demand: `hfx apply` should not pay for the server's, git's or the database's
// modules at start-up. The table is in the order `hfx --help` lists them.
const LOADERS: readonly [string, string[], () => Promise<Command>][] = [
  ['init', [], async () => (await import('./commands/init/index.js')).initCommand],
  ['state', ['current-state'], async () => (await import('./commands/state/index.js')).stateCommand],
  ['apply', ['apply-hotfix'], async () => (await import('./commands/apply/index.js')).applyCommand],
  ['revert', ['revert-hotfix'], async () => (await import('./commands/revert/index.js')).revertCommand],
  ['update', [], async () => (await import('./commands/update/index.js')).updateCommand],
  ['verify', [], async () => (await import('./commands/verify/index.js')).verifyCommand],
  ['recover', [], async () => (await import('./commands/recover/index.js')).recoverCommand],
  ['inspect', [], async () => (await import('./commands/inspect/index.js')).inspectCommand],
  ['diff', [], async () => (await import('./commands/diff/index.js')).diffCommand],
  ['keygen', [], async () => (await import('./commands/keygen/index.js')).keygenCommand],
  ['sign', [], async () => (await import('./commands/sign/index.js')).signCommand],
  ['trust', [], async () => (await import('./commands/trust/index.js')).trustCommand],
  ['start', [], async () => (await import('./commands/start/index.js')).startCommand],
  ['review', [], async () => (await import('./commands/review/index.js')).reviewCommand],
  ['create', [], async () => (await import('./commands/create/index.js')).createCommand],
  ['finish', [], async () => (await import('./commands/finish/index.js')).finishCommand],
  ['release', [], async () => (await import('./commands/release/index.js')).releaseCommand],
  ['case', [], async () => (await import('./commands/case/index.js')).caseCommand],
  ['env', [], async () => (await import('./commands/env/index.js')).envCommand],
  ['deploy', [], async () => (await import('./commands/deploy/index.js')).deployCommand],
  ['propagate', [], async () => (await import('./commands/propagate/index.js')).propagateCommand],
  ['image', ['create-docker'], async () => (await import('./commands/image/index.js')).imageCommand],
  ['serve', [], async () => (await import('./commands/serve/index.js')).serveCommand],
  ['login', [], async () => (await import('./commands/login/index.js')).loginCommand],
  ['push', [], async () => (await import('./commands/push/index.js')).pushCommand],
  ['token', [], async () => (await import('./commands/token/index.js')).tokenCommand],
  ['user', [], async () => (await import('./commands/user/index.js')).userCommand],
  ['customer', [], async () => (await import('./commands/customer/index.js')).customerCommand],
  ['key', [], async () => (await import('./commands/key/index.js')).keyCommand],
  ['check', [], async () => (await import('./commands/check/index.js')).checkCommand],
  ['tuf', [], async () => (await import('./commands/tuf/index.js')).tufCommand],
  ['rollout', [], async () => (await import('./commands/rollout/index.js')).rolloutCommand],
  ['demo', [], async () => (await import('./commands/demo/index.js')).demoCommand],
];

/** Every command, loaded (for the overview and the tests). */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all(LOADERS.map(([, , load]) => load()));
}

async function findCommand(name: string): Promise<Command | undefined> {
  const hit = LOADERS.find(([n, aliases]) => n === name || aliases.includes(name));
  return hit?.[2]();
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function overview(COMMANDS: Command[]): string {
  const w = Math.max(...COMMANDS.map((c) => [c.name, ...(c.aliases ?? [])].join(', ').length));
  return [
    'hfx — signed hotfixes applied, reverted and verified atomically on product packs',
    '',
    'Usage: hfx COMMAND [flags]     (hfx COMMAND --help for flags and examples)',
    '',
    ...COMMANDS.map((c) => `  ${[c.name, ...(c.aliases ?? [])].join(', ').padEnd(w)}  ${c.summary}`),
    '',
    'Every command: --json for one JSON document on stdout; --home DIR (default $HFX_HOME, then .).',
    'Exit codes: 0 ok, 1 internal, 2 usage, 3 conflict, 4 integrity/signature, 5 incompatible,',
    '6 busy, 7 drift, 8 state, 9 auth, 10 network, 11 health. Error codes: docs/errors.md.',
    '',
    'Example:',
    '  $ hfx apply HF-4.2.0-12-0007.zip --home /opt/wso2am && hfx state --home /opt/wso2am',
    '',
  ].join('\n');
}

/** The whole CLI as a function, so tests run it in-process with their own cwd and env. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json');
  const out = new Output(io, json);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const cmd = name === 'help' && rest[0] ? await findCommand(rest[0]) : undefined;
    io.stdout.write(cmd ? helpText(cmd, rest[1]) : overview(await loadCommands()));
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(version() + '\n');
    return 0;
  }
  try {
    const cmd = await findCommand(name);
    if (!cmd)
      throw new HfxError('HFX_E_USAGE', `unknown command ${JSON.stringify(name)}`, {
        hint: 'See `hfx --help` for the list.',
      });
    const args = parse(cmd, rest);
    if (args.values.help) {
      // `hfx env show --help` is the help of `show`; a word that names no subcommand, the command's.
      io.stdout.write(helpText(cmd, args.positionals[0]));
      return 0;
    }
    return await cmd.run(args, makeCtx(io, out));
  } catch (e) {
    return out.error(e);
  } finally {
    out.endProgress();
  }
}
