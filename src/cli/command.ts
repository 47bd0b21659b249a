import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { nonEmpty } from '../env.js';
import { HfxError } from '../errors.js';
import type { Io, Output } from './output.js';

export interface Ctx {
  io: Io;
  out: Output;
  // Properties, not methods: handlers destructure them (`{ out, path }`).
  /** Resolves a path the user typed against the command's cwd. */
  path: (p: string) => string;
  /** --home, else HFX_HOME, else the cwd. */
  home: (v: string | undefined) => string;
}

// ---- flags ----

/** One flag, as node:util parseArgs takes it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type FlagValue<S extends FlagSpec> = S extends { readonly type: 'boolean' }
  ? S extends { readonly multiple: true }
    ? boolean[]
    : boolean
  : S extends { readonly multiple: true }
    ? string[]
    : string;

/** The flags a handler receives: each absent when not given, else of the type its spec declares. */
export type FlagValues<F extends FlagSpecs> = { readonly [K in keyof F]?: FlagValue<F[K]> };

/** Flags declared apart from a command (to be shared), keeping their literal types. */
export function flags<const F extends FlagSpecs>(f: F): F {
  return f;
}

/** Every command takes these; main() handles them before the command runs. */
const COMMON = flags({ json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });

export const HOME = flags({ home: { type: 'string' } });

// ---- positionals ----

/** A positional's name in `args`: `NAME`, or `[NAME]` when it may be left out (only at the end). */
type ArgValue<N> = N extends `[${string}]` ? string | undefined : string;

/** The positionals a handler receives, one per declared name. */
export type ArgValues<A extends readonly string[]> = { readonly [I in keyof A]: ArgValue<A[I]> };

const isOptional = (name: string): boolean => name.startsWith('[');
const bare = (name: string): string => name.replace(/^\[(.*)\]$/, '$1');

