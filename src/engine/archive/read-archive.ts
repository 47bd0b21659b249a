import { createHash } from 'node:crypto';
import { closeSync, fchmodSync, fsync, openSync, read, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { pipeline, Readable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { HfxError, asHfxError } from '../../errors.js';
import {
  MANIFEST_NAME,
  PAYLOAD_PREFIX,
  SIGNATURE_NAME,
  parseManifest,
  payloadName,
  type FileState,
  type Manifest,
} from './manifest.js';
import type { ArchiveLimits } from './limits.js';
import { checkRelPath } from './paths.js';
import { parseSignatureFile, signedBytes, type SignatureFile } from './signature.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

export interface OpenArchive {
  readonly file: string;
  readonly manifest: Manifest;
  /** The manifest exactly as parsed from JSON, which is what signatures cover. */
  readonly rawManifest: unknown;
  readonly signatures: SignatureFile | null;
  /** sha256 of the canonical signed bytes: names this archive's content. */
  readonly digest: string;
  /** Streams one payload file to `dest` (created with O_EXCL), checking size, CRC and sha256, and fsyncs it. */
  extractTo(path: string, dest: string, expect: FileState): Promise<void>;
  /** Reads every payload file through its size, CRC and sha256 checks without writing it (server uploads). */
  verifyPayload(): Promise<void>;
  /** The decompressed payload of one path, unchecked (for re-packing; apply uses extractTo). */
  payloadStream(path: string): Promise<Readable>;
  close(): void;
}

interface RawEntry {
  name: string;
  entry: yauzl.Entry;
}

function archiveError(file: string, why: string, cause?: unknown): HfxError {
  return new HfxError('HFX_E_ARCHIVE', `${file} is not a valid hfx archive: ${why}`, {
    hint: 'The file may be truncated or damaged; download it again. Nothing was changed.',
    cause,
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Called with the manifest as parsed JSON and the signature file, before the manifest's schema
 * and any entry beyond those two are looked at: a server checks the publisher's signature here,
 * so an unsigned or foreign archive costs it no per-entry work.
 */
type TrustCheck = (rawManifest: unknown, signatures: SignatureFile | null) => void;

/**
 * Opens an archive and checks everything that can be checked without trusting it:
 * ZIP structure, entry names and types, sizes against limits, the manifest schema,
 * and that payload entries and manifest entries match one to one.
 * Signature trust is the caller's decision (see verifyManifestSignature).
 */
export async function openArchive(file: string, limits: ArchiveLimits, trust?: TrustCheck): Promise<OpenArchive> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT')
      throw new HfxError('HFX_E_NOT_FOUND', `archive ${file} does not exist`, { hint: 'Check the path.' });
    if (err.code) throw asHfxError(e, `cannot read ${file}`);
    throw archiveError(file, err.message, e);
  }
  // Payload bytes are read through a descriptor of our own, in large pieces (see payloadChunks).
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    zip.close();
    throw asHfxError(e, `cannot read ${file}`);
  }
  try {
    return await readCentral(file, zip, fd, limits, trust);
  } catch (e) {
    zip.close();
    closeSync(fd);
    throw e;
  }
}

async function readCentral(
  file: string,
  zip: yauzl.ZipFile,
  fd: number,
  limits: ArchiveLimits,
  trust: TrustCheck | undefined,
): Promise<OpenArchive> {
  if (zip.entryCount > limits.maxEntries) {
    throw new HfxError('HFX_E_TOO_LARGE', `${file} has ${zip.entryCount} entries; the limit is ${limits.maxEntries}`, {
      hint: 'Nothing was changed.',
    });
  }
  const byName = new Map<string, RawEntry>();
  const all: yauzl.Entry[] = [];
  try {
    for await (const entry of zip.eachEntry()) {
      let name: string;
      try {
        name = utf8.decode(entry.fileName as unknown as Buffer);
      } catch {
        throw new HfxError('HFX_E_UNSAFE_PATH', `${file} has an entry name that is not UTF-8`, {
          hint: 'Nothing was changed.',
        });
      }
      if (byName.has(name))
        throw new HfxError('HFX_E_ARCHIVE', `${file} has two entries named ${JSON.stringify(name)}`, {
          hint: 'The archive is malformed or hostile; nothing was changed.',
        });
      checkEntryShape(file, name, entry, limits);
      byName.set(name, { name, entry });
      all.push(entry);
    }
  } catch (e) {
    if (e instanceof HfxError) throw e;
    throw archiveError(file, (e as Error).message, e);
  }
  const manEntry = byName.get(MANIFEST_NAME);
  if (!manEntry)
    throw new HfxError('HFX_E_MANIFEST', `${file} has no ${MANIFEST_NAME}`, {
      hint: 'Is it an hfx archive? `unzip -l` shows what it holds.',
    });
  const manText = await readSmall(file, zip, manEntry.entry, limits.maxManifestBytes, 'manifest');
  let rawManifest: unknown;
  try {
    rawManifest = JSON.parse(manText.toString('utf8'));
  } catch (e) {
    throw new HfxError('HFX_E_MANIFEST', `${MANIFEST_NAME} is not JSON: ${(e as Error).message}`, {
      hint: 'The archive is damaged; nothing was changed.',
    });
  }

  let signatures: SignatureFile | null = null;
  const sigEntry = byName.get(SIGNATURE_NAME);
  if (sigEntry) {
    const sigText = await readSmall(file, zip, sigEntry.entry, limits.maxSignatureBytes, 'signature');
    let raw: unknown;
    try {
      raw = JSON.parse(sigText.toString('utf8'));
    } catch {
      throw new HfxError('HFX_E_SIGNATURE', `${SIGNATURE_NAME} is not JSON`, {
        hint: 'Re-sign the archive with `hfx sign`.',
      });
    }
    signatures = parseSignatureFile(raw);
  }
  trust?.(rawManifest, signatures);
  const manifest = parseManifest(rawManifest);
  const dataStart = await checkNoOverlap(file, zip, all);

  // Payload entries and manifest entries must match one to one, with the declared sizes.
  const payload = new Map<string, yauzl.Entry>();
  let total = 0;
  for (const e of manifest.entries) {
    const pn = payloadName(e);
    if (pn === null) continue;
    const raw = byName.get(pn);
    if (!raw) throw archiveError(file, `the payload of ${JSON.stringify(e.path)} is missing`);
    const size = (e.after as FileState).size;
    if (raw.entry.uncompressedSize !== size) {
      throw new HfxError(
        'HFX_E_INTEGRITY',
        `${JSON.stringify(e.path)} is ${raw.entry.uncompressedSize} bytes in the ZIP but ${size} in the manifest`,
        { hint: 'The archive was tampered with or damaged; nothing was changed.' },
      );
    }
    total += size;
    payload.set(e.path, raw.entry);
  }
  if (total > limits.maxTotalBytes) {
    throw new HfxError('HFX_E_TOO_LARGE', `the payload is ${total} bytes; the limit is ${limits.maxTotalBytes}`, {
      hint: 'Nothing was changed.',
    });
  }
  for (const name of byName.keys()) {
    if (name === MANIFEST_NAME || name === SIGNATURE_NAME) continue;
    if (!name.startsWith(PAYLOAD_PREFIX) || !payload.has(name.slice(PAYLOAD_PREFIX.length))) {
      throw archiveError(file, `entry ${JSON.stringify(name)} is not named by the manifest`);
    }
  }

  const digest = createHash('sha256').update(signedBytes(rawManifest)).digest('hex');

  return {
    file,
    manifest,
    rawManifest,
    signatures,
    digest,
    close: () => {
      zip.close();
      closeSync(fd);
    },
    verifyPayload: async () => {
      for (const e of manifest.entries) {
        const entry = payload.get(e.path);
        if (!entry) continue;
        const start = dataStart.get(entry);
        if (start === undefined) throw new HfxError('HFX_E_INTERNAL', `no data offset for ${e.path}`);
        await extract(file, fd, entry, start, e.path, null, e.after as FileState);
      }
    },
    payloadStream: async (path) => {
      const entry = payload.get(path);
      if (!entry) throw new HfxError('HFX_E_INTERNAL', `no payload for ${path}`);
      return openStream(file, zip, entry);
    },
    extractTo: (path, dest, expect) => {
      const entry = payload.get(path);
      const start = entry && dataStart.get(entry);
      if (!entry || start === undefined) {
        return Promise.reject(new HfxError('HFX_E_INTERNAL', `no payload for ${path}`));
      }
      return extract(file, fd, entry, start, path, dest, expect);
    },
  };
}

function checkEntryShape(file: string, name: string, entry: yauzl.Entry, limits: ArchiveLimits): void {
  if (name !== MANIFEST_NAME && name !== SIGNATURE_NAME) {
    // The path rules first: an escaping name is a hostile archive, not merely an unexpected entry.
    checkRelPath(name.endsWith('/') ? name.slice(0, -1) : name, 'archive entry');
    if (!name.startsWith(PAYLOAD_PREFIX)) throw archiveError(file, `unexpected entry ${JSON.stringify(name)}`);
    checkRelPath(name.slice(PAYLOAD_PREFIX.length), 'archive entry');
  }
  const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
  // Made on Unix (versionMadeBy high byte 3) the high 16 bits are st_mode; 0 means "not said".
  if (entry.versionMadeBy >>> 8 === 3 && type !== 0 && type !== S_IFREG) {
    const what = type === S_IFLNK ? 'a symbolic link' : type === S_IFDIR ? 'a directory' : 'a device, FIFO or socket';
    throw new HfxError(
      'HFX_E_UNSAFE_PATH',
      `entry ${JSON.stringify(name)} is ${what}; archives carry only regular files (links are described in the manifest)`,
      { hint: 'The archive is malformed or hostile; nothing was changed.' },
    );
  }
  if (name.endsWith('/')) throw archiveError(file, `unexpected directory entry ${JSON.stringify(name)}`);
  if (entry.isEncrypted()) throw archiveError(file, `entry ${JSON.stringify(name)} is encrypted`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    throw archiveError(file, `entry ${JSON.stringify(name)} uses compression method ${entry.compressionMethod}`);
  if (entry.compressionMethod === 0 && entry.compressedSize !== entry.uncompressedSize)
    throw archiveError(file, `stored entry ${JSON.stringify(name)} has different sizes`);
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (ratio > limits.maxRatio) {
    throw new HfxError(
      'HFX_E_TOO_LARGE',
      `entry ${JSON.stringify(name)} claims a compression ratio of ${Math.round(ratio)}:1 (limit ${limits.maxRatio}:1)`,
      { hint: 'This looks like a zip bomb; nothing was changed.' },
    );
  }
}

/**
 * Entries whose bytes overlap are the trick behind non-recursive zip bombs. Each entry spans from
 * its local header to the end of its data, where the data starts is read from the local header
 * itself (its extra field can hide another entry's header: Fifield's "quoting").
 */
async function checkNoOverlap(
  file: string,
  zip: yauzl.ZipFile,
  entries: yauzl.Entry[],
): Promise<Map<yauzl.Entry, number>> {
  const spans: [number, number][] = [];
  const starts = new Map<yauzl.Entry, number>();
  for (const e of entries) {
    let start: number;
    try {
      start = (await zip.readLocalFileHeaderPromise(e, { minimal: true })).fileDataStart;
    } catch (err) {
      throw archiveError(file, (err as Error).message, err);
    }
    spans.push([e.relativeOffsetOfLocalHeader, start + e.compressedSize]);
    starts.set(e, start);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const span of spans) {
    if (span[0] < end) {
      throw new HfxError('HFX_E_TOO_LARGE', `${file} has entries whose data overlap`, {
        hint: 'This is how some zip bombs are built; nothing was changed.',
      });
    }
    end = span[1];
  }
  return starts;
}

async function openStream(file: string, zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  try {
    return await zip.openReadStreamPromise(entry);
  } catch (e) {
    throw archiveError(file, (e as Error).message, e);
  }
}

async function readSmall(
  file: string,
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  max: number,
  what: string,
): Promise<Buffer> {
  if (entry.uncompressedSize > max) {
    throw new HfxError(
      what === 'manifest' ? 'HFX_E_MANIFEST' : 'HFX_E_SIGNATURE',
      `the ${what} is ${entry.uncompressedSize} bytes; the limit is ${max}`,
      { hint: 'Nothing was changed.' },
    );
  }
  const stream = await openStream(file, zip, entry);
  const parts: Buffer[] = [];
  let n = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > max)
        throw new HfxError('HFX_E_TOO_LARGE', `the ${what} is larger than ${max} bytes`, {
          hint: 'Nothing was changed.',
        });
      crc = crc32(chunk, crc);
      parts.push(chunk);
    }
  } catch (e) {
    if (e instanceof HfxError) throw e;
    throw archiveError(file, `${what}: ${(e as Error).message}`, e);
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) throw archiveError(file, `CRC-32 mismatch in the ${what}`);
  return Buffer.concat(parts);
}

