import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import {
  ARCHIVE_FORMAT,
  parseManifest,
  type Manifest,
  type ManifestEntry,
  type NodeState,
  type Severity,
} from '../archive/manifest.js';
import { parsePrivateKey, signManifest, SIGNATURE_FORMAT, type SignatureFile } from '../archive/signature.js';
import { writeArchive } from '../archive/write-archive.js';
import { HASH_BATCH, HashPool } from '../fs/hash-pool.js';
import type { FactsOrError } from '../fs/hash-core.js';
import { walkTree, walkTreeEach, type WalkEntry } from '../fs/walk.js';
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

function checkDir(dir: string, what: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new HfxError('HFX_E_NOT_FOUND', `${what} directory ${dir} does not exist`, {
      hint: 'Give two unpacked product trees: hfx diff OLD NEW -o HF.zip',
    });
}

function walked(dir: string, m: Walked, e: WalkEntry): void {
  if (e.type === 'other')
    throw new HfxError('HFX_E_UNSAFE_PATH', `${join(dir, e.path)} is a device, FIFO or socket`, {
      hint: 'hfx manages files, directories and links only.',
    });
  m.set(e.path, e);
}

/** Makes an archive of every difference between two trees: content, mode, type, added and removed. */
export async function diffTrees(opts: DiffOptions): Promise<DiffResult> {
  const oldDir = resolve(opts.oldDir);
  const newDir = resolve(opts.newDir);
  const key = opts.signKey === undefined ? undefined : parsePrivateKey(readKey(opts.signKey), opts.signKey);
  checkDir(oldDir, 'old');
  checkDir(newDir, 'new');

  // One pass: the old tree is listed, then the new one, and every pair of files found on both
  // sides goes to the workers at once, which compare them byte for byte (as `diff -q` does) and,
  // only when they differ, hash both sides; files on one side only are hashed. The workers start
  // while the old tree is listed.
  const pool = new HashPool((d, t) => opts.onProgress?.('compare', d, t));
  const hashed = new Map<string, NodeState>(); // 'o:' + path or 'n:' + path
  const changed = new Set<string>(); // common files whose content or mode differs
  const modeOnly = new Map<string, [string, string]>();
  const a: Walked = new Map();
  const b: Walked = new Map();
  try {
    for (const e of walkTree(oldDir)) walked(oldDir, a, e);
    if (a.size >= HASH_BATCH) pool.warm();
    const parts: Promise<void>[] = [];
    const keep = (p: Promise<void>): void => {
      p.catch(() => undefined); // awaited below; a walk that throws first must not leave it unhandled
      parts.push(p);
    };
    const setFacts = (k: string, f: FactsOrError | undefined): void => {
      if (!f || 'error' in f) throw new HfxError('HFX_E_IO', `cannot read ${k.slice(2)}: ${f ? f.error : 'no result'}`);
      hashed.set(k, { type: 'file', ...f });
    };
    let pairs: string[] = [];
    let lone: string[] = []; // 'o:' / 'n:' + path
    const flushPairs = (): void => {
      const ps = pairs;
      pairs = [];
      keep(
        pool
          .compare(
            ps.map((p) => [`${oldDir}/${p}`, `${newDir}/${p}`] as [string, string]),
            true,
          )
          .then((rs) => {
            ps.forEach((p, i) => {
              const c = rs[i];
              if (c === undefined) throw new HfxError('HFX_E_INTERNAL', `no comparison came back for ${p}`);
              if ('error' in c) throw new HfxError('HFX_E_IO', `cannot compare ${p}: ${c.error}`);
              if (!c.same) {
                changed.add(p);
                setFacts('o:' + p, c.a);
                setFacts('n:' + p, c.b);
              } else if (c.modeA !== c.modeB) {
                changed.add(p);
                setFacts('n:' + p, c.b);
                modeOnly.set(p, [c.modeA, c.modeB]);
              }
            });
          }),
      );
    };
    const flushLone = (): void => {
      const ks = lone;
      lone = [];
      keep(
        pool
          .hash(ks.map((k) => `${k.startsWith('o') ? oldDir : newDir}/${k.slice(2)}`))
          .then((fs) => ks.forEach((k, i) => setFacts(k, fs[i]))),
      );
    };
    await walkTreeEach(newDir, (path, type, info) => {
      const e: WalkEntry =
        type === 'dir'
          ? { path, type, mode: info }
          : type === 'symlink'
            ? { path, type, target: info }
            : { path, type };
      walked(newDir, b, e);
      if (e.type !== 'file') return;
      if (a.get(e.path)?.type === 'file') {
        pairs.push(e.path);
        if (pairs.length === HASH_BATCH) flushPairs();
      } else {
        lone.push('n:' + e.path);
        if (lone.length === HASH_BATCH) flushLone();
      }
    });
    for (const [p, e] of a) {
      if (e.type !== 'file' || b.get(p)?.type === 'file') continue;
      lone.push('o:' + p);
      if (lone.length === HASH_BATCH) flushLone();
    }
    if (pairs.length > 0) flushPairs();
    if (lone.length > 0) flushLone();
    pool.drain();
    await Promise.all(parts);
  } finally {
    await pool.close();
  }

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
    if (ea?.type === 'file' && eb?.type === 'file' && !changed.has(p)) continue;
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
  if (entries.length === 0)
    throw new HfxError('HFX_E_USAGE', `${oldDir} and ${newDir} are identical`, {
      hint: 'There is nothing to put in a hotfix.',
    });

  const signatures: SignatureFile | null = key
    ? { format: SIGNATURE_FORMAT, signatures: [signManifest(manifest, key)] }
    : null;
  await writeArchive(
    resolve(opts.out),
    manifest,
    signatures,
    (p) => ({ file: join(newDir, p) }),
    opts.compressionLevel === undefined ? {} : { compressionLevel: opts.compressionLevel },
  );
  let payloadBytes = 0;
  for (const e of entries)
    if (e.after?.type === 'file' && (e.before?.type !== 'file' || e.before.sha256 !== e.after.sha256))
      payloadBytes += e.after.size;
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
