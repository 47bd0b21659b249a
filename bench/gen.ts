/**
 * Deterministic test data for the benchmark: two product packs and the files a hotfix changes.
 *
 * Everything here is a pure function of the seed and the scale (1 = full, 0.1 = --quick): file
 * lists, sizes and bytes. Binary bytes come from AES-256-CTR keyed by sha256(seed, path,
 * version), which is fast (GB/s) and incompressible like real jars; text bytes are slices of a
 * word corpus built once from the seeded PRNG, so they compress like real config files.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const GEN_VERSION = 1;
export const SEED = 'hfx-bench/1';

const KB = 1024;
const MB = 1024 * 1024;

/** mulberry32: tiny, fast, good enough to pick sizes and names reproducibly. */
export class Rng {
  private s: number;
  constructor(seed: string) {
    this.s = createHash('sha256').update(seed).digest().readUInt32LE(0);
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
  /** Log-uniform in [lo, hi]: many small values, a long tail of large ones, as in real packs. */
  logUniform(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.next() * (Math.log(hi) - Math.log(lo))));
  }
}

export interface FileSpec {
  path: string;
  size: number;
  kind: 'text' | 'bin';
  /** Content version: a hotfix's new file differs from the original by this alone. */
  ver: number;
}

export interface PackPlan {
  name: string;
  dirs: string[];
  files: FileSpec[];
}

export interface HotfixPlan {
  /** Files of the pack the hotfix modifies or deletes, as they are before it (in both packs). */
  originals: FileSpec[];
  /** New versions of modified files. */
  modified: FileSpec[];
  added: FileSpec[];
  addedDirs: string[];
  deleted: string[];
}

const WORDS = [
  'api',
  'core',
  'common',
  'impl',
  'util',
  'config',
  'resources',
  'static',
  'js',
  'css',
  'i18n',
  'templates',
  'schemas',
  'admin',
  'gateway',
  'store',
  'publisher',
  'portal',
  'modules',
  'extensions',
  'handlers',
  'mediators',
  'security',
  'tenant',
  'registry',
  'analytics',
  'metrics',
  'logs',
  'samples',
  'tools',
  'native',
  'data',
  'web',
  'WEB-INF',
  'META-INF',
  'classes',
  'org',
  'carbon',
  'service',
  'client',
  'internal',
  'model',
  'dto',
  'v1',
  'v2',
  'endpoints',
  'sequences',
  'policies',
  'scripts',
  'db',
  'mysql',
  'postgres',
  'oracle',
  'h2',
  'keys',
  'certs',
  'themes',
  'assets',
  'images',
  'fonts',
  'locale',
  'throttling',
  'oauth',
  'token',
  'cache',
  'cluster',
  'transport',
  'http',
  'jms',
  'kafka',
];

/** The i-th of WORDS: the hotfix plan names some of its files after them. */
function word(i: number): string {
  const w = WORDS[i];
  if (w === undefined) throw new Error(`WORDS has no word ${i}`);
  return w;
}

const TEXT_EXT = [
  'xml',
  'properties',
  'txt',
  'html',
  'js',
  'json',
  'sh',
  'md',
  'sql',
  'yaml',
  'css',
  'jsp',
  'xsd',
  'wsdl',
  'conf',
  'toml',
];
const BIN_EXT = ['class', 'png', 'gif', 'jks', 'ico', 'woff'];

/** Directories both packs have: the hotfix's files live here. */
const SKELETON = [
  'bin',
  'conf',
  'conf/security',
  'lib',
  'lib/runtime',
  'repository',
  'repository/components',
  'repository/components/plugins',
  'repository/components/lib',
  'repository/components/dropins',
  'repository/conf',
  'dbscripts',
  'docs',
];
const JAR_DIRS = ['lib', 'repository/components/plugins', 'repository/components/lib', 'repository/components/dropins'];

function depthOf(p: string): number {
  return p.split('/').length;
}

function randomDirs(rng: Rng, count: number): string[] {
  const dirs = [...SKELETON];
  const seen = new Set(dirs);
  while (dirs.length < count) {
    const parent = rng.pick(dirs);
    if (depthOf(parent) >= 8) continue;
    let name = `${parent}/${rng.pick(WORDS)}`;
    if (seen.has(name)) name = `${name}-${dirs.length}`;
    seen.add(name);
    dirs.push(name);
  }
  return dirs;
}

