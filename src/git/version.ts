// Versions, tags and hotfix branch names: pure functions, no git.

import { NAME_RE } from '../names.js';

export const HOTFIX_PREFIX = 'hotfix/';

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
export function nextPatch(tag: string): string | null {
  const t = parseTag(tag);
  if (!t || t.suffix !== '') return null;
  const n = [...t.numbers];
  if (n.length === 2) n.push(1);
  else n[n.length - 1] = n[n.length - 1]! + 1;
  return n.join('.');
}

/** A version as the user typed it, without a leading `v`. */
export function normaliseVersion(v: string): string {
  return /^[vV]\d/.test(v) ? v.slice(1) : v;
}

/** Versions become branch names, tag names and the archive's `release`: letters, digits, `. _ + -`, starting with a letter or digit. */
export function isValidVersion(v: string): boolean {
  return NAME_RE.test(v) && !v.includes('..') && !v.endsWith('.');
}

/** The tag for a new version in the style of the base tag: base v1.7.0 → v1.7.1; release-1.7.0 → release-1.7.1. */
export function tagNameFor(baseTag: string, version: string): string {
  return (parseTag(baseTag)?.prefix ?? '') + version;
}

/** `hotfix/1.7.1` → `1.7.1`; null for any other branch. */
export function versionOfBranch(branch: string): string | null {
  if (!branch.startsWith(HOTFIX_PREFIX)) return null;
  const v = branch.slice(HOTFIX_PREFIX.length);
  return isValidVersion(v) ? v : null;
}

export function hotfixBranch(version: string): string {
  return HOTFIX_PREFIX + version;
}
