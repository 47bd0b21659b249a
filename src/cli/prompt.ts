// Everything the CLI reads from a person at a terminal or from standard input: questions, secrets
// that are not echoed, and secrets piped in. Commands and the code they call get an `Ask` function
// instead, so that only this module does terminal I/O (and tests script the answers).

import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { HfxError } from '../errors.js';
import { neutralize } from './neutralize.js';
import type { Io } from './output.js';

/** Asks one question and resolves with the answer (without its newline). */
export type Ask = (question: string) => Promise<string>;

export interface Prompt {
  ask: Ask;
  close(): void;
}

type Input = NodeJS.ReadableStream & { isTTY?: boolean };

interface InputIo {
  env: NodeJS.ProcessEnv;
  stdin?: Input | undefined;
  /** Where a prompt goes (default: the process's stderr); what is typed never does. */
  stderr?: NodeJS.WritableStream | undefined;
}

/** Standard input: io.stdin, else the process's own. */
function stdinOf(io: InputIo): Input {
  return io.stdin ?? process.stdin;
}

/**
 * The terminal to ask questions on: io.stdin when the caller gives one, else the process's own when
 * io is the process's (a caller that runs commands in-process with its own output never gets asked).
 * Undefined when that is not a terminal.
 */
export function terminalOf(io: Io): Input | undefined {
  const input = io.stdin ?? (io.stdout === process.stdout ? process.stdin : undefined);
  return input?.isTTY === true ? input : undefined;
}

/** Questions on `input`, each written to `output`; a closed input (Ctrl-C, Ctrl-D) cancels the command. */
export function openPrompt(input: Input, output: NodeJS.WritableStream): Prompt {
  const rl = createInterface({ input, output, terminal: true });
  const ac = new AbortController();
  rl.on('close', () => ac.abort());
  return {
    ask: async (q) => {
      try {
        // Questions quote what servers and manifests hold (names, notes): shown neutralised, as out.line() would.
        return await rl.question(neutralize(q), { signal: ac.signal });
      } catch (e) {
        if ((e as Error).name === 'AbortError')
          throw new HfxError('HFX_E_USAGE', 'cancelled at a prompt; nothing was written');
        throw e;
      }
    },
    close: () => rl.close(),
  };
}

/**
 * All of standard input, for a secret piped in (`--password-stdin`, `--token-stdin`): unlike an
 * argument it is not in `ps` output or the shell's history. Decoded once at the end, so a character
 * split across two chunks stays whole.
 */
export async function readStdin(io: InputIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stdinOf(io)) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret from the environment variable `envVar`, else piped on standard input; undefined at a terminal or when nothing was piped. */
export async function pipedSecret(io: InputIo, envVar: string): Promise<string | undefined> {
  const fromEnv = io.env[envVar];
  if (fromEnv) return fromEnv;
  if (stdinOf(io).isTTY) return undefined;
  return (await readStdin(io)).replace(/\r?\n$/, '') || undefined;
}

/**
 * A secret from the environment variable `envVar`, else from standard input when asked to or when it
 * is not a terminal (the line end a pipe adds is dropped, nothing else: a password may end in a
 * space), else typed at a prompt that does not show it. With `confirm`, a typed secret is asked for a
 * second time with that prompt and must match (a new password nobody saw cannot be checked by eye).
 */
export async function readSecret(
  io: InputIo,
  opts: { envVar: string; fromStdin: boolean; prompt: string; confirm?: string },
): Promise<string> {
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
      throw new HfxError('HFX_E_USAGE', 'the two passwords typed differ', {
        hint: 'Run the command again and type the same password twice.',
      });
    }
    return secret;
  } finally {
    rl.close();
  }
}
