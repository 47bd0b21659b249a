import { closeSync, fsync, openSync, read, readSync, writeSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, deflateRaw, createDeflateRaw } from 'node:zlib';
import { HfxError, asHfxError } from '../../errors.js';
import { MANIFEST_NAME, SIGNATURE_NAME, payloadName, type Manifest } from './manifest.js';
import type { SignatureFile } from './signature.js';

/** Where a payload file's bytes come from when the archive is written. */
type PayloadSource = { file: string } | { open: () => Promise<Readable> };

// Already-compressed formats gain nothing from deflate; storing them keeps apply fast.
const STORED = /\.(jar|war|ear|zip|gz|tgz|bz2|xz|zst|7z|png|jpe?g|gif|webp|woff2?|mp[34]|pdf)$/i;

interface WriteOptions {
  /**
   * zlib level for payload files (1 fastest, 9 smallest). Default 1: level 6 costs about three
   * times the CPU for archives a few percent smaller, and `hfx diff` should run at disk speed.
   */
  compressionLevel?: number;
}

// The ZIP is written here rather than with yazl: yazl computes CRC-32 in JavaScript (a quarter
// second for a 51 MB payload) and moves every byte through five streams. Each local header is
// written with placeholders and filled in by position once the entry's CRC and compressed size are
// known, so no entry needs a data descriptor. Layout as yazl made it: Unix "made by" 6.3, UTF-8
// names, the Info-ZIP timestamp in the central directory, ZIP64 fields only where needed.
const VERSION_MADE_BY = (3 << 8) | 63;
const VERSION_UTF8 = 20;
const VERSION_ZIP64 = 45;
const UTF8_NAME = 1 << 11;
const MAX32 = 0xffffffff;
/** Sizes from here on get ZIP64 fields in the local header (deflate may add a little). */
const ZIP64_FROM = MAX32 - (64 << 20);
const CHUNK = 1 << 20;
/**
 * Files to deflate up to this size are read and deflated whole, several at once in the thread
 * pool, ahead of the writer: the real TypeScript release (9.1 + 6.2 MB of JavaScript) deflated one
 * file after the other was a quarter of `hfx diff`'s time. Larger ones stream, one at a time.
 */
const AHEAD_MAX = 32 << 20;
/** Files, and bytes of them, read and deflating ahead of the one being written. */
const AHEAD_FILES = 4;
const AHEAD_BYTES = 64 << 20;

const readAt = promisify(read);
const fsyncFd = promisify(fsync);
const deflateRawAsyncOf = promisify(deflateRaw) as (
  b: Buffer,
  o: { level: number; chunkSize: number },
) => Promise<Buffer>;
/**
 * Deflates `b` in the thread pool. Node's one-shot deflate hands out 16 KiB of output per trip to
 * the pool by default, and each trip passes through this thread: for 9 MB of JavaScript, hundreds
 * of them, half the time. Up to 1 MiB a trip here; the output is the same bytes.
 */
const deflateRawAsync = (b: Buffer, level: number): Promise<Buffer> =>
  deflateRawAsyncOf(b, { level, chunkSize: Math.min(CHUNK, Math.max(16 * 1024, b.length)) });

interface Written {
  name: Buffer;
  method: 0 | 8;
  crc: number;
  size: number;
  csize: number;
  offset: number;
  mode: number;
}

function dosDateTime(d: Date): { date: number; time: number } {
  // In the local time zone, as yazl (and DOS) did.
  const min = new Date(1980, 0, 1);
  const max = new Date(2107, 11, 31, 23, 59, 58);
  const t = d < min ? min : d > max ? max : d;
  return {
    date: (t.getDate() & 0x1f) | (((t.getMonth() + 1) & 0xf) << 5) | (((t.getFullYear() - 1980) & 0x7f) << 9),
    time: Math.floor(t.getSeconds() / 2) | ((t.getMinutes() & 0x3f) << 5) | ((t.getHours() & 0x1f) << 11),
  };
}

function u64(b: Buffer, n: number, off: number): void {
  b.writeUInt32LE(n % 0x100000000, off);
  b.writeUInt32LE(Math.floor(n / 0x100000000), off + 4);
}

class ZipOut {
  private pos = 0;
  readonly entries: Written[] = [];
  private readonly dos: { date: number; time: number };

  constructor(
    private readonly fd: number,
    private readonly mtime: Date,
  ) {
    this.dos = dosDateTime(mtime);
  }

