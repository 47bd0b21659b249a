// Release versions are semantic versions (https://semver.org): MAJOR.MINOR.PATCH[-pre][+build].
// They name the manifest file (releases/<version>.json), so the grammar also keeps file names safe.

import { HfxError } from '../errors.js';

const NUM = '(?:0|[1-9]\\d*)';
const PRE_ID = `(?:${NUM}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
export const VERSION_RE = new RegExp(`^(${NUM})\\.(${NUM})\\.(${NUM})(?:-(${PRE_ID}(?:\\.${PRE_ID})*))?(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$`);

export function isVersion(v: string): boolean {
  return v.length <= 128 && VERSION_RE.test(v);
}

export function checkVersion(v: string, what = 'version'): string {
  if (!isVersion(v)) {
    throw new HfxError('HFX_E_USAGE', `${what} ${JSON.stringify(v)} is not a semantic version`, { hint: 'Versions look like 1.7.1, 1.7.1-rc.1 or 1.7.1+build.5.' });
  }
  return v;
}

/** The next patch release: 1.7.0 → 1.7.1; a pre-release or build suffix is dropped (1.7.0-rc.1 → 1.7.1). */
export function nextPatch(v: string): string {
  const m = VERSION_RE.exec(checkVersion(v, 'base version'));
  return `${m![1]}.${m![2]}.${BigInt(m![3]!) + 1n}`;
}

/** semver precedence; versions that differ only in build metadata are ordered by their text. */
export function compareVersions(a: string, b: string): number {
  const ma = VERSION_RE.exec(a);
  const mb = VERSION_RE.exec(b);
  if (!ma || !mb) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 1; i <= 3; i++) {
    const d = BigInt(ma[i]!) - BigInt(mb[i]!);
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
