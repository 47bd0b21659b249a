import { HfxError } from '../../errors.js';

/** The folder inside a pack where hfx keeps its own state; no archive may touch it. */
export const STATE_DIR = '.hfx';

const MAX_PATH = 4096;
const MAX_SEGMENT_BYTES = 255;
// C0 and C1 control characters (C1's CSI can drive a terminal), backslash (a separator on
// Windows) and the Windows drive prefix. \p{Cc} is exactly U+0000–U+001F and U+007F–U+009F.
const FORBIDDEN = /[\p{Cc}\\]/u;
const DRIVE = /^[A-Za-z]:/;

/**
 * Checks that `p` is a relative, normalised, portable path that stays inside the pack.
 * Returns it unchanged; throws HFX_E_UNSAFE_PATH naming the rule it breaks.
 */
export function checkRelPath(p: unknown, where = 'path'): string {
  const bad = (why: string): never => {
    throw new HfxError('HFX_E_UNSAFE_PATH', `${where} ${JSON.stringify(p)} ${why}`, {
      hint: 'The archive is malformed or hostile; nothing was changed. Ask its publisher for a new one.',
    });
  };
  if (typeof p !== 'string' || p.length === 0) return bad('is empty or not a string');
  if (p.length > MAX_PATH) return bad(`is longer than ${MAX_PATH} characters`);
  if (FORBIDDEN.test(p)) return bad('contains a control character or a backslash');
  if (p.startsWith('/')) return bad('is absolute');
  if (DRIVE.test(p)) return bad('starts with a drive letter');
  if (p.normalize('NFC') !== p) return bad('is not in Unicode NFC form');
  const segs = p.split('/');
  for (const s of segs) {
    if (s === '' || s === '.' || s === '..') return bad('has an empty, "." or ".." segment');
    if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) return bad(`has a segment over ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (segs[0]?.toLowerCase() === STATE_DIR) return bad(`is inside ${STATE_DIR}/, which belongs to hfx`);
  return p;
}

/** Two paths that collide on a case-insensitive or normalising file system share this key. */
function portableKey(p: string): string {
  return p.normalize('NFC').toLowerCase();
}

/** Throws if any two paths are equal, or equal but for case or Unicode normalisation. */
export function checkNoTwins(paths: Iterable<string>, where = 'path'): void {
  const seen = new Map<string, string>();
  for (const p of paths) {
    const k = portableKey(p.normalize('NFC'));
    const prev = seen.get(k);
    if (prev !== undefined) {
      throw new HfxError(
        'HFX_E_UNSAFE_PATH',
        prev === p
          ? `${where} ${JSON.stringify(p)} appears twice`
          : `${where}s ${JSON.stringify(prev)} and ${JSON.stringify(p)} differ only by case or Unicode form`,
        {
          hint: 'Such names overwrite each other on some file systems; the archive was refused and nothing was changed.',
        },
      );
    }
    seen.set(k, p);
  }
}

export function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function depth(p: string): number {
  let n = 0;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 47) n++;
  return n;
}
