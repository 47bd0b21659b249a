import { randomBytes } from 'node:crypto';
import pc from 'picocolors';
import { HfxError, asHfxError } from '../errors.js';
import { jsonText, neutralize } from './neutralize.js';

export interface Io {
  cwd: string;
  /** For prompts; absent in tests and scripts, where commands never ask. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

export type Colors = ReturnType<typeof pc.createColors>;
type Formatter = Colors['bold'];

// Our colour codes travel through the text as this marker instead of ESC, so the writers can
// neutralise every ESC (all of them from data) and then turn the marker back into ESC. It is random
// per process so no server or archive can spell it; U+E000 is a private-use character that
// neutralize() leaves alone.
const MARK = `\ue000${randomBytes(8).toString('hex')}`;

/**
 * picocolors' functions, neutralising their argument first (data is often passed straight in, as in
 * `c.bold(title)`) and emitting MARK for ESC. Markers of nested calls are turned back into ESC for
 * the inner picocolors call, so its handling of nested codes of the same kind still works.
 */
function markedColors(enabled: boolean): Colors {
  const plain = pc.createColors(enabled);
  const marked: Record<string, unknown> = { isColorSupported: plain.isColorSupported };
  for (const [name, f] of Object.entries(plain)) {
    if (typeof f !== 'function') continue;
    const formatter: Formatter = (input) =>
      (f as Formatter)(neutralize(String(input)).replaceAll(MARK, '\x1b')).replaceAll('\x1b', MARK);
    marked[name] = formatter;
  }
  return marked as unknown as Colors;
}

/** Text as it may reach the terminal: data neutralised, our own colour codes restored. */
function shown(text: string): string {
  return neutralize(text).replaceAll(MARK, '\x1b');
}

/**
 * Everything a command prints goes through here: JSON mode prints exactly one JSON document
 * on stdout; human mode prints text, colours only on a terminal and never with NO_COLOR, and a
 * progress bar on stderr only when it is a terminal. Every writer neutralises control characters
 * (src/cli/neutralize.ts), so no command has to remember that a title or an error message came from a
 * server or an archive; colour works only through `c`.
 */
export class Output {
  readonly json: boolean;
  readonly c: Colors;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly io: Io,
    json: boolean,
  ) {
    this.json = json;
    const color = !json && !!io.stdout.isTTY && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
    this.c = markedColors(color || (io.env.FORCE_COLOR !== undefined && io.env.NO_COLOR === undefined));
  }

  /** Human text on stdout (ignored in JSON mode). */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(shown(text) + '\n');
  }

  /** Human text on stdout as it is, without a line end added (e.g. a Markdown document). */
  print(text: string): void {
    if (!this.json) this.io.stdout.write(shown(text));
  }

  /** A human line on stderr: advice next to data that goes alone on stdout. */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(shown(text) + '\n');
  }

  /** The one JSON document of a successful command. */
  result(data: unknown): void {
    if (this.json) this.io.stdout.write(jsonText({ ok: true, ...(data as object) }, 2) + '\n');
  }

  warn(text: string): void {
    if (!this.json) this.io.stderr.write(shown(this.c.yellow('warning: ') + text) + '\n');
  }

  progress = (phase: string, done: number, total: number): void => {
    if (this.json || !this.io.stderr.isTTY || total < 50) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.io.stderr.columns ?? 80) - 40));
    const filled = Math.round((done / total) * width);
    const pct = Math.floor((done / total) * 100);
    this.io.stderr.write(
      `\r${shown(`${phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}`)}`,
    );
    this.drawn = true;
    if (done >= total) this.endProgress();
  };

  /** A status line on a terminal's stderr, drawn over the last one (a spinner); endProgress() clears it. */
  status(text: string): void {
    if (this.json || !this.io.stderr.isTTY) return;
    this.io.stderr.write(`\r${shown(text)}\x1b[K`);
    this.drawn = true;
  }

  endProgress(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** Prints an error and returns the exit code from the error table. */
  error(e: unknown): number {
    this.endProgress();
    const err = e instanceof HfxError ? e : asHfxError(e, 'unexpected failure');
    if (this.json) {
      this.io.stdout.write(jsonText({ ok: false, error: err.toJSON() }, 2) + '\n');
    } else {
      this.io.stderr.write(shown(`${this.c.red(this.c.bold('error'))} ${this.c.dim(err.code)}: ${err.message}`) + '\n');
      if (err.hint) this.io.stderr.write(shown(`${this.c.cyan('→')} ${err.hint}`) + '\n');
      if (err.code === 'HFX_E_INTERNAL' && err.cause instanceof Error && err.cause.stack)
        this.io.stderr.write(shown(this.c.dim(err.cause.stack)) + '\n');
    }
    return err.exitCode;
  }
}

export function fmtBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${u[i] ?? ''}`;
}
