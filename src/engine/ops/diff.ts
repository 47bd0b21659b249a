import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import { ARCHIVE_FORMAT, parseManifest, type Manifest, type ManifestEntry, type NodeState, type Severity } from '../archive/manifest.js';
import { parsePrivateKey, signManifest, SIGNATURE_FORMAT, type SignatureFile } from '../archive/signature.js';
import { writeArchive } from '../archive/write-archive.js';
import { compareMany, hashMany } from '../fs/hash-pool.js';
import { walkTree, type WalkEntry } from '../fs/walk.js';
import { readKey } from './keys.js';

export interface DiffOptions {
  oldDir: string;
  newDir: string;
  out: string;
  product: string;
  version: string;
  level: number;
  id: string;
  title: string;
  description?: string;
  severity?: Severity;
  incident?: string | null;
  customer?: string | null;
  requires?: string[];
  supersedes?: string[];
  kind?: 'hotfix' | 'update';
  toLevel?: number | null;
  security?: boolean;
  includes?: string[];
  source?: Manifest['source'];
  /** Path of an ed25519 private key (NAME.key) to sign with. */
  signKey?: string;
  createdAt?: string;
  compressionLevel?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface DiffResult {
  out: string;
  id: string;
  added: number;
  modified: number;
  deleted: number;
  payloadBytes: number;
  signed: string | null;
}

type Walked = Map<string, WalkEntry>;

function walkDir(dir: string, what: string): Walked {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new HfxError('HFX_E_NOT_FOUND', `${what} directory ${dir} does not exist`, { hint: 'Give two unpacked product trees: hfx diff OLD NEW -o HF.zip' });
  const m = new Map<string, WalkEntry>();
  for (const e of walkTree(dir)) {
    if (e.type === 'other') throw new HfxError('HFX_E_UNSAFE_PATH', `${join(dir, e.path)} is a device, FIFO or socket`, { hint: 'hfx manages files, directories and links only.' });
    m.set(e.path, e);
  }
  return m;
}

/** Makes an archive of every difference between two trees: content, mode, type, added and removed. */
export async function diffTrees(opts: DiffOptions): Promise<DiffResult> {
  const oldDir = resolve(opts.oldDir);
  const newDir = resolve(opts.newDir);
  const key = opts.signKey === undefined ? undefined : parsePrivateKey(readKey(opts.signKey), opts.signKey);
  const a = walkDir(oldDir, 'old');
  const b = walkDir(newDir, 'new');

  // Files on both sides are compared byte for byte; only what differs gets hashed.
  const common: string[] = [];
  for (const [p, e] of a) if (e.type === 'file' && b.get(p)?.type === 'file') common.push(p);
  const cmp = await compareMany(common.map((p) => [`${oldDir}/${p}`, `${newDir}/${p}`] as [string, string]), (d, t) => opts.onProgress?.('compare', d, t));
  const toHash = new Set<string>(); // 'o:' + path or 'n:' + path
  const modeOnly = new Map<string, [string, string]>();
  common.forEach((p, i) => {
    const c = cmp[i];
    if (c === undefined) throw new HfxError('HFX_E_INTERNAL', `${p} was not compared`);
    if ('error' in c) throw new HfxError('HFX_E_IO', `cannot compare ${p}: ${c.error}`);
    if (!c.same) {
      toHash.add('o:' + p);
      toHash.add('n:' + p);
    } else if (c.modeA !== c.modeB) {
      toHash.add('n:' + p);
      modeOnly.set(p, [c.modeA, c.modeB]);
    }
  });
  for (const [p, e] of a) if (e.type === 'file' && b.get(p)?.type !== 'file') toHash.add('o:' + p);
  for (const [p, e] of b) if (e.type === 'file' && a.get(p)?.type !== 'file') toHash.add('n:' + p);
  const keys = [...toHash];
  const facts = await hashMany(keys.map((k) => `${k.startsWith('o') ? oldDir : newDir}/${k.slice(2)}`), (d, t) => opts.onProgress?.('hash', d, t));
  const hashed = new Map<string, NodeState>();
  keys.forEach((k, i) => {
    const f = facts[i];
    if (f === undefined) throw new HfxError('HFX_E_INTERNAL', `${k.slice(2)} was not hashed`);
    if ('error' in f) throw new HfxError('HFX_E_IO', `cannot read ${k.slice(2)}: ${f.error}`);
    hashed.set(k, { type: 'file', ...f });
  });

  const nodeOf = (side: 'o' | 'n', e: WalkEntry | undefined, p: string): NodeState | null => {
    if (!e) return null;
    if (e.type === 'dir') return { type: 'dir', mode: e.mode };
    if (e.type === 'symlink') return { type: 'symlink', target: e.target };
    const h = hashed.get(`${side}:${p}`);
    if (h) return h;
    const mo = modeOnly.get(p);
    const nh = hashed.get(`n:${p}`);
    if (mo && nh?.type === 'file') return { ...nh, mode: side === 'o' ? mo[0] : mo[1] };
    return null; // unchanged file: not needed
  };

  const entries: ManifestEntry[] = [];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const p of paths) {
    const ea = a.get(p);
    const eb = b.get(p);
    if (ea?.type === 'file' && eb?.type === 'file' && !toHash.has('n:' + p)) continue;
    const before = nodeOf('o', ea, p);
    const after = nodeOf('n', eb, p);
    if (before && after && JSON.stringify(before) === JSON.stringify(after)) continue;
    entries.push({ path: p, op: before === null ? 'add' : after === null ? 'delete' : 'modify', before, after });
  }

  const kind = opts.kind ?? 'hotfix';
  const manifest: Manifest = parseManifest({
    format: ARCHIVE_FORMAT,
    kind,
    id: opts.id,
    title: opts.title,
    description: opts.description ?? '',
    severity: opts.severity ?? 'S2',
    incident: opts.incident ?? null,
    customer: opts.customer ?? null,
    product: opts.product,
    release: opts.version,
    level: opts.level,
    toLevel: kind === 'update' ? (opts.toLevel ?? opts.level + 1) : null,
    security: opts.security ?? false,
    createdAt: opts.createdAt ?? new Date().toISOString(),
    requires: opts.requires ?? [],
    supersedes: opts.supersedes ?? [],
    includes: opts.includes ?? [],
    source: opts.source ?? null,
    entries,
  } satisfies Manifest);
  if (entries.length === 0) throw new HfxError('HFX_E_USAGE', `${oldDir} and ${newDir} are identical`, { hint: 'There is nothing to put in a hotfix.' });

  const signatures: SignatureFile | null = key ? { format: SIGNATURE_FORMAT, signatures: [signManifest(manifest, key)] } : null;
  await writeArchive(resolve(opts.out), manifest, signatures, (p) => ({ file: join(newDir, p) }), opts.compressionLevel === undefined ? {} : { compressionLevel: opts.compressionLevel });
  let payloadBytes = 0;
  for (const e of entries) if (e.after?.type === 'file' && (e.before?.type !== 'file' || e.before.sha256 !== e.after.sha256)) payloadBytes += e.after.size;
  return {
    out: resolve(opts.out),
    id: manifest.id,
    added: entries.filter((e) => e.op === 'add').length,
    modified: entries.filter((e) => e.op === 'modify').length,
    deleted: entries.filter((e) => e.op === 'delete').length,
    payloadBytes,
    signed: signatures?.signatures[0]?.keyid ?? null,
  };
}
