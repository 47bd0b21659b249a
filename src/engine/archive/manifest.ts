import { z } from 'zod';
import { HfxError } from '../../errors.js';
import { ARCHIVE_FORMAT, PAYLOAD_PREFIX } from './format.js';
import { NAME_RE, NAME_RULE } from '../../names.js';
import { checkNoTwins, checkRelPath, parentOf } from './paths.js';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
const Mode = z.string().regex(/^0[0-7]{3,4}$/, 'an octal mode such as "0644"');
const Id = z.string().regex(NAME_RE, NAME_RULE);
const Name = z.string().regex(NAME_RE, NAME_RULE);

const FileNode = z.strictObject({ type: z.literal('file'), sha256: Sha256, size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), mode: Mode });
const LinkNode = z.strictObject({ type: z.literal('symlink'), target: z.string().min(1).max(4096) });
const DirNode = z.strictObject({ type: z.literal('dir'), mode: Mode });
const Node = z.discriminatedUnion('type', [FileNode, LinkNode, DirNode]);

const Entry = z.strictObject({
  path: z.string(),
  op: z.enum(['add', 'modify', 'delete']),
  before: Node.nullable(),
  after: Node.nullable(),
});

const Source = z.strictObject({
  repository: z.string().max(2048).optional(),
  tag: z.string().max(256).optional(),
  tagCommit: z.string().max(64).optional(),
  branch: z.string().max(256).optional(),
  commit: z.string().max(64).optional(),
  commits: z.array(z.strictObject({ sha: z.string().max(64), subject: z.string().max(1000) })).max(10_000).optional(),
});

const ManifestSchema = z.strictObject({
  format: z.literal(ARCHIVE_FORMAT),
  kind: z.enum(['hotfix', 'update']),
  id: Id,
  title: z.string().min(1).max(500),
  description: z.string().max(100_000),
  severity: z.enum(['S1', 'S2', 'S3', 'S4']),
  incident: z.string().max(200).nullable(),
  customer: Name.nullable(),
  product: Name,
  release: Name,
  level: z.number().int().min(0).max(1_000_000),
  toLevel: z.number().int().min(0).max(1_000_000).nullable(),
  security: z.boolean(),
  createdAt: z.string().max(40),
  requires: z.array(Id).max(10_000),
  supersedes: z.array(Id).max(10_000),
  includes: z.array(Id).max(100_000),
  source: Source.nullable(),
  entries: z.array(Entry).max(2_000_000),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestEntry = z.infer<typeof Entry>;
export type NodeState = z.infer<typeof Node>;
export type FileState = z.infer<typeof FileNode>;
export type Severity = Manifest['severity'];

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
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) {
    const first = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new HfxError('HFX_E_MANIFEST', `the manifest does not follow ${ARCHIVE_FORMAT}: ${first.join('; ')}`, {
      hint: 'The archive is malformed or from an incompatible hfx; nothing was changed.',
      details: r.error.issues.slice(0, 20),
    });
  }
  const m = r.data;
  const bad = (msg: string): never => {
    throw new HfxError('HFX_E_MANIFEST', msg, { hint: 'The archive is malformed; nothing was changed.' });
  };
  if (m.kind === 'hotfix' && (m.toLevel !== null || m.includes.length > 0)) bad('a hotfix has no toLevel and includes nothing');
  if (m.kind === 'update' && (m.toLevel === null || m.toLevel <= m.level)) bad('an update needs toLevel greater than level');
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
  checkNoTwins(m.entries.map((e) => e.path), 'manifest path');
  // A path cannot be both a file and the parent of another entry after the change.
  for (const e of m.entries) {
    const p = parentOf(e.path);
    const pe = p ? byPath.get(p) : undefined;
    if (pe) {
      if (e.after !== null && pe.after?.type !== 'dir') bad(`entry ${JSON.stringify(e.path)} lies under ${JSON.stringify(p)}, which is not a directory after the change`);
    }
  }
  return m;
}

export function sameNode(a: NodeState | null, b: NodeState | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'file': return b.type === 'file' && a.sha256 === b.sha256 && a.size === b.size && a.mode === b.mode;
    case 'dir': return b.type === 'dir' && a.mode === b.mode;
    case 'symlink': return b.type === 'symlink' && a.target === b.target;
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