/** The hotfix: ~50 files, ~50 MB at scale 1 (sizes scale, counts do not). */
export function hotfixPlan(scale: number): HotfixPlan {
  const sz = (kb: number) => Math.max(64, Math.round(kb * KB * scale));
  const originals: FileSpec[] = [];
  const modified: FileSpec[] = [];
  const added: FileSpec[] = [];
  const deleted: string[] = [];
  const mod = (path: string, kb: number, kind: FileSpec['kind'], grow: number) => {
    originals.push({ path, size: sz(kb), kind, ver: 1 });
    modified.push({ path, size: sz(kb * grow), kind, ver: 2 });
  };
  mod('lib/runtime/platform-core.jar', 15 * 1024, 'bin', 1.03);
  [3800, 2900, 2400, 2000, 1700, 1400, 1200, 1000, 800, 600, 450, 300].forEach((kb, i) =>
    mod(`repository/components/plugins/org.bench.hf.${word(i)}_4.2.0.jar`, kb, 'bin', 1.03),
  );
  [900, 700, 500, 350, 200, 120].forEach((kb, i) => mod(`repository/components/lib/hf-lib-${i}.jar`, kb, 'bin', 1.03));
  [2, 4, 6, 8, 10, 12, 14, 16, 20, 24].forEach((kb, i) => mod(`conf/hf-${word(i + 20)}.xml`, kb, 'text', 1.05));
  [1, 2, 4, 6].forEach((kb, i) => mod(`bin/hf-${word(i + 40)}.sh`, kb, 'text', 1.1));
  [1200, 800, 500].forEach((kb, i) => {
    const path = `repository/components/plugins/org.bench.hf.old${i}_4.1.0.jar`;
    originals.push({ path, size: sz(kb), kind: 'bin', ver: 1 });
    deleted.push(path);
  });
  [3, 5].forEach((kb, i) => {
    const path = `conf/hf-old-${i}.properties`;
    originals.push({ path, size: sz(kb), kind: 'text', ver: 1 });
    deleted.push(path);
  });
  [3000, 2500, 2000, 1500, 1000, 600].forEach((kb, i) =>
    added.push({
      path: `repository/components/plugins/org.bench.hf.new${i}_4.2.1.jar`,
      size: sz(kb),
      kind: 'bin',
      ver: 2,
    }),
  );
  [4, 6, 9, 12].forEach((kb, i) =>
    added.push({ path: `conf/security/hf-new-${i}.xml`, size: sz(kb), kind: 'text', ver: 2 }),
  );
  const dir = 'repository/components/dropins/hf-patch-0001';
  added.push({ path: `${dir}/hf-patch.jar`, size: sz(1500), kind: 'bin', ver: 2 });
  added.push({ path: `${dir}/README.txt`, size: sz(2), kind: 'text', ver: 2 });
  return { originals, modified, added, addedDirs: [dir], deleted };
}

/** Pack A: 20,000 files (at scale 1), ~1.5 GB: small text and class files, jars, a few big files. */
export function planPackA(scale: number): PackPlan {
  const rng = new Rng(`${SEED}/A`);
  const hf = hotfixPlan(scale);
  const total = Math.round(20_000 * scale);
  const targetBytes = 1.5e9 * scale;
  const dirs = randomDirs(rng, Math.round(total / 20));
  const files: FileSpec[] = [...hf.originals];
  // A few big files (20-100 MB at scale 1): runtime images, data files, a bundled webapp.
  const big: [string, number][] = [
    ['lib/runtime/jdk-modules.zip', 100],
    ['repository/database/seed.db', 80],
    ['dist/bench-console.war', 64],
    ['lib/native/libbench-engine.so', 48],
    ['docs/api-reference.zip', 32],
    ['repository/resources/geoip.dat', 24],
  ];
  for (const [p, mb] of big) files.push({ path: p, size: Math.round(mb * MB * scale), kind: 'bin', ver: 1 });
  for (const p of big) {
    const d = p[0].slice(0, p[0].lastIndexOf('/'));
    for (let q = d; q !== '' && !dirs.includes(q); q = q.includes('/') ? q.slice(0, q.lastIndexOf('/')) : '')
      dirs.push(q);
  }
  const nJars = Math.round(800 * scale);
  const nSmall = total - files.length - nJars;
  const small: FileSpec[] = [];
  for (let i = 0; i < nSmall; i++) {
    const text = rng.next() < 0.8;
    const dir = rng.pick(dirs);
    const ext = text ? rng.pick(TEXT_EXT) : rng.pick(BIN_EXT);
    small.push({
      path: `${dir}/${rng.pick(WORDS)}${i}.${ext}`,
      size: rng.logUniform(256, 48 * KB),
      kind: text ? 'text' : 'bin',
      ver: 1,
    });
  }
  const jars: FileSpec[] = [];
  for (let i = 0; i < nJars; i++) {
    const dir = rng.next() < 0.5 ? rng.pick(JAR_DIRS) : rng.pick(dirs);
    jars.push({
      path: `${dir}/${rng.pick(WORDS)}-${rng.pick(WORDS)}-${i}.jar`,
      size: rng.logUniform(100 * KB, 5 * MB),
      kind: 'bin',
      ver: 1,
    });
  }
  // Scale the jars so that the pack lands on ~1.5 GB (times the scale).
  const fixed = [...files, ...small].reduce((s, f) => s + f.size, 0);
  const raw = jars.reduce((s, f) => s + f.size, 0);
  const k = Math.max(0.1, (targetBytes - fixed) / raw);
  for (const j of jars) j.size = Math.min(5 * MB, Math.max(100 * KB, Math.round(j.size * k)));
  files.push(...small, ...jars);
  return { name: 'A', dirs: sortDirs(dirs, files), files };
}

