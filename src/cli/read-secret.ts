import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { HfxError } from '../errors.js';

interface SecretIo {
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  /** Where a prompt goes (default: the process's stderr); what is typed never does. */
  stderr?: NodeJS.WritableStream;
}

function stdinOf(io: SecretIo): NodeJS.ReadableStream & { isTTY?: boolean } {
  return io.stdin ?? process.stdin;
}

/**
 * All of standard input, for a secret piped in (`--password-stdin`, `--token-stdin`): unlike an
 * argument it is not in `ps` output or the shell's history. Decoded once at the end, so a character
 * split across two chunks stays whole.
 */
export async function readStdin(io: SecretIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdinOf(io)) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A secret from the environment variable `envVar`, else from standard input when asked to or when it
 * is not a terminal (the line end a pipe adds is dropped, nothing else: a password may end in a
 * space), else typed at a prompt that does not show it. With `confirm`, a typed secret is asked for a
 * second time with that prompt and must match (a new password nobody saw cannot be checked by eye).
 */
export async function readSecret(io: SecretIo, opts: { envVar: string; fromStdin: boolean; prompt: string; confirm?: string }): Promise<string> {
  const fromEnv = io.env[opts.envVar];
  if (fromEnv) return fromEnv;
  const stdin = stdinOf(io);
  if (opts.fromStdin || !stdin.isTTY) return (await readStdin(io)).replace(/\r?\n$/, '');
  const stderr = io.stderr ?? process.stderr;
  // A terminal readline echoes every key to its output; given one that discards, nothing typed
  // reaches the screen, while it still puts the terminal in raw mode and handles editing keys.
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: stdin, output: muted, terminal: true });
  // Lines are queued, so a confirmation typed ahead (or pasted with the first) is not lost.
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string> => {
    stderr.write(prompt);
    try {
      const next = await lines.next();
      // Ctrl+C or Ctrl+D close the prompt: the user's choice, not a bug.
      if (next.done) throw new HfxError('HFX_E_USAGE', 'cancelled at the prompt: nothing was typed');
      return next.value;
    } finally {
      // The Enter key was not echoed either, so the next output would join the prompt's line.
      stderr.write('\n');
    }
  };
  try {
    const secret = await ask(opts.prompt);
    if (opts.confirm !== undefined && (await ask(opts.confirm)) !== secret) {
      throw new HfxError('HFX_E_USAGE', 'the two passwords typed differ', { hint: 'Run the command again and type the same password twice.' });
    }
    return secret;
  } finally {
    rl.close();
  }
}
