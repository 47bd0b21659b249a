import { PassThrough } from 'node:stream';
import { makeCtx, parse, type Command } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { Output, type Io } from '../../src/cli/output.js';
import type { HfxError } from '../../src/errors.js';
import type { Json } from './json.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON. */
  json: Json;
  /** The error a command threw (runCommand only). */
  error?: HfxError;
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  /** Makes stderr look like a terminal (progress bars). */
  tty?: boolean;
  onStdout?: (chunk: string) => void;
}

/** In-memory stdout/stderr and the Io around them; `done` collects what was printed. */
function capture(opts: RunOptions): { io: Io; done: (code: number, error?: HfxError) => CliResult } {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), opts.tty ? { isTTY: true, columns: 80 } : {});
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
    opts.onStdout?.(d.toString());
  });
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const io: Io = {
    cwd: opts.cwd ?? process.cwd(),
    env: opts.env ?? { NO_COLOR: '1' },
    stdout,
    stderr,
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
  };
  return {
    io,
    done: (code, error) => {
      let json: unknown;
      try {
        json = JSON.parse(out);
      } catch {
        json = undefined;
      }
      return { code, stdout: out, stderr: err, json, ...(error ? { error } : {}) };
    },
  };
}

/** Runs the CLI in-process, as `hfx …` would, with its own cwd and environment. */
export async function hfx(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const c = capture(opts);
  return c.done(await main(args, c.io));
}

/** Runs one Command object (e.g. built with test doubles) as main() would: parse, run, print the error. */
export async function runCommand(cmd: Command, argv: string[], opts: RunOptions = {}): Promise<CliResult> {
  const c = capture(opts);
  const out = new Output(c.io, argv.includes('--json'));
  try {
    return c.done(await cmd.run(parse(cmd, argv), makeCtx(c.io, out)));
  } catch (e) {
    return c.done(out.error(e), e as HfxError);
  } finally {
    out.endProgress();
  }
}
