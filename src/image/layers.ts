import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  write,
  writeFileSync,
} from 'node:fs';
import { promisify } from 'node:util';
import { join, posix } from 'node:path';
import { HfxError } from '../errors.js';
import {
  afterOf,
  expectedTree,
  type InstallState,
  type Layout,
  type LoadedRecord,
  type NodeState,
  readBaseline,
  readRecord,
  type Tree,
} from '../engine/index.js';
import type { GzipPool } from './gzip-pool.js';
import { pad, tarHeader, TAR_END, type TarEntry } from './tar.js';

/** Bumped whenever the bytes of a layer for the same input would change. */
const LAYER_FORMAT = 'hfx-image-layer/3';
/** The tar stream is compressed in independent gzip members of this many bytes. */
const CHUNK = 4 << 20;
const writeAt = promisify(write) as (
  fd: number,
  b: Uint8Array,
  off: number,
  len: number,
  pos: number,
) => Promise<{ bytesWritten: number }>;

export type PlanEntry =
  | { type: 'file'; path: string; mode: number; size: number; sha256: string; src: string; onDisk: boolean }
  | { type: 'dir'; path: string; mode: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'whiteout'; path: string };

export interface LayerPlan {
  /** sha256 of everything that decides the layer's bytes: the cache key. */
  key: string;
  /** What the layer is: "pack demo 1.0.0 level 0" or the hotfix id. */
  what: string;
  hotfix: string | null;
  entries: PlanEntry[];
}

export interface BuiltLayer {
  digest: string;
  diffId: string;
  size: number;
  what: string;
  cached: boolean;
}

/** The prefix as tar paths: "/opt/demo" → "opt/demo". */
export function normPrefix(prefix: string): string {
  const p = posix.normalize(`/${prefix}`).replace(/^\/+|\/+$/g, '');
  if (p.split('/').some((s) => s === '..'))
    throw new HfxError('HFX_E_USAGE', `--prefix ${prefix} is not a clean absolute path`);
  return p;
}

function modeOf(s: string): number {
  return parseInt(s, 8);
}

/**
 * Where the bytes of `path` as they were after layer `k` live now: in the backup of the first later
 * record that moved the path away, else on disk.
 */
function sourceFinder(
  l: Layout,
  records: LoadedRecord[],
): (path: string, afterLayer: number) => { src: string; onDisk: boolean } {
  // path → [record index, backup path] for every move step that saved the previous content
  const saves = new Map<string, [number, string][]>();
  records.forEach((r, i) => {
    for (const s of r.record.steps) {
      if (s.kind !== 'move' || s.save === null) continue;
      const list = saves.get(s.target) ?? [];
      list.push([i, join(l.home, s.save)]);
      saves.set(s.target, list);
    }
  });
  return (path, afterLayer) => {
    for (const [i, save] of saves.get(path) ?? []) if (i > afterLayer) return { src: save, onDisk: false };
    return { src: join(l.home, path), onDisk: true };
  };
}

function nodeEntry(
  prefix: string,
  path: string,
  n: NodeState,
  find: (p: string) => { src: string; onDisk: boolean },
): PlanEntry {
  const tp = prefix ? `${prefix}/${path}` : path;
  switch (n.type) {
    case 'dir':
      return { type: 'dir', path: tp, mode: modeOf(n.mode) };
    case 'symlink':
      return { type: 'symlink', path: tp, target: n.target };
    case 'file':
      return { type: 'file', path: tp, mode: modeOf(n.mode), size: n.size, sha256: n.sha256, ...find(path) };
  }
}

