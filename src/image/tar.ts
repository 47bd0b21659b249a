// A minimal, reproducible tar writer: ustar headers, plus a PAX extended header when a name or
// link target does not fit ustar or a size exceeds 8 GiB. Every header has uid/gid 0, empty
// uname/gname and the same mtime, so equal inputs give equal bytes.

export type TarEntry =
  | { type: 'file'; path: string; mode: number; size: number }
  | { type: 'dir'; path: string; mode: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;

function octal(buf: Buffer, off: number, len: number, v: number): void {
  buf.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'ascii');
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** Splits a name into ustar's prefix (≤155 bytes) and name (≤100 bytes), or null when it cannot. */
function splitUstar(name: string): { prefix: string; name: string } | null {
  if (!/^[\x20-\x7e]*$/.test(name)) return null;
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const p = name.slice(0, i);
    const n = name.slice(i + 1);
    if (p.length <= 155 && n.length <= 100 && n.length > 0) return { prefix: p, name: n };
  }
  return null;
}

function rawHeader(
  name: { prefix: string; name: string },
  typeflag: string,
  mode: number,
  size: number,
  mtime: number,
  linkname: string,
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name.name, 0, 100, 'utf8');
  octal(h, 100, 8, mode & 0o7777);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.fill(0x20, 148, 156);
  h.write(typeflag, 156, 1, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\x0000', 257, 8, 'binary');
  octal(h, 329, 8, 0);
  octal(h, 337, 8, 0);
  h.write(name.prefix, 345, 155, 'utf8');
  let sum = 0;
  // h is BLOCK bytes long: h[i] is always there (a for-of over a Buffer is five times slower).
  for (let i = 0; i < BLOCK; i++) sum += h[i] ?? 0;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

/** The header block(s) of one entry; a file's content and padding follow it. */
export function tarHeader(e: TarEntry, mtime: number): Buffer {
  const name = e.type === 'dir' ? `${e.path.replace(/\/$/, '')}/` : e.path;
  const link = e.type === 'symlink' ? e.target : '';
  const size = e.type === 'file' ? e.size : 0;
  const pax: string[] = [];
  let ustar = splitUstar(name);
  if (ustar === null) {
    pax.push(paxRecord('path', name));
    ustar = {
      prefix: '',
      name: Buffer.from(name)
        .subarray(0, 100)
        .toString('latin1')
        .replace(/[^\x20-\x7e]/g, '_'),
    };
  }
  let linkname = link;
  if (link && (Buffer.byteLength(link) > 100 || !/^[\x20-\x7e]*$/.test(link))) {
    pax.push(paxRecord('linkpath', link));
    linkname = link.slice(0, 100).replace(/[^\x20-\x7e]/g, '_');
  }
  let hsize = size;
  if (size > 0o77777777777) {
    pax.push(paxRecord('size', String(size)));
    hsize = 0;
  }
  const mode = e.type === 'symlink' ? 0o777 : e.mode;
  const flag = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
  const main = rawHeader(ustar, flag, mode, hsize, mtime, linkname);
  if (pax.length === 0) return main;
  const body = Buffer.from(pax.join(''), 'utf8');
  const paxName = splitUstar(`PaxHeaders/${ustar.name}`.slice(0, 100)) ?? { prefix: '', name: 'PaxHeaders' };
  const ph = rawHeader(paxName, 'x', 0o644, body.length, mtime, '');
  return Buffer.concat([ph, body, Buffer.alloc(pad(body.length)), main]);
}

export function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Two zero blocks end an archive. */
export const TAR_END = Buffer.alloc(BLOCK * 2);
