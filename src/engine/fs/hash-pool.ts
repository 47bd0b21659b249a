import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { modeString } from '../archive/mode.js';
import { fileLine } from '../home/baseline-line.js';
import { hashFileRaw, tryCompare, tryHash, type Comparison, type FactsOrError } from './hash-core.js';

/** A compare job can ask for both sides' facts when the files differ (diff needs them next). */
export interface CompareResult extends Comparison {
  /** With `hashDiffering`: the facts of both sides when the contents differ, of the new side when only modes do. */
  a?: FactsOrError;
  b?: FactsOrError;
}
export type CompareOrError = CompareResult | { error: string };

export type Job =
  | { op: 'hash'; id: number; paths: string[] }
  | { op: 'lines'; id: number; root: string; paths: string[] }
  | { op: 'compare'; id: number; pairs: [string, string][]; hashDiffering: boolean };

/**
 * Hash results travel as columns per batch (the digests as one string of 64 hex digits each, sizes
 * and modes as transferred arrays): structured-cloning 200,000 small objects cost the workers and
 * the main thread about 0.1 s each on pack B.
 */
export interface HashBatch {
  op: 'hash';
  id: number;
  sha: string;
  sizes: Float64Array;
  modes: Uint16Array;
  errors: [number, string][];
}
/**
 * Files of a tree as the baseline records them (`["path","f","0644",size,"sha256"]`, one per line,
 * paths relative to `root`): init writes them as they come and verify compares them as strings,
 * so 200,000 files cost neither objects nor JSON parsing on the main thread. An unreadable file
 * has an empty line and its error.
 */
export interface LinesBatch {
  op: 'lines';
  id: number;
  text: string;
  sizes: Float64Array;
  errors: [number, string][];
}
export type JobResult = HashBatch | LinesBatch | { op: 'compare'; id: number; results: CompareOrError[] };

export function runJob(job: Job): JobResult {
  if (job.op === 'lines') {
    const sizes = new Float64Array(job.paths.length);
    const lines: string[] = [];
    const errors: [number, string][] = [];
    job.paths.forEach((p, i) => {
      try {
        const f = hashFileRaw(`${job.root}/${p}`);
        sizes[i] = f.size;
        lines.push(fileLine(p, modeString(f.mode), f.size, f.sha256));
      } catch (e) {
        lines.push('');
        errors.push([i, (e as NodeJS.ErrnoException).code ?? String(e)]);
      }
    });
    return { op: 'lines', id: job.id, text: lines.join('\n'), sizes, errors };
  }
  if (job.op === 'compare') {
    return { op: 'compare', id: job.id, results: job.pairs.map(([a, b]) => compareAndHash(a, b, job.hashDiffering)) };
  }
  const n = job.paths.length;
  const sizes = new Float64Array(n);
  const modes = new Uint16Array(n);
  const sha: string[] = [];
  const errors: [number, string][] = [];
  for (let i = 0; i < n; i++) {
    try {
      const f = hashFileRaw(job.paths[i] ?? '');
      sha.push(f.sha256);
      sizes[i] = f.size;
      modes[i] = f.mode;
    } catch (e) {
      sha.push('0'.repeat(64));
      errors.push([i, (e as NodeJS.ErrnoException).code ?? String(e)]);
    }
  }
  return { op: 'hash', id: job.id, sha: sha.join(''), sizes, modes, errors };
}

function compareAndHash(a: string, b: string, hashDiffering: boolean): CompareOrError {
  const c = tryCompare(a, b);
  if ('error' in c || !hashDiffering) return c;
  if (!c.same) return { ...c, a: tryHash(a), b: tryHash(b) };
  if (c.modeA !== c.modeB) return { ...c, b: tryHash(b) };
  return c;
}

function decodeHash(r: HashBatch): FactsOrError[] {
  const n = r.sizes.length;
  const out = new Array<FactsOrError>(n);
  for (let i = 0; i < n; i++)
    out[i] = { size: r.sizes[i] ?? 0, mode: modeString(r.modes[i] ?? 0), sha256: r.sha.slice(64 * i, 64 * i + 64) };
  for (const [i, error] of r.errors) out[i] = { error };
  return out;
}

const BATCH = 64;
// Below this many files a worker's start-up (~30 ms) costs more than it saves.
const INLINE_BELOW = 96;
// Batches queued per worker: enough that none waits for the main thread while it walks a tree.
const QUEUE = 8;

export type Progress = (done: number, total: number) => void;