/** The arity check every declared command and subcommand gets, before its handler runs. */
function checkArgs(path: string, names: readonly string[], given: readonly string[]): void {
  const hint = `See \`hfx ${path} --help\`.`;
  const required = names.filter((n) => !isOptional(n)).length;
  if (given.length < required) {
    const missing = names.slice(given.length, required);
    const listed =
      missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing.slice(-1).join('')}` : missing.join('');
    throw new HfxError('HFX_E_USAGE', `${listed} ${missing.length > 1 ? 'are' : 'is'} missing`, { hint });
  }
  if (given.length > names.length) {
    const one = names.length === 1 ? ` (one ${names.map(bare).join('')} expected)` : '';
    throw new HfxError('HFX_E_USAGE', `too many arguments: ${given.slice(names.length).join(' ')}${one}`, { hint });
  }
}

// ---- commands ----

/** A command line as parse() leaves it, before the handler's types are applied. */
export interface ParsedArgs {
  values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  positionals: string[];
}

/** What a handler is called with: its typed flags and its positionals. */
export interface Input<F extends FlagSpecs, A extends readonly string[]> {
  values: FlagValues<F>;
  args: ArgValues<A>;
}

/** A subcommand (`hfx env show …`) as the generic dispatch sees it. */
export interface Subcommand {
  name: string;
  summary: string;
  /** What follows `hfx COMMAND NAME` in its usage line. */
  usage: string;
  /** What follows it in its --help instead, with no commonUsage after it, when that differs. */
  helpUsage?: string | undefined;
  args: readonly string[];
  /** Its own flags, besides those of its command. */
  options: FlagSpecs;
  details?: string | undefined;
  /** Besides the command's examples that start with `$ hfx COMMAND NAME`. */
  examples: readonly string[];
  run(parsed: ParsedArgs, ctx: Ctx): Promise<number>;
}

export interface Command {
  name: string;
  aliases?: readonly string[] | undefined;
  summary: string;
  usage: string;
  /** Lines of `$ hfx …` examples with a comment each. */
  examples: readonly string[];
  /** Extra help text: what the flags mean. */
  details?: string | undefined;
  /** Every flag its command line may hold: its own and each subcommand's. */
  options: FlagSpecs;
  subcommands?: readonly Subcommand[] | undefined;
  /** The flags every subcommand takes, as its usage line ends (`[--server URL]`). */
  commonUsage?: string | undefined;
  /** Runs a parsed command line: the handler, or with subcommands the one named first. */
  run(parsed: ParsedArgs, ctx: Ctx): Promise<number>;
}

interface Help {
  name: string;
  aliases?: readonly string[];
  summary: string;
  usage: string;
  details?: string;
  examples: readonly string[];
}

export interface CommandSpec<F extends FlagSpecs, A extends readonly string[]> extends Help {
  options: F;
  /** The positionals, checked before run; without it, run gets them all and checks them itself. */
  args?: A;
  /** The exit code; handlers that need not wait return it as it is. */
  run(input: Input<F, A>, ctx: Ctx): Promise<number> | number;
}

export interface SubcommandSpec<S extends FlagSpecs, F extends FlagSpecs, A extends readonly string[]> {
  name: string;
  summary: string;
  args?: A;
  /** What follows `hfx COMMAND NAME` in the usage line; by default the args. */
  usage?: string;
  /** What follows it in its --help instead, when the command's commonUsage does not apply to it. */
  helpUsage?: string;
  details?: string;
  examples?: readonly string[];
  options?: F;
  run(input: Input<S & F, A>, ctx: Ctx): Promise<number> | number;
}

export interface CommandWithSubcommandsSpec extends Help {
  /** The flags every subcommand takes. */
  options: FlagSpecs;
  commonUsage?: string;
  subcommands: readonly Subcommand[];
}

// parse() checked every flag's type against the same specs, and the dispatch the positionals'
// arity, so the values are what the handler's types say.
const typed = <F extends FlagSpecs, A extends readonly string[]>(parsed: ParsedArgs): Input<F, A> => ({
  values: parsed.values as FlagValues<F>,
  args: parsed.positionals as unknown as ArgValues<A>,
});

export function defineCommand<const F extends FlagSpecs, const A extends readonly string[] = string[]>(
  spec: CommandSpec<F, A>,
): Command {
  const { args, ...help } = spec;
  return {
    ...help,
    run: async (parsed, ctx) => {
      if (args) checkArgs(spec.name, args, parsed.positionals);
      return await spec.run(typed<F, A>(parsed), ctx);
    },
  };
}

/** The subcommand maker of a command whose own flags are S: each handler gets those and its own, typed. */
export function subcommandsOf<S extends FlagSpecs>() {
  // Without flags of its own, a subcommand's F is S again: S & S is S.
  return <const F extends FlagSpecs = S, const A extends readonly string[] = readonly []>(
    spec: SubcommandSpec<S, F, A>,
  ): Subcommand => {
    const args = spec.args ?? [];
    return {
      name: spec.name,
      summary: spec.summary,
      usage: spec.usage ?? args.join(' '),
      helpUsage: spec.helpUsage,
      args,
      options: spec.options ?? {},
      details: spec.details,
      examples: spec.examples ?? [],
      run: async (parsed, ctx) => await spec.run(typed<S & F, A>(parsed), ctx),
    };
  };
}

/** `list | add NAME …`: each subcommand with its usage, as a command's usage line lists them. */
export function synopsis(subs: readonly Subcommand[]): string {
  return subs.map((s) => (s.usage ? `${s.name} ${s.usage}` : s.name)).join(' | ');
}

/** Flags given that neither the command nor this subcommand takes: named with the subcommands that do. */
function checkFlagsOf(
  cmd: string,
  shared: FlagSpecs,
  sub: Subcommand,
  subs: readonly Subcommand[],
  values: ParsedArgs['values'],
): void {
  for (const flag of Object.keys(values)) {
    if (values[flag] === undefined || flag in COMMON || flag in shared || flag in sub.options) continue;
    const owners = subs.filter((s) => flag in s.options).map((s) => `\`hfx ${cmd} ${s.name}\``);
    throw new HfxError('HFX_E_USAGE', `--${flag} is a flag of ${owners.join(' or ')}`, {
      hint: `See \`hfx ${cmd} --help\`.`,
    });
  }
}

export function defineCommandWithSubcommands(spec: CommandWithSubcommandsSpec): Command {
  const { subcommands, options, ...help } = spec;
  return {
    ...help,
    options: Object.fromEntries([options, ...subcommands.map((s) => s.options)].flatMap((o) => Object.entries(o))),
    subcommands,
    run: async (parsed, ctx) => {
      const [name, ...rest] = parsed.positionals;
      const sub = subcommands.find((s) => s.name === name);
      if (!sub) {
        throw new HfxError(
          'HFX_E_USAGE',
          name === undefined ? 'a subcommand is missing' : `unknown subcommand ${JSON.stringify(name)}`,
          {
            hint: `hfx ${spec.name} ${synopsis(subcommands)}`,
          },
        );
      }
      checkFlagsOf(spec.name, options, sub, subcommands, parsed.values);
      checkArgs(`${spec.name} ${sub.name}`, sub.args, rest);
      return await sub.run({ values: parsed.values, positionals: rest }, ctx);
    },
  };
}

