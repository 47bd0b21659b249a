import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { tryCompare, tryHash, type Comparison, type FactsOrError } from './hash-core.js';

export type Job = { op: 'hash'; id: number; paths: string[] } | { op: 'compare'; id: number; pairs: [string, string][] };
export type JobResult = { op: 'hash'; id: number; facts: FactsOrError[] } | { op: 'compare'; id: number; results: (Comparison | { error: string })[] };

const BATCH = 64;
// Below this many files a worker's start-up (~30 ms) costs more than it saves.
const INLINE_BELOW = 96;

export type Progress = (done: number, total: number) => void;

/** Hashes files on every core. Results are in input order; unreadable files give {error}. */
export function hashMany(paths: readonly string[], onProgress?: Progress): Promise<FactsOrError[]> {
  return run(paths, (id, items) => ({ op: 'hash', id, paths: items }), (r) => (r as Extract<JobResult, { op: 'hash' }>).facts, tryHash, onProgress);
}

/** Compares pairs of files byte for byte on every core. */
export function compareMany(pairs: readonly [string, string][], onProgress?: Progress): Promise<(Comparison | { error: string })[]> {
  return run(pairs, (id, items) => ({ op: 'compare', id, pairs: items }), (r) => (r as Extract<JobResult, { op: 'compare' }>).results, ([a, b]) => tryCompare(a, b), onProgress);
}

async function run<T, R>(
  items: readonly T[],
  makeJob: (id: number, items: T[]) => Job,
  take: (r: JobResult) => R[],
  inline: (item: T) => R,
  onProgress?: Progress,
): Promise<R[]> {
  const total = items.length;
  const out = new Array<R>(total);
  const threads = Math.min(availableParallelism(), Math.ceil(total / BATCH));
  if (total < INLINE_BELOW || threads <= 1) {
    let i = 0;
    for (const item of items) {
      out[i] = inline(item);
      if (onProgress && (i & 63) === 0) onProgress(i, total);
      i++;
    }
    onProgress?.(total, total);
    return out;
  }
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: threads }, () => new Promise<void>((resolve, reject) => {
        const w = new Worker(new URL('./hash-worker.js', import.meta.url));
        workers.push(w);
        let inFlight = 0;
        const feed = (): void => {
          if (next >= total) {
            if (inFlight === 0) resolve();
            return;
          }
          const start = next;
          next = Math.min(total, next + BATCH);
          inFlight++;
          w.postMessage(makeJob(start, items.slice(start, next)));
        };
        w.on('message', (r: JobResult) => {
          inFlight--;
          const res = take(r);
          let at = r.id;
          for (const x of res) out[at++] = x;
          done += res.length;
          onProgress?.(done, total);
          feed();
        });
        w.on('error', reject);
        // Two batches in flight: the worker never waits for the main thread between batches.
        feed();
        feed();
      })),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
