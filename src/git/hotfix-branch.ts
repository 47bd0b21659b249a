// A hotfix's branch is named after its version: hotfix/1.7.1.

import { isVersionName } from '../version.js';

const HOTFIX_PREFIX = 'hotfix/';

export function hotfixBranch(version: string): string {
  return HOTFIX_PREFIX + version;
}

/** `hotfix/1.7.1` → `1.7.1`; null for any other branch. */
export function versionOfBranch(branch: string): string | null {
  if (!branch.startsWith(HOTFIX_PREFIX)) return null;
  const v = branch.slice(HOTFIX_PREFIX.length);
  return isVersionName(v) ? v : null;
}
