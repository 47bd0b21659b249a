import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  read,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HfxError } from '../errors.js';
import { fsyncPathSync, type Manifest } from '../engine/index.js';
import type { ArchiveBlobs, ReceivedBlob } from './blobs/store.js';

/**
 * Removes uploads cut off by a killed process: temp files in `dir` untouched for `idleMs` (a day),
 * so an upload in progress on another process sharing the directory is spared. Returns how many.
 */
export function sweepDir(dir: string, idleMs = 24 * 3600 * 1000): number {
  const before = Date.now() - idleMs;
  let removed = 0;
  for (const n of readdirSync(dir)) {
    try {
      if (statSync(join(dir, n)).mtimeMs < before) {
        rmSync(join(dir, n), { force: true });
        removed++;
      }
    } catch {
      /* gone already */
    }
  }
  return removed;
}

/** Streams a request body to a temp file in `dir`, refusing it past `max` bytes. Returns its path, size and hash. */
export async function receiveInto(dir: string, body: Readable, max: number): Promise<ReceivedBlob> {
  const tmp = join(dir, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const h = createHash('sha256');
  let size = 0;
  const out = createWriteStream(tmp, { flags: 'wx' });
  try {
    await pipeline(
      body,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) {
          size += chunk.length;
          if (size > max)
            throw new HfxError('HFX_E_TOO_LARGE', `the upload is over ${max} bytes`, {
              hint: 'The server refuses uploads over this size (`hfx serve --max-upload`); ask its operator if the archive is legitimate.',
            });
          h.update(chunk);
          yield chunk;
        }
      },
      out,
    );
    fsyncPathSync(tmp);
  } catch (e) {
    // A body refused in its first chunk fails the pipeline before the file is even open; the
    // stream opens it afterwards, so removing it must wait for the stream to close.
    if (!out.closed) await once(out, 'close').catch(() => undefined);
    rmSync(tmp, { force: true });
    throw e;
  }
  return { tmp, size, sha256: h.digest('hex') };
}

/**
 * The directory driver: content-addressed files under DATA/blobs/sha256/ab/abcd…, written to a
 * temp file, fsync'd and renamed, so several server processes can share the directory (a shared
 * file system) safely.
 */
export class BlobStore implements ArchiveBlobs {
  readonly kind = 'directory';

  constructor(readonly dir: string) {
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    this.sweep();
  }

  get location(): string {
    return this.dir;
  }

  sweep(idleMs?: number): number {
    return sweepDir(join(this.dir, 'tmp'), idleMs);
  }

  path(sha256: string): string {
    return join(this.dir, 'sha256', sha256.slice(0, 2), sha256);
  }

  receive(body: Readable, max: number): Promise<ReceivedBlob> {
    return receiveInto(join(this.dir, 'tmp'), body, max);
  }

  keep(got: ReceivedBlob, _m: Manifest): Promise<void> {
    // A rename in the directory downloads read: durable once it returns.
    this.commit(got.tmp, got.sha256);
    return Promise.resolve();
  }

  /** Moves a received temp file to its content address (a no-op if the blob exists). */
  commit(tmp: string, sha256: string): void {
    const dest = this.path(sha256);
    mkdirSync(join(this.dir, 'sha256', sha256.slice(0, 2)), { recursive: true });
    renameSync(tmp, dest);
    fsyncPathSync(join(this.dir, 'sha256', sha256.slice(0, 2)));
  }

  discard(tmp: string): void {
    rmSync(tmp, { force: true });
  }

  size(sha256: string): Promise<number> {
    return Promise.resolve(statSync(this.path(sha256)).size);
  }

  read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    // 1 MiB reads: with the default 64 KiB a download runs at a fifth of the speed.
    return Promise.resolve(createReadStream(this.path(sha256), { ...range, highWaterMark: 1 << 20 }));
  }

  /**
   * Writes bytes start…end (inclusive) of a blob to `res`, whose headers are sent, and ends it.
   * A read stream allocates a fresh buffer per read, which the kernel must fault in page by page
   * before the socket copies it out; here 8 buffers of 512 KiB go round, each read into again once
   * the socket has taken it (the write callback), so they stay in the CPU's cache: a 500 MB
   * download runs about twice as fast, as fast as nginx's sendfile on loopback. (256 KiB pieces
   * cost a quarter more CPU in thread-pool round trips; 1 MiB ones fall out of the cache.)
   */
  sendTo(res: ServerResponse, sha256: string, start: number, end: number): void {
    let fd: number;
    try {
      fd = openSync(this.path(sha256), 'r');
    } catch (e) {
      res.destroy(e as Error);
      return;
    }
    const free = Array.from({ length: SEND_BUFFERS }, () => Buffer.allocUnsafeSlow(SEND_CHUNK));
    let pos = start;
    let writing = 0;
    let reading = false;
    let closed = false;
    const finish = (err?: Error): void => {
      if (closed) return;
      closed = true;
      // A read still in flight keeps the descriptor until it returns (a closed number may be reused).
      if (!reading) closeSync(fd);
      if (err) res.destroy(err);
    };
    res.once('close', () => finish());
    const pump = (): void => {
      if (closed || reading) return;
      if (pos > end) {
        if (writing === 0) {
          finish();
          res.end();
        }
        return;
      }
      const b = free.pop();
      if (!b) return;
      reading = true;
      read(fd, b, 0, Math.min(SEND_CHUNK, end + 1 - pos), pos, (err, n) => {
        reading = false;
        if (closed) {
          closeSync(fd);
          return;
        }
        if (err || n === 0) {
          finish(err ?? new Error(`blob ${sha256} ends at ${pos}, before ${end + 1}`));
          return;
        }
        pos += n;
        writing++;
        res.write(n === SEND_CHUNK ? b : b.subarray(0, n), () => {
          writing--;
          free.push(b);
          pump();
        });
        pump();
      });
    };
    pump();
  }
}

const SEND_CHUNK = 512 * 1024;
const SEND_BUFFERS = 8;