  private write(b: Uint8Array): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off, this.pos + off);
    this.pos += b.length;
  }

  private localHeader(w: Written, zip64: boolean): Buffer {
    const h = Buffer.alloc(30 + w.name.length + (zip64 ? 20 : 0));
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_UTF8, 4);
    h.writeUInt16LE(UTF8_NAME, 6);
    h.writeUInt16LE(w.method, 8);
    h.writeUInt16LE(this.dos.time, 10);
    h.writeUInt16LE(this.dos.date, 12);
    h.writeUInt32LE(w.crc >>> 0, 14);
    h.writeUInt32LE(zip64 ? MAX32 : w.csize, 18);
    h.writeUInt32LE(zip64 ? MAX32 : w.size, 22);
    h.writeUInt16LE(w.name.length, 26);
    h.writeUInt16LE(zip64 ? 20 : 0, 28);
    w.name.copy(h, 30);
    if (zip64) {
      const x = 30 + w.name.length;
      h.writeUInt16LE(0x0001, x);
      h.writeUInt16LE(16, x + 2);
      u64(h, w.size, x + 4);
      u64(h, w.csize, x + 12);
    }
    return h;
  }

  /**
   * Adds one entry, its bytes coming from `chunks` (exactly `size` of them), stored (`level` 0) or
   * deflated as they stream: for files too large to deflate whole (see `deflateWhole`).
   */
  async add(name: string, mode: number, size: number, level: number, chunks: AsyncIterable<Buffer>): Promise<void> {
    const w: Written = {
      name: Buffer.from(name, 'utf8'),
      method: level === 0 ? 0 : 8,
      crc: 0,
      size,
      csize: 0,
      offset: this.pos,
      mode,
    };
    const zip64 = size >= ZIP64_FROM;
    this.write(this.localHeader(w, zip64)); // placeholders for CRC and sizes
    const start = this.pos;
    let n = 0;
    const check = (c: Buffer): void => {
      n += c.length;
      if (n > size) throw changedWhileWritten(name, n, size);
      w.crc = crc32(c, w.crc);
    };
    if (level === 0) {
      for await (const c of chunks) {
        check(c);
        this.write(c);
      }
    } else {
      const z = createDeflateRaw({ level, chunkSize: CHUNK });
      const out: Buffer[] = [];
      z.on('data', (d: Buffer) => out.push(d));
      const ended = new Promise<void>((resolve, reject) => {
        z.once('end', resolve);
        z.once('error', reject);
      });
      for await (const c of chunks) {
        check(c);
        if (!z.write(c)) await new Promise<void>((r) => z.once('drain', () => r()));
        for (const d of out.splice(0)) this.write(d);
      }
      z.end();
      await ended;
      for (const d of out.splice(0)) this.write(d);
    }
    if (n !== size) throw changedWhileWritten(name, n, size);
    w.csize = this.pos - start;
    if (!zip64 && w.csize >= MAX32)
      throw new HfxError('HFX_E_TOO_LARGE', `${name} does not fit a ZIP entry without ZIP64`);
    const h = this.localHeader(w, zip64);
    let off = 0;
    while (off < h.length) off += writeSync(this.fd, h, off, h.length - off, w.offset + off);
    this.entries.push(w);
  }

  /** Adds one entry deflated beforehand (`deflateWhole`): its header is final from the start. */
  addDeflated(name: string, mode: number, d: Deflated): void {
    const w: Written = {
      name: Buffer.from(name, 'utf8'),
      method: 8,
      crc: d.crc,
      size: d.size,
      csize: d.data.length,
      offset: this.pos,
      mode,
    };
    if (d.size >= ZIP64_FROM || w.csize >= MAX32)
      throw new HfxError('HFX_E_INTERNAL', `${name} is too large to deflate whole`);
    this.write(this.localHeader(w, false));
    this.write(d.data);
    this.entries.push(w);
  }

  end(): void {
    const cdStart = this.pos;
    const stamp = Math.max(-0x80000000, Math.min(0x7fffffff, Math.floor(this.mtime.getTime() / 1000)));
    const parts: Buffer[] = [];
    for (const w of this.entries) {
      const zip64 = w.size >= MAX32 || w.csize >= MAX32 || w.offset >= MAX32;
      const ut = Buffer.alloc(9);
      ut.writeUInt16LE(0x5455, 0);
      ut.writeUInt16LE(5, 2);
      ut.writeUInt8(3, 4); // mtime and atime flags, the mtime alone, as Info-ZIP does
      ut.writeInt32LE(stamp, 5);
      let z64 = Buffer.alloc(0);
      if (zip64) {
        z64 = Buffer.alloc(28);
        z64.writeUInt16LE(0x0001, 0);
        z64.writeUInt16LE(24, 2);
        u64(z64, w.size, 4);
        u64(z64, w.csize, 12);
        u64(z64, w.offset, 20);
      }
      const h = Buffer.alloc(46);
      h.writeUInt32LE(0x02014b50, 0);
      h.writeUInt16LE(VERSION_MADE_BY, 4);
      h.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_UTF8, 6);
      h.writeUInt16LE(UTF8_NAME, 8);
      h.writeUInt16LE(w.method, 10);
      h.writeUInt16LE(this.dos.time, 12);
      h.writeUInt16LE(this.dos.date, 14);
      h.writeUInt32LE(w.crc >>> 0, 16);
      h.writeUInt32LE(zip64 ? MAX32 : w.csize, 20);
      h.writeUInt32LE(zip64 ? MAX32 : w.size, 24);
      h.writeUInt16LE(w.name.length, 28);
      h.writeUInt16LE(ut.length + z64.length, 30);
      h.writeUInt16LE(0, 32);
      h.writeUInt16LE(0, 34);
      h.writeUInt16LE(0, 36);
      h.writeUInt32LE(((w.mode & 0xffff) << 16) >>> 0, 38);
      h.writeUInt32LE(zip64 ? MAX32 : w.offset, 42);
      parts.push(h, w.name, ut, z64);
    }
    const cd = Buffer.concat(parts);
    this.write(cd);
    const count = this.entries.length;
    const zip64 = count >= 0xffff || cd.length >= MAX32 || cdStart >= MAX32;
    if (zip64) {
      const r = Buffer.alloc(56 + 20);
      r.writeUInt32LE(0x06064b50, 0);
      u64(r, 44, 4);
      r.writeUInt16LE(VERSION_MADE_BY, 12);
      r.writeUInt16LE(VERSION_ZIP64, 14);
      u64(r, count, 24);
      u64(r, count, 32);
      u64(r, cd.length, 40);
      u64(r, cdStart, 48);
      r.writeUInt32LE(0x07064b50, 56);
      u64(r, this.pos, 64);
      r.writeUInt32LE(1, 72);
      this.write(r);
    }
    const e = Buffer.alloc(22);
    e.writeUInt32LE(0x06054b50, 0);
    e.writeUInt16LE(zip64 ? 0xffff : count, 8);
    e.writeUInt16LE(zip64 ? 0xffff : count, 10);
    e.writeUInt32LE(zip64 ? MAX32 : cd.length, 12);
    e.writeUInt32LE(zip64 ? MAX32 : cdStart, 16);
    this.write(e);
  }
}