const CHUNK = 1 << 20;
const readAt = promisify(read);
const fsyncFd = promisify(fsync);

/** An entry's stored bytes, read 1 MiB at a time from the archive's descriptor. */
async function* storedBytes(file: string, archiveFd: number, start: number, length: number): AsyncGenerator<Buffer> {
  for (let pos = 0; pos < length;) {
    const want = Math.min(CHUNK, length - pos);
    const { bytesRead, buffer } = await readAt(archiveFd, Buffer.allocUnsafe(want), 0, want, start + pos);
    if (bytesRead === 0) throw archiveError(file, 'the archive ends inside an entry');
    pos += bytesRead;
    yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
  }
}

/**
 * An entry's content. yauzl's own streams move 16 KiB per thread-pool round trip for reading and
 * again for inflating (thousands per megabyte of payload); here both move 1 MiB, which cut the
 * staging of a 51 MB hotfix by about half. Errors of either stage reach the reader's loop.
 */
function payloadChunks(file: string, archiveFd: number, entry: yauzl.Entry, start: number): Readable {
  const stored = Readable.from(storedBytes(file, archiveFd, start, entry.compressedSize), { objectMode: false });
  if (entry.compressionMethod === 0) return stored;
  return pipeline(stored, createInflateRaw({ chunkSize: CHUNK }), () => {
    /* nothing to do: an error of either stage reaches the reader through the returned stream */
  });
}

