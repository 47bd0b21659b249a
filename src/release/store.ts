// The releases/ directory: reading, listing and atomically writing manifests.

import { randomBytes } from 'node:crypto';
import { linkSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError, asHfxError, isHfxError } from '../errors.js';
import { fsyncPathSync } from '../engine/index.js';
import { parseReleaseManifest, serializeRelease, type ReleaseManifest } from './schema.js';
import { checkSemver, compareSemver, isSemver } from '../version.js';

export const CONFIG_NAME = 'hfx-release.config.json';
/** Manifests are small; anything larger is not one. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function releaseFile(dir: string, version: string): string {
  return join(dir, `${checkSemver(version)}.json`);
}

function checkDir(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HfxError('HFX_E_NOT_FOUND', `no releases directory at ${dir}`, {
        hint: 'Run in the repository that holds releases/, or give --dir DIR.',
      });
    }
    throw asHfxError(e, `cannot read ${dir}`);
  }
  if (!st.isDirectory())
    throw new HfxError('HFX_E_NOT_FOUND', `${dir} is not a directory`, {
      hint: 'Give the releases directory with --dir DIR.',
    });
}

export function releaseExists(dir: string, version: string): boolean {
  try {
    statSync(releaseFile(dir, version));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw asHfxError(e, `cannot read ${releaseFile(dir, version)}`);
  }
}

/**
 * A JSON file of releases/: its parsed value, or undefined (never a JSON value) when `missingOk` and it does not exist. A
 * file over MAX_MANIFEST_BYTES, or one that is not JSON, is `code` with `hint`.
 */
export function readJsonFile(
  file: string,
  code: 'HFX_E_MANIFEST' | 'HFX_E_BUILD',
  hint: string,
  missingOk = false,
): unknown {
  let text: string;
  try {
    if (statSync(file).size > MAX_MANIFEST_BYTES)
      throw new HfxError(code, `${file} is larger than ${MAX_MANIFEST_BYTES} bytes`, { hint });
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (missingOk && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw asHfxError(e, `cannot read ${file}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HfxError(code, `${file} is not JSON: ${(e as Error).message}`, { hint });
  }
}

function readManifestFile(file: string, version: string): ReleaseManifest {
  const raw = readJsonFile(file, 'HFX_E_MANIFEST', 'Fix the file (the fields are described in docs/releases.md).');
  const m = parseReleaseManifest(raw, file);
  if (m.version !== version) {
    throw new HfxError(
      'HFX_E_MANIFEST',
      `${file} holds version ${m.version}; the file must be named ${m.version}.json`,
      { hint: 'Rename the file or fix its version field.' },
    );
  }
  return m;
}

/** Reads and validates releases/<version>.json. */
export function readRelease(dir: string, version: string): ReleaseManifest {
  checkDir(dir);
  const file = releaseFile(dir, version);
  if (!releaseExists(dir, version)) {
    throw new HfxError('HFX_E_NOT_FOUND', `no release ${version} in ${dir}`, {
      hint: 'See the releases with `hfx release list`.',
    });
  }
  return readManifestFile(file, version);
}

export interface ReleaseListing {
  /** Valid manifests, oldest version first. */
  releases: ReleaseManifest[];
  /** Manifest files that failed to load, with the reason. */
  invalid: { file: string; error: HfxError }[];
  /** .json files that are not named <version>.json (nor the build configuration). */
  ignored: string[];
}

export function listReleases(dir: string): ReleaseListing {
  checkDir(dir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw asHfxError(e, `cannot read ${dir}`);
  }
  const out: ReleaseListing = { releases: [], invalid: [], ignored: [] };
  for (const n of names.sort()) {
    if (!n.endsWith('.json') || n === CONFIG_NAME || n.startsWith('.')) continue;
    const version = n.slice(0, -'.json'.length);
    if (!isSemver(version)) {
      out.ignored.push(join(dir, n));
      continue;
    }
    try {
      out.releases.push(readManifestFile(join(dir, n), version));
    } catch (e) {
      if (!isHfxError(e)) throw e;
      out.invalid.push({ file: join(dir, n), error: e });
    }
  }
  out.releases.sort((a, b) => compareSemver(a.version, b.version));
  return out;
}

function tempName(dir: string, version: string): string {
  return join(dir, `.${version}.json.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

function writeTemp(dir: string, m: ReleaseManifest): string {
  const tmp = tempName(dir, m.version);
  try {
    writeFileSync(tmp, serializeRelease(m), { mode: 0o644, flag: 'wx', flush: true });
  } catch (e) {
    rmSync(tmp, { force: true });
    throw asHfxError(e, `cannot write ${tmp}`);
  }
  return tmp;
}

/**
 * Writes a new manifest atomically and only if no file of that version exists: the content goes to
 * a temp file, which is then hard-linked to its name (link fails if the name exists, where rename
 * would overwrite) and removed.
 */
export function writeNewRelease(dir: string, m: ReleaseManifest): string {
  checkDir(dir);
  const file = releaseFile(dir, m.version);
  const tmp = writeTemp(dir, m);
  try {
    linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new HfxError('HFX_E_RELEASE_EXISTS', `release ${m.version} already exists (${file})`, {
        hint: 'Give another --version.',
      });
    }
    throw asHfxError(e, `cannot create ${file}`);
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncPathSync(dir);
  return file;
}

/** Replaces an existing manifest atomically (temp file + rename). */
export function replaceRelease(dir: string, m: ReleaseManifest): string {
  const file = releaseFile(dir, m.version);
  const tmp = writeTemp(dir, m);
  try {
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw asHfxError(e, `cannot replace ${file}`);
  }
  fsyncPathSync(dir);
  return file;
}