function keyOf(mtime: number, entries: PlanEntry[]): string {
  const h = createHash('sha256').update(JSON.stringify([LAYER_FORMAT, mtime, CHUNK]));
  for (const e of entries) {
    const { src: _s, onDisk: _o, ...rest } = e as PlanEntry & { src?: string; onDisk?: boolean };
    h.update(JSON.stringify(rest) + '\n');
  }
  return h.digest('hex');
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The layers of an installation: the pack at its release and level (baseline + updates), then one per hotfix. */
export async function planLayers(
  l: Layout,
  state: InstallState,
  opts: { prefix: string; mtime: number; squash?: boolean },
): Promise<LayerPlan[]> {
  const prefix = normPrefix(opts.prefix);
  if (opts.squash) return [await squashedLayer(l, state, prefix, opts.mtime)];
  const updates = await Promise.all(state.updates.map((u) => readRecord(l, u.id)));
  const hotfixes = await Promise.all(state.hotfixes.map((h) => readRecord(l, h.id)));
  const find = sourceFinder(l, hotfixes);
  const tree: Tree = readBaseline(l);
  for (const r of updates) {
    for (const e of r.manifest.entries) {
      const a = afterOf(r, e.path, e.after);
      if (a === null) tree.delete(e.path);
      else tree.set(e.path, a);
    }
  }
  const base: PlanEntry[] = [];
  const parts = prefix ? prefix.split('/') : [];
  for (let i = 1; i <= parts.length; i++) base.push({ type: 'dir', path: parts.slice(0, i).join('/'), mode: 0o755 });
  for (const [p, n] of tree) base.push(nodeEntry(prefix, p, n, (q) => find(q, -1)));
  base.sort(byPath);
  const what = `pack ${state.product} ${state.version} level ${state.level}`;
  const plans: LayerPlan[] = [{ key: keyOf(opts.mtime, base), what, hotfix: null, entries: base }];
  hotfixes.forEach((r, i) => {
    const afters = new Map<string, NodeState | null>();
    for (const e of r.manifest.entries) afters.set(e.path, afterOf(r, e.path, e.after));
    const entries: PlanEntry[] = [];
    for (const [p, a] of afters) {
      if (a !== null) {
        entries.push(nodeEntry(prefix, p, a, (q) => find(q, i)));
        continue;
      }
      // Only the top-most deleted path needs a whiteout; nothing under a replaced non-directory either.
      let covered = false;
      for (let d = posix.dirname(p); d !== '.' && !covered; d = posix.dirname(d)) {
        const up = afters.get(d);
        if (up !== undefined && up?.type !== 'dir') covered = true;
      }
      if (covered) continue;
      const dir = posix.dirname(p);
      const wh = `${dir === '.' ? '' : `${dir}/`}.wh.${posix.basename(p)}`;
      entries.push({ type: 'whiteout', path: prefix ? `${prefix}/${wh}` : wh });
    }
    entries.sort(byPath);
    plans.push({ key: keyOf(opts.mtime, entries), what: `hotfix ${r.manifest.id}`, hotfix: r.manifest.id, entries });
  });
  return plans;
}

export function cacheLayout(dir: string) {
  return {
    dir,
    blobs: join(dir, 'blobs', 'sha256'),
    blob: (digest: string) => join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')),
    layer: (key: string) => join(dir, 'layers', `${key}.json`),
  };
}
export type Cache = ReturnType<typeof cacheLayout>;

function drift(path: string, why: string): HfxError {
  return new HfxError('HFX_E_DRIFT', `${path} differs from the recorded state (${why}); no image was built`, {
    hint: 'Run `hfx verify` to see what changed and restore it; the image must be the recorded installation.',
  });
}

/**
 * Checks every path the installation should have (type, mode, size, link target) without reading
 * file contents: cheap, and run on every build, cached layers or not. Contents are checked against
 * their sha256 whenever a layer is built.
 */
export function statCheck(home: string, expected: Tree): void {
  for (const [rel, n] of expected) {
    const abs = join(home, rel);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      throw drift(rel, 'missing');
    }
    if (n.type === 'file' && (!st.isFile() || st.size !== n.size || (st.mode & 0o7777) !== modeOf(n.mode)))
      throw drift(rel, 'type, size or mode');
    if (n.type === 'dir' && (!st.isDirectory() || (st.mode & 0o7777) !== modeOf(n.mode)))
      throw drift(rel, 'type or mode');
    if (n.type === 'symlink' && (!st.isSymbolicLink() || readlinkSync(abs) !== n.target)) throw drift(rel, 'link');
  }
}

