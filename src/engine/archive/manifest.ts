import { HfxError } from '../../errors.js';
import { ARCHIVE_FORMAT, ARCHIVE_KINDS, PAYLOAD_PREFIX, SEVERITIES } from './format.js';
import { NAME_RE, NAME_RULE } from '../../names.js';
import { checkNoTwins, checkRelPath, parentOf } from './paths.js';

// The schema is checked by hand rather than with a schema library: loading one cost every
// `hfx apply` about 45 ms of start-up (zod's 95 modules), a sixth of what `unzip` needs for the
// whole job. The rules are those of a strict schema: every field present with its type, no other
// field (an own "__proto__" included), and the result is a fresh object with the fields in order.

export interface FileState {
  type: 'file';
  sha256: string;
  size: number;
  mode: string;
}
export interface LinkState {
  type: 'symlink';
  target: string;
}
export interface DirState {
  type: 'dir';
  mode: string;
}
export type NodeState = FileState | LinkState | DirState;

export interface ManifestEntry {
  path: string;
  op: 'add' | 'modify' | 'delete';
  before: NodeState | null;
  after: NodeState | null;
}

export interface ManifestSource {
  repository?: string;
  tag?: string;
  tagCommit?: string;
  branch?: string;
  commit?: string;
  commits?: { sha: string; subject: string }[];
}

export interface Manifest {
  format: typeof ARCHIVE_FORMAT;
  kind: (typeof ARCHIVE_KINDS)[number];
  id: string;
  title: string;
  description: string;
  severity: (typeof SEVERITIES)[number];
  incident: string | null;
  customer: string | null;
  product: string;
  release: string;
  level: number;
  toLevel: number | null;
  security: boolean;
  createdAt: string;
  requires: string[];
  supersedes: string[];
  includes: string[];
  source: ManifestSource | null;
  entries: ManifestEntry[];
}

export type Severity = Manifest['severity'];

const SHA256_RE = /^[0-9a-f]{64}$/;
const MODE_RE = /^0[0-7]{3,4}$/;

/** One schema violation: where (a path of keys and indexes) and what was expected. */
interface Issue {
  path: (string | number)[];
  message: string;
}

class SchemaError extends Error {
  constructor(readonly issue: Issue) {
    super(issue.message);
  }
}

type At = (string | number)[];

function fail(at: At, message: string): never {
  throw new SchemaError({ path: at, message });
}