interface Pending {
  job: Job;
  resolve: (r: JobResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Hashes and compares files on every core, fed while the caller still walks the tree: the workers
 * start at once and take batches as they come, so walking, starting the workers and hashing
 * overlap. Nothing starts a worker until the work is worth one (`INLINE_BELOW` items); work that
 * never gets there runs on the calling thread at `drain`.
 */
export class HashPool {
  private readonly workers: { w: Worker; inFlight: Pending[] }[] = [];
  private readonly queue: Pending[] = [];
  private readonly inline: Pending[] = [];
  private queuedItems = 0;
  private nextId = 0;
  private failed: Error | null = null;
  private done = 0;
  private total = 0;

  constructor(
    private readonly onProgress?: Progress,
    private readonly threads = availableParallelism(),
  ) {}

  /** Hashes these files: size, mode and sha256 each, or {error}. */
  hash(paths: string[]): Promise<FactsOrError[]> {
    return (this.submit({ op: 'hash', id: this.nextId++, paths }, paths.length) as Promise<HashBatch>).then(decodeHash);
  }

  /** Files under `root` (relative paths) hashed into baseline lines (see LinesBatch). */
  lines(root: string, paths: string[]): Promise<LinesBatch> {
    return this.submit({ op: 'lines', id: this.nextId++, root, paths }, paths.length) as Promise<LinesBatch>;
  }

  /** Compares pairs of files byte for byte; with `hashDiffering`, hashes the sides diff needs. */
  compare(pairs: [string, string][], hashDiffering = false): Promise<CompareOrError[]> {
    return this.submit({ op: 'compare', id: this.nextId++, pairs, hashDiffering }, pairs.length).then(
      (r) => (r as Extract<JobResult, { op: 'compare' }>).results,
    );
  }

  /** Every item in batches of BATCH, results in input order. */
  async hashAll(paths: readonly string[]): Promise<FactsOrError[]> {
    const parts: Promise<FactsOrError[]>[] = [];
    for (let i = 0; i < paths.length; i += BATCH) parts.push(this.hash(paths.slice(i, i + BATCH)));
    this.drain();
    return (await Promise.all(parts)).flat();
  }

  async compareAll(pairs: readonly [string, string][], hashDiffering = false): Promise<CompareOrError[]> {
    const parts: Promise<CompareOrError[]>[] = [];
    for (let i = 0; i < pairs.length; i += BATCH) parts.push(this.compare(pairs.slice(i, i + BATCH), hashDiffering));
    this.drain();
    return (await Promise.all(parts)).flat();
  }

  /** Starts the workers now, when the caller knows that enough work is coming (they take ~30 ms to start). */
  warm(): void {
    if (this.workers.length > 0 || this.failed) return;
    this.start();
    this.queue.push(...this.inline.splice(0));
    this.pump();
  }

  /** No more work is coming: what was kept for the calling thread runs now. */
  drain(): void {
    if (this.workers.length > 0 || this.failed) return;
    for (const p of this.inline.splice(0)) {
      let r: JobResult;
      try {
        r = runJob(p.job);
      } catch (e) {
        p.reject(e);
        continue;
      }
      this.progress(p.job);
      p.resolve(r);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(({ w }) => w.terminate()));
    this.workers.length = 0;
  }

  private submit(job: Job, items: number): Promise<JobResult> {
    this.total += items;
    return new Promise<JobResult>((resolve, reject) => {
      if (this.failed) {
        reject(this.failed);
        return;
      }
      const p = { job, resolve, reject };
      if (this.workers.length === 0 && this.threads > 1 && this.queuedItems + items < INLINE_BELOW) {
        this.queuedItems += items;
        this.inline.push(p);
        return;
      }
      if (this.workers.length === 0) {
        if (this.threads <= 1) {
          this.inline.push(p);
          return;
        }
        this.start();
        this.queue.push(...this.inline.splice(0));
      }
      this.queue.push(p);
      this.pump();
    });
  }

  private start(): void {
    for (let i = 0; i < Math.max(1, this.threads); i++) {
      const w = new Worker(new URL('./hash-worker.js', import.meta.url));
      const slot = { w, inFlight: [] as Pending[] };
      w.on('message', (r: JobResult) => {
        const p = slot.inFlight.shift();
        if (!p) return;
        this.progress(p.job);
        p.resolve(r);
        this.pump();
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (slot.inFlight.length > 0) this.fail(new Error(`a hash worker exited with code ${code}`));
      });
      this.workers.push(slot);
    }
  }

  private pump(): void {
    for (;;) {
      if (this.queue.length === 0) return;
      let best: (typeof this.workers)[number] | undefined;
      for (const s of this.workers)
        if (s.inFlight.length < QUEUE && (!best || s.inFlight.length < best.inFlight.length)) best = s;
      if (!best) return;
      const p = this.queue.shift();
      if (!p) return;
      best.inFlight.push(p);
      best.w.postMessage(p.job);
    }
  }

  private progress(job: Job): void {
    this.done += job.op === 'compare' ? job.pairs.length : job.paths.length;
    this.onProgress?.(this.done, this.total);
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    const err = e instanceof Error ? e : new Error(String(e));
    this.failed = err;
    for (const p of [...this.queue.splice(0), ...this.workers.flatMap((s) => s.inFlight.splice(0))]) p.reject(err);
  }
}

/** Hashes files on every core. Results are in input order; unreadable files give {error}. */
export async function hashMany(paths: readonly string[], onProgress?: Progress): Promise<FactsOrError[]> {
  const pool = new HashPool(onProgress, Math.min(availableParallelism(), Math.ceil(paths.length / BATCH)));
  try {
    return await pool.hashAll(paths);
  } finally {
    await pool.close();
  }
}

/** Compares pairs of files byte for byte on every core. */
export async function compareMany(
  pairs: readonly [string, string][],
  onProgress?: Progress,
): Promise<CompareOrError[]> {
  const pool = new HashPool(onProgress, Math.min(availableParallelism(), Math.ceil(pairs.length / BATCH)));
  try {
    return await pool.compareAll(pairs);
  } finally {
    await pool.close();
  }
}

export { BATCH as HASH_BATCH };
