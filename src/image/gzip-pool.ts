import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { constants, crc32, gzipSync } from 'node:zlib';

/**
 * Level 1 (BestSpeed, as crane/go-containerregistry use): pack layers are mostly jars, already
 * compressed, where higher levels cost CPU for a few percent. The header has no name and mtime 0,
 * its OS byte is fixed to 3 (Unix).
 */
const GZIP_LEVEL = 1;
/** Each chunk is compressed as gzip members of this many bytes, each deflated or stored. */
const BLOCK = 256 * 1024;
const SAMPLE = 4 * 1024;
/** Bits per byte above which deflate cannot gain a tenth (random data has 8). */
const STORE_ABOVE = 7.2;
const counts = new Uint32Array(256);

/**
 * Whether deflate would gain anything on `block`, judged from the byte entropy of two slices:
 * already-compressed content (jars, archives, images) looks random and comes out of deflate at
 * 100 % of its size after costing it ~17 ms per MB at level 1 — most of a first build's time. Such
 * blocks are stored instead (the same gzip format, no search for matches). Counting bytes costs a
 * fraction of trying deflate on a sample. The decision depends on the bytes only, so a layer stays
 * reproducible.
 */
export function worthDeflating(block: Uint8Array): boolean {
  if (block.byteLength <= 2 * SAMPLE) return true;
  counts.fill(0);
  const mid = Math.floor(block.byteLength / 2);
  // Indexed loops over typed arrays: in range by construction, so `?? 0` never applies (and costs nothing).
  for (let i = 0; i < SAMPLE; i++) {
    const x = block[i] ?? 0;
    const y = block[mid + i] ?? 0;
    counts[x] = (counts[x] ?? 0) + 1;
    counts[y] = (counts[y] ?? 0) + 1;
  }
  let bits = 0;
  for (let v = 0; v < 256; v++) {
    const c = counts[v] ?? 0;
    if (c > 0) bits -= c * Math.log2(c / (2 * SAMPLE));
  }
  return bits / (2 * SAMPLE) < STORE_ABOVE;
}

/** A gzip member of stored deflate blocks: header, ≤ 65,535-byte blocks, CRC-32 and size. */
function storedMember(b: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(b.byteLength / 0xffff));
  const out = new Uint8Array(10 + 5 * blocks + b.byteLength + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  const v = new DataView(out.buffer);
  let o = 10;
  for (let i = 0; i < blocks; i++) {
    const piece = b.subarray(i * 0xffff, Math.min(b.byteLength, (i + 1) * 0xffff));
    out[o] = i === blocks - 1 ? 1 : 0;
    v.setUint16(o + 1, piece.byteLength, true);
    v.setUint16(o + 3, ~piece.byteLength & 0xffff, true);
    out.set(piece, o + 5);
    o += 5 + piece.byteLength;
  }
  v.setUint32(o, crc32(b), true);
  v.setUint32(o + 4, b.byteLength >>> 0, true);
  return out;
}

function deflatedMember(b: Uint8Array): Uint8Array {
  const z = gzipSync(b, { level: GZIP_LEVEL, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
  z[9] = 3;
  return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
}

/** One chunk of the tar stream as gzip members of BLOCK bytes, each deflated only where that gains something. */
export function gzipMember(data: Uint8Array): Uint8Array {
  if (data.byteLength === 0) return deflatedMember(data);
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let off = 0; off < data.byteLength; off += BLOCK) {
    const b = data.subarray(off, Math.min(off + BLOCK, data.byteLength));
    const m = worthDeflating(b) ? deflatedMember(b) : storedMember(b);
    parts.push(m);
    size += m.byteLength;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const m of parts) {
    out.set(m, o);
    o += m.byteLength;
  }
  return out;
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