export function parse(cmd: Command, argv: string[]): ParsedArgs {
  try {
    const r = parseArgs({ args: argv, options: { ...COMMON, ...cmd.options }, allowPositionals: true, strict: true });
    return { values: r.values, positionals: r.positionals };
  } catch (e) {
    throw new HfxError('HFX_E_USAGE', (e as Error).message.replace(/\. To specify.*$/s, ''), {
      hint: `See \`hfx ${cmd.name} --help\`.`,
    });
  }
}

export function makeCtx(io: Io, out: Output): Ctx {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(io.cwd, p));
  return {
    io,
    out,
    path,
    home: (v) => path(v ?? nonEmpty(io.env.HFX_HOME) ?? io.cwd),
  };
}

// ---- flag values ----

export function str(v: string | undefined, flag: string, cmd: string): string {
  if (v === undefined || v === '')
    throw new HfxError('HFX_E_USAGE', `--${flag} is required`, { hint: `See \`hfx ${cmd} --help\`.` });
  return v;
}

export function int(v: string | undefined, flag: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  const n = v !== undefined && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n))
    throw new HfxError('HFX_E_USAGE', `--${flag} must be a whole number ≥ 0, not ${JSON.stringify(v)}`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A size in bytes: a whole number with an optional binary unit (512K, 100M, 4G; KiB and KB alike). */
export function bytes(v: string | undefined, flag: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  const m = v !== undefined ? /^(\d+)\s*([KMGT]?)(?:i?B)?$/i.exec(v.trim()) : null;
  // The unit group always takes part (perhaps empty); an unknown unit is NaN, refused below.
  const n = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toUpperCase()] ?? NaN) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new HfxError('HFX_E_USAGE', `--${flag} must be a size such as 500M or 4G, not ${JSON.stringify(v)}`);
  return n;
}

const DURATION: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in milliseconds: a whole number with a unit (500ms, 90s, 2m, 24h, 7d); a bare number is seconds. */
export function duration(v: string | undefined, flag: string, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  const m = v !== undefined ? /^(\d+)\s*(ms|s|m|h|d)?$/i.exec(v.trim()) : null;
  const n = m ? Number(m[1]) * (DURATION[(m[2] ?? 's').toLowerCase()] ?? NaN) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new HfxError('HFX_E_USAGE', `--${flag} must be a duration such as 90s, 2m or 24h, not ${JSON.stringify(v)}`);
  return n;
}

/** `v` when it is one of `choices`, typed as that choice; undefined otherwise. */
export function choice<const T extends string>(v: string | undefined, choices: readonly T[]): T | undefined {
  return choices.find((c) => c === v);
}

/** The values of a repeatable flag, each also split on commas (`--scope a --scope b,c`). */
export function commaList(v: readonly string[] | undefined): string[] {
  return (v ?? [])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

// ---- help ----

function helpLines(title: string, usage: string, details: string | undefined, examples: readonly string[]): string {
  return [
    title,
    '',
    `Usage: ${usage}`,
    ...(details ? ['', details.trimEnd()] : []),
    '',
    'Common flags: --json (one JSON document on stdout), --help',
    '',
    'Examples:',
    ...examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

/** The command's examples of one subcommand: lines starting `$ hfx CMD SUB`, with their continuation lines. */
function examplesOf(cmd: Command, sub: Subcommand): string[] {
  const out: string[] = [];
  let taking = false;
  for (const e of cmd.examples) {
    if (e.startsWith('$ '))
      taking = e.startsWith(`$ hfx ${cmd.name} ${sub.name} `) || e === `$ hfx ${cmd.name} ${sub.name}`;
    if (taking) out.push(e);
  }
  return [...out, ...sub.examples];
}

/** --help of a command, or of its subcommand `sub` when it has one of that name. */
export function helpText(cmd: Command, sub?: string): string {
  const s = cmd.subcommands?.find((x) => x.name === sub);
  if (s) {
    const usage = [
      `hfx ${cmd.name} ${s.name}`,
      ...(s.helpUsage !== undefined ? [s.helpUsage] : [s.usage, cmd.commonUsage]),
    ]
      .filter(Boolean)
      .join(' ');
    return helpLines(`hfx ${cmd.name} ${s.name} — ${s.summary}`, usage, s.details, examplesOf(cmd, s));
  }
  return helpLines(
    `hfx ${[cmd.name, ...(cmd.aliases ?? [])].join(', ')} — ${cmd.summary}`,
    cmd.usage,
    cmd.details,
    cmd.examples,
  );
}
