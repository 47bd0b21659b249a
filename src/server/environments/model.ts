import { HfxError } from '../../errors.js';

/**
 * The tag a deployment suggests ("Tag & Deploy 1.7.1"): a hotfix bumps the patch number
 * (1.7.0 → 1.7.1), an update level the minor one (1.7.3 → 1.8.0). A pre-release or build suffix
 * is dropped; a version of fewer than three numbers is padded (1.7 → 1.7.1).
 */
export function nextTag(current: string, kind: 'hotfix' | 'update'): string {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(current);
  if (!m)
    throw new HfxError('HFX_E_USAGE', `"${current}" is not a version (MAJOR.MINOR.PATCH)`, {
      hint: 'Give the tag with --tag.',
    });
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  const patch = Number(m[3] ?? 0);
  const prefix = current.startsWith('v') ? 'v' : '';
  return kind === 'hotfix' ? `${prefix}${major}.${minor}.${patch + 1}` : `${prefix}${major}.${minor + 1}.0`;
}

/** Compares two dotted versions numerically (1.10.0 > 1.9.3); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  // The numbers before any pre-release or build suffix (split always gives a first part).
  const parts = (v: string) => (v.replace(/^v/, '').split(/[-+]/)[0] ?? '').split('.').map((x) => Number(x) || 0);
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export interface Content {
  release: string;
  level: number;
  hotfixes: { id: string; digest: string }[];
}

/** What a tag pins: release, level and the set of hotfixes (by id and digest), in one comparable string. */
export function contentSignature(c: Content): string {
  return `${c.release}@${c.level}:${c.hotfixes
    .map((h) => `${h.id}=${h.digest}`)
    .sort()
    .join(',')}`;
}

/** The version an environment shows: its tag, with '+' for changes made since it was tagged. */
export function displayVersion(tag: string | null, release: string | null, untagged: boolean): string | null {
  const base = tag ?? release;
  return base === null ? null : `${base}${untagged ? '+' : ''}`;
}

export interface FileView {
  path: string;
  /** sha256 of a file, `->target` of a link, `dir`, or null when removed; `unknown` when no archive says. */
  a: string | null;
  b: string | null;
  same: boolean;
}

/** File-by-file difference of two path → content maps (only the paths either map names). */
export function compareFiles(a: Map<string, string | null>, b: Map<string, string | null>): FileView[] {
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths.map((path) => {
    // A path a map does not name is the base's; a null content (removed) is kept as null.
    const inA = a.get(path);
    const inB = b.get(path);
    const x = inA === undefined ? 'base' : inA;
    const y = inB === undefined ? 'base' : inB;
    return { path, a: x, b: y, same: x === y };
  });
}
