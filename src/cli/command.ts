import { isAbsolute, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HfxError } from '../errors.js';
import type { Io, Output } from './output.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Ctx {
  io: Io;
  out: Output;
  /** Resolves a path the user typed against the command's cwd. */
  path(p: string): string;
  /** --home, else HFX_HOME, else the cwd. */
  home(v: unknown): string;
}

export interface Command {
  name: string;
  aliases?: string[];
  summary: string;
  usage: string;
  /** Lines of `$ hfx …` examples with a comment each. */
  examples: string[];
  options: Options;
  /** Extra help text: what the flags mean. */
  details?: string;
  run(args: { values: Record<string, unknown>; positionals: string[] }, ctx: Ctx): Promise<number>;
}

export const COMMON: Options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const HOME: Options = { home: { type: 'string' } };

export function parse(cmd: Command, argv: string[]): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...COMMON, ...cmd.options }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, unknown>, positionals: r.positionals };
  } catch (e) {
    throw new HfxError('HFX_E_USAGE', (e as Error).message.replace(/\. To specify.*$/s, ''), { hint: `See \`hfx ${cmd.name} --help\`.` });
  }
}

export function makeCtx(io: Io, out: Output): Ctx {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  return {
    io,
    out,
    path,
    home: (v) => path(typeof v === 'string' ? v : io.env['HFX_HOME'] || io.cwd),
  };
}

export function str(v: unknown, flag: string, cmd: string): string {
  if (typeof v !== 'string' || v === '') throw new HfxError('HFX_E_USAGE', `--${flag} is required`, { hint: `See \`hfx ${cmd} --help\`.` });
  return v;
}

export function int(v: unknown, flag: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new HfxError('HFX_E_USAGE', `--${flag} must be a whole number ≥ 0, not ${JSON.stringify(v)}`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A size in bytes: a whole number with an optional binary unit (512K, 100M, 4G; KiB and KB alike). */
export function bytes(v: unknown, flag: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  const m = typeof v === 'string' ? /^(\d+)\s*([KMGT]?)(?:i?B)?$/i.exec(v.trim()) : null;
  const n = m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new HfxError('HFX_E_USAGE', `--${flag} must be a size such as 500M or 4G, not ${JSON.stringify(v)}`);
  return n;
}

const DURATION: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: a whole number with a unit (500ms, 90s, 2m, 24h, 7d); a bare number is seconds. */
export function duration(v: unknown, flag: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  const m = typeof v === 'string' ? /^(\d+)\s*(ms|s|m|h|d)?$/i.exec(v.trim()) : null;
  const n = m ? Number(m[1]) * DURATION[(m[2] ?? 's').toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new HfxError('HFX_E_USAGE', `--${flag} must be a duration such as 90s, 2m or 24h, not ${JSON.stringify(v)}`);
  return n;
}

/** A subcommand's arguments, exactly `n` of them; otherwise its usage line (`hfx CMD USAGE`). */
export function exactArgs(pos: string[], n: number, cmd: string, usage: string): string[] {
  if (pos.length !== n) throw new HfxError('HFX_E_USAGE', `usage: hfx ${cmd} ${usage}`, { hint: `See \`hfx ${cmd} --help\`.` });
  return pos;
}

export function onePositional(pos: string[], what: string, cmd: string): string {
  if (pos.length !== 1) throw new HfxError('HFX_E_USAGE', pos.length === 0 ? `${what} is missing` : `one ${what} expected, got ${pos.length}`, { hint: `See \`hfx ${cmd} --help\`.` });
  return pos[0]!;
}

export function helpText(cmd: Command): string {
  const names = [cmd.name, ...(cmd.aliases ?? [])].join(', ');
  return [
    `hfx ${names} — ${cmd.summary}`,
    '',
    `Usage: ${cmd.usage}`,
    ...(cmd.details ? ['', cmd.details.trimEnd()] : []),
    '',
    'Common flags: --json (one JSON document on stdout), --help',
    '',
    'Examples:',
    ...cmd.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}