/** A file's bytes, 1 MiB at a time, the next read in flight while the caller handles the last. */
async function* fileChunks(file: string): AsyncGenerator<Buffer> {
  const fd = openSync(file, 'r');
  const next = (pos: number) => readAt(fd, Buffer.allocUnsafe(CHUNK), 0, CHUNK, pos);
  let pending = next(0);
  try {
    let pos = 0;
    for (;;) {
      const { bytesRead, buffer } = await pending;
      if (bytesRead === 0) return;
      pos += bytesRead;
      pending = next(pos);
      yield bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    // A caller that stops early (a file that grew) leaves a read in flight: closed under it, the
    // descriptor could be reused by the next open and the read land in another file.
    await pending.catch(() => undefined);
    closeSync(fd);
  }
}

interface Deflated {
  size: number;
  crc: number;
  data: Buffer;
}

function changedWhileWritten(name: string, n: number, size: number): HfxError {
  return new HfxError(
    'HFX_E_IO',
    `${name} changed while the archive was written (${n > size ? `more than ${size} bytes` : `${n} bytes, not ${size}`})`,
    { hint: 'Run the command again on a tree nothing writes to.' },
  );
}

/** All `size` bytes of a source, in one buffer; refused if it holds more or fewer. */
async function wholeOf(name: string, src: PayloadSource | Buffer, size: number): Promise<Buffer> {
  if (Buffer.isBuffer(src)) return src;
  let n = 0;
  const b = Buffer.allocUnsafe(size + 1); // one byte more: a file that grew shows
  if ('file' in src) {
    const fd = openSync(src.file, 'r');
    try {
      for (let r = -1; r !== 0 && n <= size; n += r) r = readSync(fd, b, n, size + 1 - n, n);
    } finally {
      closeSync(fd);
    }
  } else {
    for await (const c of (await src.open()) as AsyncIterable<Buffer>) {
      if (n + c.length > size) throw changedWhileWritten(name, n + c.length, size);
      c.copy(b, n);
      n += c.length;
    }
  }
  if (n !== size) throw changedWhileWritten(name, n, size);
  return b.subarray(0, size);
}

/** An entry's bytes, their CRC-32, and their deflate in the thread pool. */
async function deflateWhole(name: string, src: PayloadSource | Buffer, size: number, level: number): Promise<Deflated> {
  const data = await wholeOf(name, src, size);
  return { size, crc: crc32(data), data: await deflateRawAsync(data, level) };
}

/**
 * Writes an archive to `out` atomically (temp file, fsync, rename), the manifest first so that
 * `unzip -l` and streaming readers see it at once. Timestamps come from the manifest, so the
 * same input gives the same bytes.
 */
export async function writeArchive(
  out: string,
  manifest: Manifest,
  signatures: SignatureFile | null,
  payload: (path: string) => PayloadSource,
  opts: WriteOptions = {},
): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o644);
  } catch (e) {
    throw asHfxError(e, `cannot write ${out}`);
  }
  let open = true;
  try {
    const zip = new ZipOut(fd, new Date(manifest.createdAt));
    const meta = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
    zip.addDeflated(MANIFEST_NAME, 0o100644, await deflateWhole(MANIFEST_NAME, meta, meta.length, 6));
    if (signatures) {
      const sig = Buffer.from(JSON.stringify(signatures, null, 2) + '\n');
      zip.addDeflated(SIGNATURE_NAME, 0o100644, await deflateWhole(SIGNATURE_NAME, sig, sig.length, 6));
    }
    const items = manifest.entries.flatMap((e) => {
      const name = payloadName(e);
      if (name === null) return [];
      const after = e.after?.type === 'file' ? e.after : null;
      const src = payload(e.path);
      const level = STORED.test(e.path) ? 0 : (opts.compressionLevel ?? 1);
      const size = after?.size ?? 0;
      const whole = level > 0 && size <= AHEAD_MAX;
      return [{ name, src, level, size, whole, mode: 0o100000 | (after ? parseInt(after.mode, 8) : 0o644) }];
    });
    // Files deflated whole are started up to AHEAD_FILES / AHEAD_BYTES ahead of the one written;
    // the entries are still written in the manifest's order, so the archive's bytes do not change.
    const ahead = new Map<number, Promise<Deflated>>();
    let next = 0;
    let aheadBytes = 0;
    const fill = (from: number): void => {
      for (next = Math.max(next, from); next < items.length && ahead.size < AHEAD_FILES; next++) {
        const it = items[next];
        if (!it?.whole) continue;
        if (ahead.size > 0 && aheadBytes + it.size > AHEAD_BYTES) break;
        const p = deflateWhole(it.name, it.src, it.size, it.level);
        p.catch(() => undefined); // awaited in turn below; one that fails first must not go unhandled
        ahead.set(next, p);
        aheadBytes += it.size;
      }
    };
    try {
      for (const [i, it] of items.entries()) {
        fill(i);
        const p = ahead.get(i);
        if (p) {
          const d = await p;
          ahead.delete(i);
          aheadBytes -= it.size;
          zip.addDeflated(it.name, it.mode, d);
          continue;
        }
        const chunks = 'file' in it.src ? fileChunks(it.src.file) : ((await it.src.open()) as AsyncIterable<Buffer>);
        await zip.add(it.name, it.mode, it.size, it.level, chunks);
      }
    } finally {
      // Nothing is left reading or deflating when the temp file goes.
      await Promise.allSettled(ahead.values());
    }
    zip.end();
    await fsyncFd(fd);
    open = false;
    closeSync(fd);
    await rename(tmp, out);
  } catch (e) {
    if (open) closeSync(fd);
    await rm(tmp, { force: true });
    throw asHfxError(e, `cannot write ${out}`);
  }
}
