import { readFileSync } from 'node:fs';
import { HfxError } from '../errors.js';
import { helpText, makeCtx, parse, type Command } from './command.js';
import { applyCommand } from './commands/apply/index.js';
import { demoCommand } from './commands/demo/index.js';
import { diffCommand } from './commands/diff/index.js';
import { initCommand } from './commands/init/index.js';
import { inspectCommand } from './commands/inspect/index.js';
import { keygenCommand } from './commands/keygen/index.js';
import { loginCommand } from './commands/login/index.js';
import { pushCommand } from './commands/push/index.js';
import { checkCommand } from './commands/check/index.js';
import { startCommand } from './commands/start/index.js';
import { reviewCommand } from './commands/review/index.js';
import { createCommand } from './commands/create/index.js';
import { finishCommand } from './commands/finish/index.js';
import { releaseCommand } from './commands/release/index.js';
import { recoverCommand } from './commands/recover/index.js';
import { revertCommand } from './commands/revert/index.js';
import { serveCommand } from './commands/serve/index.js';
import { signCommand } from './commands/sign/index.js';
import { stateCommand } from './commands/state/index.js';
import { trustCommand } from './commands/trust/index.js';
import { updateCommand } from './commands/update/index.js';
import { verifyCommand } from './commands/verify/index.js';
import { Output, type Io } from './output.js';

export const COMMANDS: readonly Command[] = [
  initCommand,
  stateCommand,
  applyCommand,
  revertCommand,
  updateCommand,
  verifyCommand,
  recoverCommand,
  inspectCommand,
  diffCommand,
  keygenCommand,
  signCommand,
  startCommand,
  reviewCommand,
  createCommand,
  finishCommand,
  releaseCommand,
  trustCommand,
  serveCommand,
  loginCommand,
  pushCommand,
  checkCommand,
  demoCommand,
];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function overview(): string {
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
    '6 busy, 7 drift, 8 state. Error codes: docs/errors.md.',
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
    const sub = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(sub ? helpText(sub) : overview());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(version() + '\n');
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
  try {
    if (!cmd) throw new HfxError('HFX_E_USAGE', `unknown command ${JSON.stringify(name)}`, { hint: 'See `hfx --help` for the list.' });
    const args = parse(cmd, rest);
    if (args.values['help']) {
      io.stdout.write(helpText(cmd));
      return 0;
    }
    return await cmd.run(args, makeCtx(io, out));
  } catch (e) {
    return out.error(e);
  } finally {
    out.endProgress();
  }
}
