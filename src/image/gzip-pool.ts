import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { constants, gzipSync } from 'node:zlib';

/**
 * Level 1 (BestSpeed, as crane/go-containerregistry use): pack layers are mostly jars, already
 * compressed, where higher levels cost CPU for a few percent. The header has no name and mtime 0,
 * its OS byte is fixed to 3 (Unix).
 */
const GZIP_LEVEL = 1;
export function gzipMember(data: Uint8Array): Uint8Array {
  const z = gzipSync(data, { level: GZIP_LEVEL, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
  z[9] = 3;
  return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
}

/**
 * Compresses chunks on every core, each as its own gzip member (a concatenation of members is one
 * valid gzip stream). Chunk boundaries depend only on the data, so the output does not depend on
 * the number of cores. Results come back in submission order.
 */
export class GzipPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; data: Uint8Array }[] = [];
  private readonly waiting = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }>();
  private nextId = 0;

  constructor(threads = availableParallelism()) {
    for (let i = 0; i < Math.max(1, threads); i++) {
      const w = new Worker(new URL('./gzip-worker.js', import.meta.url));
      w.on('message', (m: { id: number; data: Uint8Array }) => {
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        p?.resolve(m.data);
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (e) => {
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Number of chunks submitted and not yet compressed. */
  get pending(): number {
    return this.waiting.size;
  }

  compress(data: Uint8Array): Promise<Uint8Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.queue.push({ id, data });
      this.pump();
    });
  }

  private pump(): void {
    for (;;) {
      const w = this.idle.at(-1);
      const job = this.queue[0];
      if (w === undefined || job === undefined) return;
      this.idle.pop();
      this.queue.shift();
      w.postMessage(job, [job.data.buffer as ArrayBuffer]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
