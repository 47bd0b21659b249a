// A tiny raw ZIP writer and reader for hostile-archive tests. Real writers (yazl) refuse to
// produce the lies we need — wrong CRCs and sizes, duplicate names, overlapping entries,
// device modes — so every field a reader checks can be set by hand here.
import { crc32, deflateRawSync } from 'node:zlib';

const LOCAL_SIG = 0x04034b50;
const CENTRAL_SIG = 0x02014b50;
const EOCD_SIG = 0x06054b50;
/** "Made by" Unix (high byte 3), spec 3.0: readers take the high 16 bits of the attributes as st_mode. */
export const MADE_BY_UNIX = 0x031e;
const UTF8_FLAG = 0x0800;

export interface ForgeEntry {
  name: string | Buffer;
  data?: Buffer;
  /** Deflate the data (method 8); stored (method 0) otherwise. */
  deflate?: boolean;
  /** Compression method written in the headers, whatever was done to the data. */
  method?: number;
  /** st_mode, written into the high 16 bits of the external attributes. Default 0o100644. */
  mode?: number;
  madeBy?: number;
  flags?: number;
  /** Lies written in both headers instead of the true values. */
  crc?: number;
  size?: number;
  compressedSize?: number;
  /** Bytes in the local header's extra field (readers skip them). */
  localExtra?: Buffer;
  /** No local header or data of its own: the central record points at the offset this returns. */
  at?: (localOffsets: readonly number[]) => number;
}

interface Prepared {
  name: Buffer;
  stored: Buffer;
  method: number;
  crc: number;
  size: number;
  csize: number;
  flags: number;
  e: ForgeEntry;
}

function prepare(e: ForgeEntry): Prepared {
  const data = e.data ?? Buffer.alloc(0);
  const stored = e.deflate ? deflateRawSync(data) : data;
  return {
    name: Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8'),
    stored,
    method: e.method ?? (e.deflate ? 8 : 0),
    crc: e.crc ?? crc32(data),
    size: e.size ?? data.length,
    csize: e.compressedSize ?? stored.length,
    flags: e.flags ?? UTF8_FLAG,
    e,
  };
}

/** The local file header of `e` alone (for tests that hide one header inside another). */
export function localHeader(e: ForgeEntry): Buffer {
  return localHeaderOf(prepare(e));
}

function localHeaderOf(p: Prepared): Buffer {
  const extra = p.e.localExtra ?? Buffer.alloc(0);
  const h = Buffer.alloc(30);
  h.writeUInt32LE(LOCAL_SIG, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(p.flags, 6);
  h.writeUInt16LE(p.method, 8);
  h.writeUInt32LE(0x5c210000, 10); // a fixed DOS time and date
  h.writeUInt32LE(p.crc >>> 0, 14);
  h.writeUInt32LE(p.csize >>> 0, 18);
  h.writeUInt32LE(p.size >>> 0, 22);
  h.writeUInt16LE(p.name.length, 26);
  h.writeUInt16LE(extra.length, 28);
  return Buffer.concat([h, p.name, extra]);
}

function centralHeaderOf(p: Prepared, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(CENTRAL_SIG, 0);
  h.writeUInt16LE(p.e.madeBy ?? MADE_BY_UNIX, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(p.flags, 8);
  h.writeUInt16LE(p.method, 10);
  h.writeUInt32LE(0x5c210000, 12);
  h.writeUInt32LE(p.crc >>> 0, 16);
  h.writeUInt32LE(p.csize >>> 0, 20);
  h.writeUInt32LE(p.size >>> 0, 24);
  h.writeUInt16LE(p.name.length, 28);
  h.writeUInt32LE(((p.e.mode ?? 0o100644) << 16) >>> 0, 38);
  h.writeUInt32LE(offset >>> 0, 42);
  return Buffer.concat([h, p.name]);
}

/** Writes entries in order: local headers and data, then the central directory and its end record. */
export function forgeZip(entries: readonly ForgeEntry[]): Buffer {
  const prepared = entries.map(prepare);
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let pos = 0;
  for (const p of prepared) {
    offsets.push(pos);
    if (p.e.at) continue;
    const h = localHeaderOf(p);
    parts.push(h, p.stored);
    pos += h.length + p.stored.length;
  }
  const cdStart = pos;
  for (const [i, p] of prepared.entries()) {
    const c = centralHeaderOf(p, p.e.at ? p.e.at(offsets) : offsets[i]!);
    parts.push(c);
    pos += c.length;
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD_SIG, 0);
  end.writeUInt16LE(prepared.length, 8);
  end.writeUInt16LE(prepared.length, 10);
  end.writeUInt32LE(pos - cdStart, 12);
  end.writeUInt32LE(cdStart, 16);
  parts.push(end);
  return Buffer.concat(parts);
}

export interface CentralRecord {
  /** Offset of this central directory record in the file. */
  at: number;
  name: string;
  method: number;
  /** Where the local header is, and where its data starts and ends. */
  local: number;
  dataStart: number;
  dataEnd: number;
}

export interface ZipLayout {
  cdStart: number;
  eocd: number;
  records: CentralRecord[];
}

/**
 * Where things are in a ZIP without comment or ZIP64 (what yazl and forgeZip write).
 * Returns null rather than throwing on anything it cannot follow, so that it can be run on
 * mutated archives.
 */
export function zipLayout(buf: Buffer): ZipLayout | null {
  const eocd = buf.length - 22;
  if (eocd < 0 || buf.readUInt32LE(eocd) !== EOCD_SIG) return null;
  const count = buf.readUInt16LE(eocd + 10);
  const cdStart = buf.readUInt32LE(eocd + 16);
  const records: CentralRecord[] = [];
  let at = cdStart;
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || buf.readUInt32LE(at) !== CENTRAL_SIG) return null;
    const nameLen = buf.readUInt16LE(at + 28);
    const next = at + 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    if (next > eocd || local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL_SIG) return null;
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const dataEnd = dataStart + buf.readUInt32LE(at + 20);
    if (dataEnd > buf.length) return null;
    records.push({
      at,
      name: buf.toString('utf8', at + 46, at + 46 + nameLen),
      method: buf.readUInt16LE(at + 10),
      local,
      dataStart,
      dataEnd,
    });
    at = next;
  }
  return { cdStart, eocd, records };
}

/** Sets a stored entry's CRC-32 (in both headers) to match its data as it now is. */
export function fixStoredCrc(buf: Buffer, r: CentralRecord): void {
  const crc = crc32(buf.subarray(r.dataStart, r.dataEnd));
  buf.writeUInt32LE(crc, r.at + 16);
  buf.writeUInt32LE(crc, r.local + 14);
}

/**
 * The entries of an hfx archive: manifest, signature (unless null), then payload/<path> for each
 * payload. Manifest and signature are JSON-encoded unless given as raw bytes.
 */
export function hfxEntries(
  manifest: unknown,
  signatures: unknown,
  payload: Readonly<Record<string, Buffer>>,
): ForgeEntry[] {
  const json = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v, null, 2) + '\n'));
  return [
    { name: 'hfx-manifest.json', data: json(manifest) },
    ...(signatures === null ? [] : [{ name: 'hfx-signature.json', data: json(signatures) }]),
    ...Object.entries(payload).map(([p, data]) => ({ name: `payload/${p}`, data })),
  ];
}