function record(
  v: unknown,
  at: At,
  keys: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(at, 'expected an object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!keys.includes(k) && !optional.includes(k)) fail(at, `unrecognized key ${JSON.stringify(k)}`);
  for (const k of keys) if (!Object.hasOwn(o, k)) fail([...at, k], 'required');
  return o;
}

function str(v: unknown, at: At, opts: { min?: number; max?: number; re?: RegExp; rule?: string } = {}): string {
  if (typeof v !== 'string') fail(at, 'expected a string');
  if (opts.min !== undefined && v.length < opts.min) fail(at, `expected at least ${opts.min} character(s)`);
  if (opts.max !== undefined && v.length > opts.max) fail(at, `expected at most ${opts.max} characters`);
  if (opts.re && !opts.re.test(v)) fail(at, opts.rule ?? `does not match ${String(opts.re)}`);
  return v;
}

function int(v: unknown, at: At, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(at, 'expected an integer');
  if (v < 0 || v > max) fail(at, `expected an integer from 0 to ${max}`);
  return v;
}

function oneOf<T extends string>(v: unknown, at: At, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    fail(at, `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
  return v as T;
}

function list<T>(v: unknown, at: At, max: number, item: (x: unknown, at: At) => T): T[] {
  if (!Array.isArray(v)) fail(at, 'expected an array');
  if (v.length > max) fail(at, `expected at most ${max} items`);
  return v.map((x, i) => item(x, [...at, i]));
}

function nullable<T>(v: unknown, at: At, item: (x: unknown, at: At) => T): T | null {
  return v === null ? null : item(v, at);
}

const sha256 = (v: unknown, at: At) => str(v, at, { re: SHA256_RE, rule: 'a lowercase hex sha256' });
const mode = (v: unknown, at: At) => str(v, at, { re: MODE_RE, rule: 'an octal mode such as "0644"' });
const name = (v: unknown, at: At) => str(v, at, { re: NAME_RE, rule: NAME_RULE });

function node(v: unknown, at: At): NodeState {
  const type =
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>).type : undefined;
  switch (type) {
    case 'file': {
      const o = record(v, at, ['type', 'sha256', 'size', 'mode']);
      return {
        type: 'file',
        sha256: sha256(o.sha256, [...at, 'sha256']),
        size: int(o.size, [...at, 'size'], Number.MAX_SAFE_INTEGER),
        mode: mode(o.mode, [...at, 'mode']),
      };
    }
    case 'symlink': {
      const o = record(v, at, ['type', 'target']);
      return { type: 'symlink', target: str(o.target, [...at, 'target'], { min: 1, max: 4096 }) };
    }
    case 'dir': {
      const o = record(v, at, ['type', 'mode']);
      return { type: 'dir', mode: mode(o.mode, [...at, 'mode']) };
    }
    default:
      return fail([...at, 'type'], 'expected "file", "symlink" or "dir"');
  }
}

function entry(v: unknown, at: At): ManifestEntry {
  const o = record(v, at, ['path', 'op', 'before', 'after']);
  return {
    path: str(o.path, [...at, 'path']),
    op: oneOf(o.op, [...at, 'op'], ['add', 'modify', 'delete'] as const),
    before: nullable(o.before, [...at, 'before'], node),
    after: nullable(o.after, [...at, 'after'], node),
  };
}

const SOURCE_KEYS = ['repository', 'tag', 'tagCommit', 'branch', 'commit', 'commits'] as const;
const SOURCE_MAX = { repository: 2048, tag: 256, tagCommit: 64, branch: 256, commit: 64 } as const;

function source(v: unknown, at: At): ManifestSource {
  const o = record(v, at, [], SOURCE_KEYS);
  const out: ManifestSource = {};
  for (const k of SOURCE_KEYS) {
    const x = o[k];
    if (x === undefined) continue;
    if (k === 'commits') {
      out.commits = list(x, [...at, k], 10_000, (c, cat) => {
        const co = record(c, cat, ['sha', 'subject']);
        return {
          sha: str(co.sha, [...cat, 'sha'], { max: 64 }),
          subject: str(co.subject, [...cat, 'subject'], { max: 1000 }),
        };
      });
    } else out[k] = str(x, [...at, k], { max: SOURCE_MAX[k] });
  }
  return out;
}

const MANIFEST_KEYS = [
  'format',
  'kind',
  'id',
  'title',
  'description',
  'severity',
  'incident',
  'customer',
  'product',
  'release',
  'level',
  'toLevel',
  'security',
  'createdAt',
  'requires',
  'supersedes',
  'includes',
  'source',
  'entries',
] as const;

function manifestSchema(v: unknown): Manifest {
  const o = record(v, [], MANIFEST_KEYS);
  if (o.format !== ARCHIVE_FORMAT) fail(['format'], `expected ${JSON.stringify(ARCHIVE_FORMAT)}`);
  if (typeof o.security !== 'boolean') fail(['security'], 'expected a boolean');
  return {
    format: ARCHIVE_FORMAT,
    kind: oneOf(o.kind, ['kind'], ARCHIVE_KINDS),
    id: name(o.id, ['id']),
    title: str(o.title, ['title'], { min: 1, max: 500 }),
    description: str(o.description, ['description'], { max: 100_000 }),
    severity: oneOf(o.severity, ['severity'], SEVERITIES),
    incident: nullable(o.incident, ['incident'], (x, at) => str(x, at, { max: 200 })),
    customer: nullable(o.customer, ['customer'], name),
    product: name(o.product, ['product']),
    release: name(o.release, ['release']),
    level: int(o.level, ['level'], 1_000_000),
    toLevel: nullable(o.toLevel, ['toLevel'], (x, at) => int(x, at, 1_000_000)),
    security: o.security,
    createdAt: str(o.createdAt, ['createdAt'], { max: 40 }),
    requires: list(o.requires, ['requires'], 10_000, name),
    supersedes: list(o.supersedes, ['supersedes'], 10_000, name),
    includes: list(o.includes, ['includes'], 100_000, name),
    source: nullable(o.source, ['source'], source),
    entries: list(o.entries, ['entries'], 2_000_000, entry),
  };
}

/** The payload entry of a manifest entry, or null when its content is already in the pack (or it has none). */
export function payloadName(e: ManifestEntry): string | null {
  const a = e.after;
  if (a?.type !== 'file') return null;
  const b = e.before;
  if (b?.type === 'file' && b.sha256 === a.sha256) return null; // mode change only
  return PAYLOAD_PREFIX + e.path;
}

/** Validates a parsed manifest: schema first, then the rules a schema cannot say. */
export function parseManifest(raw: unknown): Manifest {
  let m: Manifest;
  try {
    m = manifestSchema(raw);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    const i = e.issue;
    throw new HfxError(
      'HFX_E_MANIFEST',
      `the manifest does not follow ${ARCHIVE_FORMAT}: ${i.path.join('.') || '(root)'}: ${i.message}`,
      {
        hint: 'The archive is malformed or from an incompatible hfx; nothing was changed.',
        details: [i],
      },
    );
  }
  const bad = (msg: string): never => {
    throw new HfxError('HFX_E_MANIFEST', msg, { hint: 'The archive is malformed; nothing was changed.' });
  };
  if (m.kind === 'hotfix' && (m.toLevel !== null || m.includes.length > 0))
    bad('a hotfix has no toLevel and includes nothing');
  if (m.kind === 'update' && (m.toLevel === null || m.toLevel <= m.level))
    bad('an update needs toLevel greater than level');
  if (Number.isNaN(Date.parse(m.createdAt))) bad('createdAt is not a date');
  const byPath = new Map<string, ManifestEntry>();
  for (const e of m.entries) {
    checkRelPath(e.path, 'manifest path');
    byPath.set(e.path, e);
    const expect = e.op === 'add' ? [false, true] : e.op === 'delete' ? [true, false] : [true, true];
    if ((e.before !== null) !== expect[0] || (e.after !== null) !== expect[1]) {
      bad(`entry ${JSON.stringify(e.path)}: op "${e.op}" does not match its before/after`);
    }
    if (e.op === 'modify' && sameNode(e.before, e.after)) bad(`entry ${JSON.stringify(e.path)} modifies nothing`);
    for (const n of [e.before, e.after]) if (n?.type === 'symlink') checkLinkTarget(e.path, n.target);
  }
  checkNoTwins(
    m.entries.map((e) => e.path),
    'manifest path',
  );
  // A path cannot be both a file and the parent of another entry after the change.
  for (const e of m.entries) {
    const p = parentOf(e.path);
    const pe = p ? byPath.get(p) : undefined;
    if (pe) {
      if (e.after !== null && pe.after?.type !== 'dir')
        bad(
          `entry ${JSON.stringify(e.path)} lies under ${JSON.stringify(p)}, which is not a directory after the change`,
        );
    }
  }
  return m;
}

export function sameNode(a: NodeState | null, b: NodeState | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'file':
      return b.type === 'file' && a.sha256 === b.sha256 && a.size === b.size && a.mode === b.mode;
    case 'dir':
      return b.type === 'dir' && a.mode === b.mode;
    case 'symlink':
      return b.type === 'symlink' && a.target === b.target;
  }
}

/** A symlink in a pack must be relative and resolve inside the pack. */
function checkLinkTarget(path: string, target: string): void {
  const fail = (why: string): never => {
    throw new HfxError('HFX_E_UNSAFE_PATH', `symlink ${JSON.stringify(path)} -> ${JSON.stringify(target)} ${why}`, {
      hint: 'Links must stay inside the pack; nothing was changed.',
    });
  };
  // \p{Cc}: the C0 and C1 control characters, U+0000–U+001F and U+007F–U+009F.
  if (target.startsWith('/') || /^[A-Za-z]:/.test(target) || /[\p{Cc}\\]/u.test(target)) {
    fail('is absolute or has forbidden characters');
  }
  const stack = parentOf(path) === '' ? [] : parentOf(path).split('/');
  let named = false;
  for (const seg of target.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      // The kernel resolves "a/.." through a, which may itself be a link: only leading ".." are
      // resolved the same way on paper and on disk.
      if (named) fail('has ".." after a name (it could climb out through another link)');
      if (stack.length === 0) fail('points outside the pack');
      stack.pop();
    } else {
      named = true;
      stack.push(seg);
    }
  }
  if (stack[0]?.toLowerCase() === '.hfx') fail('points into .hfx/');
}

export { ARCHIVE_FORMAT, MANIFEST_NAME, PAYLOAD_PREFIX, SIGNATURE_NAME } from './format.js';
export { modeNumber, modeString } from './mode.js';
