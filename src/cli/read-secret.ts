import { createInterface } from 'node:readline/promises';

interface SecretIo {
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
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
 * space), else typed at a prompt.
 */
export async function readSecret(io: SecretIo, opts: { envVar: string; fromStdin: boolean; prompt: string }): Promise<string> {
  const fromEnv = io.env[opts.envVar];
  if (fromEnv) return fromEnv;
  const stdin = stdinOf(io);
  if (opts.fromStdin || !stdin.isTTY) return (await readStdin(io)).replace(/\r?\n$/, '');
  const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(opts.prompt);
  } finally {
    rl.close();
  }
}