/** Pack B: 200,000 small files (at scale 1), 64 B to 8 KB each, plus the hotfix's originals. */
export function planPackB(scale: number): PackPlan {
  const rng = new Rng(`${SEED}/B`);
  const hf = hotfixPlan(scale);
  const total = Math.round(200_000 * scale);
  const dirs = randomDirs(rng, Math.round(total / 25));
  const files: FileSpec[] = [...hf.originals];
  for (let i = files.length; i < total; i++) {
    const text = rng.next() < 0.85;
    const dir = rng.pick(dirs);
    const ext = text ? rng.pick(TEXT_EXT) : rng.pick(BIN_EXT);
    files.push({
      path: `${dir}/${rng.pick(WORDS)}${i}.${ext}`,
      size: rng.logUniform(64, 8 * KB),
      kind: text ? 'text' : 'bin',
      ver: 1,
    });
  }
  return { name: 'B', dirs: sortDirs(dirs, files), files };
}

/** Every directory any file needs, parents before children. */
function sortDirs(dirs: string[], files: FileSpec[]): string[] {
  const all = new Set<string>();
  const add = (d: string) => {
    for (let q = d; q !== '' && !all.has(q); q = q.includes('/') ? q.slice(0, q.lastIndexOf('/')) : '') all.add(q);
  };
  dirs.forEach(add);
  for (const f of files) add(f.path.slice(0, Math.max(0, f.path.lastIndexOf('/'))));
  return [...all].sort((a, b) => depthOf(a) - depthOf(b) || (a < b ? -1 : 1));
}

let corpus: Buffer | undefined;
/** 8 MB of text lines from the seeded PRNG; text files are slices of it with their own header. */
function textCorpus(): Buffer {
  if (corpus) return corpus;
  const rng = new Rng(`${SEED}/corpus`);
  const parts: string[] = [];
  let n = 0;
  while (n < 8 * MB) {
    const indent = '  '.repeat(rng.int(0, 4));
    const words = Array.from({ length: rng.int(2, 12) }, () => rng.pick(WORDS)).join(rng.next() < 0.5 ? ' ' : '.');
    const line =
      rng.next() < 0.5
        ? `${indent}<${rng.pick(WORDS)} name="${words}">${rng.int(0, 99999)}</${rng.pick(WORDS)}>\n`
        : `${indent}${words} = ${rng.int(0, 1 << 30)}\n`;
    parts.push(line);
    n += line.length;
  }
  corpus = Buffer.from(parts.join(''));
  return corpus;
}

const ZERO = Buffer.alloc(8 * MB);

/** The bytes of one file, handed out in chunks of up to 8 MB. */
export function contentChunks(f: FileSpec, emit: (b: Buffer) => void): void {
  const key = createHash('sha256').update(`${SEED}\0${f.path}\0${f.ver}`).digest();
  if (f.kind === 'bin') {
    const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
    for (let left = f.size; left > 0;) {
      const n = Math.min(left, ZERO.length);
      emit(c.update(ZERO.subarray(0, n)));
      left -= n;
    }
    return;
  }
  const text = textCorpus();
  const head = Buffer.from(`# ${f.path} (version ${f.ver})\n`).subarray(0, f.size);
  emit(head);
  let left = f.size - head.length;
  let off = key.readUInt32LE(0) % text.length;
  while (left > 0) {
    const n = Math.min(left, text.length - off);
    emit(text.subarray(off, off + n));
    left -= n;
    off = 0;
  }
}

export function writeFileSpec(root: string, f: FileSpec): void {
  const fd = openSync(join(root, f.path), 'w', 0o644);
  try {
    contentChunks(f, (b) => {
      for (let o = 0; o < b.length;) o += writeSync(fd, b, o, b.length - o);
    });
  } finally {
    closeSync(fd);
  }
}

/** Writes a pack from scratch. */
export function writePack(root: string, plan: PackPlan, onProgress?: (done: number, total: number) => void): void {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  for (const d of plan.dirs) mkdirSync(join(root, d), { recursive: true });
  plan.files.forEach((f, i) => {
    writeFileSpec(root, f);
    if (onProgress && i % 5000 === 0) onProgress(i, plan.files.length);
  });
}

/** Turns a copy of a pack into the hotfixed version of it. */
export function applyPlanTo(root: string, hf: HotfixPlan): void {
  for (const d of hf.addedDirs) mkdirSync(join(root, d), { recursive: true });
  for (const f of [...hf.modified, ...hf.added]) {
    rmSync(join(root, f.path), { force: true }); // a fresh inode, never writing through a hard link
    writeFileSpec(root, f);
  }
  for (const p of hf.deleted) rmSync(join(root, p));
}

export function sumBytes(files: readonly FileSpec[]): number {
  return files.reduce((s, f) => s + f.size, 0);
}
