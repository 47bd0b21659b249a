// Product versions, in the two grammars hfx meets them.
//
// Release manifests use semantic versions (https://semver.org): MAJOR.MINOR.PATCH[-pre][+build].
// They name the manifest file (releases/<version>.json), so the grammar also keeps file names safe.
//
// Git tags and the versions people type for hotfixes are looser: dotted numbers after a prefix
// (v1.7.0, release-1.7.0, product-v4.2.0.12), which become branch names, tag names and an
// archive's `release`. Pre-release tags (v1.8.0-rc1) have no next patch.
//
// (The versions of TUF metadata are another thing: src/tuf/metadata-versions.ts.)

import { HfxError } from './errors.js';
import { NAME_RE } from './names.js';

// ---- semantic versions: release manifests ----

const NUM = '(?:0|[1-9]\\d*)';
const PRE_ID = `(?:${NUM}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
export const SEMVER_RE = new RegExp(
  `^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`,
);

export function isSemver(v: string): boolean {
  return v.length <= 128 && SEMVER_RE.test(v);
}

export function checkSemver(v: string, what = 'version'): string {
  if (!isSemver(v)) {
    throw new HfxError('HFX_E_USAGE', `${what} ${JSON.stringify(v)} is not a semantic version`, {
      hint: 'Versions look like 1.7.1, 1.7.1-rc.1 or 1.7.1+build.5.',
    });
  }
  return v;
}

/** The next patch release: 1.7.0 → 1.7.1; a pre-release or build suffix is dropped (1.7.0-rc.1 → 1.7.1). */
export function nextSemverPatch(v: string): string {
  const m = SEMVER_RE.exec(checkSemver(v, 'base version'));
  if (!m) throw new HfxError('HFX_E_INTERNAL', `${v} passed the semver check but does not match`);
  const [, major = '', minor = '', patch = ''] = m;
  return `${major}.${minor}.${BigInt(patch) + 1n}`;
}

/** semver precedence; versions that differ only in build metadata are ordered by their text. */
export function compareSemver(a: string, b: string): number {
  const ma = SEMVER_RE.exec(a);
  const mb = SEMVER_RE.exec(b);
  if (!ma || !mb) return a < b ? -1 : a > b ? 1 : 0;
  // Groups 1 to 3 (major, minor, patch) always take part in a match.
  for (let i = 1; i <= 3; i++) {
    const d = BigInt(ma[i] ?? 0) - BigInt(mb[i] ?? 0);
    if (d !== 0n) return d < 0n ? -1 : 1;
  }
  const pa = ma[4];
  const pb = mb[4];
  if (pa !== pb) {
    if (pa === undefined) return 1;
    if (pb === undefined) return -1;
    const xa = pa.split('.');
    const xb = pb.split('.');
    for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
      const ia = xa[i];
      const ib = xb[i];
      if (ia === undefined) return -1;
      if (ib === undefined) return 1;
      if (ia === ib) continue;
      const na = /^\d+$/.test(ia);
      const nb = /^\d+$/.test(ib);
      if (na && nb) return BigInt(ia) < BigInt(ib) ? -1 : 1;
      if (na !== nb) return na ? -1 : 1;
      return ia < ib ? -1 : 1;
    }
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- versions of tags and hotfixes ----

export interface TagVersion {
  /** What comes before the version: `v`, `release-`, or ''. */
  prefix: string;
  /** The tag without its prefix: `1.7.0`, `1.7.0-rc1`. */
  version: string;
  /** The dotted numbers of the version. */
  numbers: number[];
  /** What follows the numbers: `-rc1`, or ''. */
  suffix: string;
}

/** Splits a tag into prefix and version: `v1.7.0`, `release-1.7.0`, `1.7.0`, `product-v4.2.0.12`. Null when it holds no dotted version. */
export function parseTag(tag: string): TagVersion | null {
  const m = /^(.*?)(?<![\d.])(\d+(?:\.\d+)+)(.*)$/.exec(tag);
  if (!m) return null;
  const [, prefix = '', nums = '', suffix = ''] = m;
  if (suffix !== '' && !/^[-+_~]/.test(suffix)) return null;
  return { prefix, version: nums + suffix, numbers: nums.split('.').map(Number), suffix };
}

/** The next patch version after a tag: v1.7.0 → 1.7.1, release-2.3 → 2.3.1, 4.2.0.12 → 4.2.0.13. Null for pre-releases (`-rc1`) or tags without a version. */
export function nextTagPatch(tag: string): string | null {
  const t = parseTag(tag);
  if (t?.suffix !== '') return null;
  const n = t.numbers;
  if (n.length === 2) return [...n, 1].join('.');
  return n.map((x, i) => (i === n.length - 1 ? x + 1 : x)).join('.');
}

/** A version as the user typed it, without a leading `v`. */
export function withoutLeadingV(v: string): string {
  return /^[vV]\d/.test(v) ? v.slice(1) : v;
}

/** A version that can be a branch name, a tag name and an archive's `release`: a name (src/names.ts) without `..` or a trailing dot. */
export function isVersionName(v: string): boolean {
  return NAME_RE.test(v) && !v.includes('..') && !v.endsWith('.');
}

/** The tag for a new version in the style of the base tag: base v1.7.0 → v1.7.1; release-1.7.0 → release-1.7.1. */
export function tagNameFor(baseTag: string, version: string): string {
  return (parseTag(baseTag)?.prefix ?? '') + version;
}