/** Streams one entry to `dest` (or nowhere, to only check it), verifying size, CRC-32 and sha256. */
async function extract(
  file: string,
  archiveFd: number,
  entry: yauzl.Entry,
  start: number,
  path: string,
  dest: string | null,
  expect: FileState,
): Promise<void> {
  let fd: number | null = null;
  if (dest !== null) {
    try {
      fd = openSync(dest, 'wx', 0o600);
    } catch (e) {
      throw asHfxError(e, `cannot create ${dest}`);
    }
  }
  try {
    const stream = payloadChunks(file, archiveFd, entry, start);
    const hash = createHash('sha256');
    let crc = 0;
    let n = 0;
    try {
      // Pieces of up to 1 MiB, written synchronously: a thread-pool round trip each would cost more.
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        n += chunk.length;
        if (n > expect.size) break;
        hash.update(chunk);
        crc = crc32(chunk, crc);
        if (fd !== null) writeSync(fd, chunk);
      }
    } catch (e) {
      if (e instanceof HfxError || (e as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw asHfxError(e, `writing ${String(dest)}`);
      }
      throw archiveError(file, `${path}: ${(e as Error).message}`, e);
    }
    // The ZIP's size was checked equal to the manifest's at open: data that inflates to another
    // length is the ZIP contradicting itself (damage, or a bomb).
    if (n !== entry.uncompressedSize)
      throw archiveError(
        file,
        `${JSON.stringify(path)} holds ${n > entry.uncompressedSize ? 'more' : 'fewer'} bytes than the ZIP declares (${entry.uncompressedSize})`,
      );
    if (crc >>> 0 !== entry.crc32 >>> 0) throw archiveError(file, `CRC-32 mismatch in ${JSON.stringify(path)}`);
    if (hash.digest('hex') !== expect.sha256) {
      throw new HfxError(
        'HFX_E_INTEGRITY',
        `the payload of ${JSON.stringify(path)} does not match its sha256 in the manifest`,
        { hint: 'The archive was tampered with or damaged; nothing was changed.' },
      );
    }
    if (fd !== null) {
      fchmodSync(fd, parseInt(expect.mode, 8));
      // Through the descriptor opened for writing: reopened by path, a mode without read
      // permission (0200) would refuse a non-root user. Off the main thread, so that files staged
      // at the same time go on meanwhile and their flushes overlap.
      await fsyncFd(fd);
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
