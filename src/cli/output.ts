import pc from 'picocolors';
import { HfxError, asHfxError } from '../errors.js';

export interface Io {
  cwd: string;
  /** For prompts; absent in tests and scripts, where commands never ask. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/**
 * Everything a command prints goes through here: JSON mode prints exactly one JSON document
 * on stdout; human mode prints text, colours only on a terminal and never with NO_COLOR, and a
 * progress bar on stderr only when it is a terminal.
 */
export class Output {
  readonly json: boolean;
  readonly c: ReturnType<typeof pc.createColors>;
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly io: Io, json: boolean) {
    this.json = json;
    const color = !json && !!io.stdout.isTTY && io.env['NO_COLOR'] === undefined && io.env['TERM'] !== 'dumb';
    this.c = pc.createColors(color || io.env['FORCE_COLOR'] !== undefined && io.env['NO_COLOR'] === undefined);
  }

  /** Human text on stdout (ignored in JSON mode). */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(text + '\n');
  }

  /** The one JSON document of a successful command. */
  result(data: unknown): void {
    if (this.json) this.io.stdout.write(JSON.stringify({ ok: true, ...(data as object) }, null, 2) + '\n');
  }

  warn(text: string): void {
    if (!this.json) this.io.stderr.write(this.c.yellow('warning: ') + text + '\n');
  }

  progress = (phase: string, done: number, total: number): void => {
    if (this.json || !this.io.stderr.isTTY || total < 50) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = Math.max(10, Math.min(40, (this.io.stderr.columns ?? 80) - 40));
    const filled = Math.round((done / total) * width);
    const pct = Math.floor((done / total) * 100);
    this.io.stderr.write(`\r${phase.padEnd(8)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${total}`);
    this.drawn = true;
    if (done >= total) this.endProgress();
  };

  endProgress(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[2K');
    this.drawn = false;
  }

  /** Prints an error and returns the exit code from the error table. */
  error(e: unknown): number {
    this.endProgress();
    const err = e instanceof HfxError ? e : asHfxError(e, 'unexpected failure');
    if (this.json) {
      this.io.stdout.write(JSON.stringify({ ok: false, error: err.toJSON() }, null, 2) + '\n');
    } else {
      this.io.stderr.write(`${this.c.red(this.c.bold('error'))} ${this.c.dim(err.code)}: ${err.message}\n`);
      if (err.hint) this.io.stderr.write(`${this.c.cyan('→')} ${err.hint}\n`);
      if (err.code === 'HFX_E_INTERNAL' && err.cause instanceof Error && err.cause.stack) this.io.stderr.write(this.c.dim(err.cause.stack) + '\n');
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
  return `${i === 0 ? v : v.toFixed(1)} ${u[i]}`;
}