/** Builds one layer (or finds it in the cache): tar, checked against the recorded sha256s, gzip on every core. */
export async function buildLayer(
  plan: LayerPlan,
  opts: { cache: Cache; pool: GzipPool; mtime: number },
): Promise<BuiltLayer> {
  const { cache, pool, mtime } = opts;
  const cachedFile = cache.layer(plan.key);
  if (existsSync(cachedFile)) {
    try {
      const c = JSON.parse(readFileSync(cachedFile, 'utf8')) as { digest: string; diffId: string; size: number };
      if (existsSync(cache.blob(c.digest)) && lstatSync(cache.blob(c.digest)).size === c.size) {
        return { ...c, what: plan.what, cached: true };
      }
    } catch (e) {
      if (e instanceof HfxError) throw e;
      // a damaged cache entry is rebuilt
    }
  }
  mkdirSync(cache.blobs, { recursive: true });
  mkdirSync(join(cache.dir, 'layers'), { recursive: true });
  const tmp = join(cache.blobs, `.tmp-${process.pid}-${plan.key.slice(0, 16)}`);
  const fd = openSync(tmp, 'w', 0o644);
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  let gzSize = 0;
  const inFlight: Promise<Uint8Array>[] = [];
  let chunk = new Uint8Array(CHUNK);
  let used = 0;
  // The compressed members go to the file through the thread pool, one after the other, while
  // this thread goes on reading and hashing: written here, they took a fifth of a first build.
  let written: Promise<void> = Promise.resolve();
  let writing = 0;
  const writeAll = async (z: Uint8Array, at: number): Promise<void> => {
    let off = 0;
    while (off < z.byteLength) off += (await writeAt(fd, z, off, z.byteLength - off, at + off)).bytesWritten;
  };
  const writeOut = async (): Promise<void> => {
    const oldest = inFlight.shift();
    if (oldest === undefined) return;
    const z = await oldest;
    gzHash.update(z);
    const at = gzSize;
    gzSize += z.byteLength;
    writing++;
    written = written.then(() => writeAll(z, at)).finally(() => writing--);
    // At most a few members wait for the disk; a failed write stops the build here.
    if (writing > 4) await written;
  };
  const flush = async (): Promise<void> => {
    if (used === 0) return;
    const data = used === CHUNK ? chunk : chunk.slice(0, used);
    tarHash.update(data);
    inFlight.push(pool.compress(data));
    chunk = new Uint8Array(CHUNK);
    used = 0;
    while (inFlight.length > pool.size * 2) await writeOut();
  };
  const put = async (b: Uint8Array): Promise<void> => {
    let off = 0;
    while (off < b.length) {
      const n = Math.min(b.length - off, CHUNK - used);
      chunk.set(b.subarray(off, off + n), used);
      used += n;
      off += n;
      if (used === CHUNK) await flush();
    }
  };
  try {
    for (const e of plan.entries) {
      const te: TarEntry = e.type === 'whiteout' ? { type: 'file', path: e.path, mode: 0o644, size: 0 } : e;
      await put(tarHeader(te, mtime));
      if (e.type !== 'file') continue;
      let in_: number;
      try {
        in_ = openSync(e.src, 'r');
      } catch {
        throw drift(e.path, 'missing');
      }
      const h = createHash('sha256');
      let total = 0;
      try {
        for (;;) {
          if (used === CHUNK) await flush();
          const want = Math.min(CHUNK - used, e.size - total);
          if (want === 0) {
            // read one more byte to detect a file that grew
            const probe = Buffer.alloc(1);
            if (readSync(in_, probe, 0, 1, total) !== 0) throw drift(e.path, 'size');
            break;
          }
          const n = readSync(in_, chunk, used, want, total);
          if (n === 0) throw drift(e.path, 'size');
          h.update(chunk.subarray(used, used + n));
          used += n;
          total += n;
        }
      } finally {
        closeSync(in_);
      }
      if (h.digest('hex') !== e.sha256) throw drift(e.path, 'content');
      const p = pad(e.size);
      if (p) await put(new Uint8Array(p));
    }
    await put(TAR_END);
    await flush();
    while (inFlight.length) await writeOut();
    await written;
    fsyncSync(fd);
  } catch (err) {
    // let the compressions and writes in flight finish before the file goes
    await Promise.allSettled([...inFlight, written]);
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  const digest = `sha256:${gzHash.digest('hex')}`;
  const diffId = `sha256:${tarHash.digest('hex')}`;
  renameSync(tmp, cache.blob(digest));
  writeFileSync(cachedFile, JSON.stringify({ digest, diffId, size: gzSize }) + '\n');
  return { digest, diffId, size: gzSize, what: plan.what, cached: false };
}

/**
 * --squash: the installation as it is now (baseline, updates and hotfixes) in one layer, every
 * file read from the pack. Smaller to pull once; loses the per-hotfix layers and their reuse.
 */
async function squashedLayer(l: Layout, state: InstallState, prefix: string, mtime: number): Promise<LayerPlan> {
  const entries: PlanEntry[] = [];
  const parts = prefix ? prefix.split('/') : [];
  for (let i = 1; i <= parts.length; i++) entries.push({ type: 'dir', path: parts.slice(0, i).join('/'), mode: 0o755 });
  for (const [p, n] of await expectedTree(l, state))
    entries.push(nodeEntry(prefix, p, n, (q) => ({ src: join(l.home, q), onDisk: true })));
  entries.sort(byPath);
  const ids = state.hotfixes.map((h) => h.id);
  const what = `pack ${state.product} ${state.version} level ${state.level}${ids.length ? ` with ${ids.join(', ')}` : ''} (squashed)`;
  return { key: keyOf(mtime, entries), what, hotfix: null, entries };
}
