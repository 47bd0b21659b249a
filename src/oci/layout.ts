// Reading an artifact from an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`), as
// `skopeo copy docker://… oci:DIR:TAG` writes it: the tag is the index's
// org.opencontainers.image.ref.name annotation.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HfxError } from '../errors.js';
import { ANNOTATIONS, INDEX_MEDIA_TYPE, MAX_MANIFEST_BYTES, digestOf } from './artifact.js';

const DIGEST = /^sha256:([0-9a-f]{64})$/;

export function layoutBlobPath(dir: string, digest: string): string {
  const hex = DIGEST.exec(digest)?.[1];
  if (hex === undefined)
    throw new HfxError('HFX_E_ARTIFACT', `${dir}: ${JSON.stringify(digest)} is not a sha256 digest`, {
      hint: 'Nothing was changed.',
    });
  return join(dir, 'blobs', 'sha256', hex);
}

/** Reads at most `max` bytes of a small file: a layout's JSON files are never large, whatever is on the disk. */
function readSmall(file: string, max: number, what: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    if (size > max)
      throw new HfxError('HFX_E_ARTIFACT', `${what} is ${size} bytes, more than ${max}`, {
        hint: 'Nothing was changed.',
      });
    const b = Buffer.alloc(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, b, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return b.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** The manifest tagged `tag` in the layout `dir`, checked against the digest the index names. */
export function layoutManifest(dir: string, tag: string): { bytes: Buffer; digest: string } {
  if (!existsSync(join(dir, 'oci-layout')) || !existsSync(join(dir, 'index.json'))) {
    throw new HfxError('HFX_E_NOT_FOUND', `${dir} is not an OCI image layout (no oci-layout and index.json)`, {
      hint: 'Make one with `skopeo copy docker://REGISTRY/REPO:ID oci:DIR:ID`.',
    });
  }
  let index: {
    manifests?: { mediaType?: string; digest?: string; size?: number; annotations?: Record<string, string> }[];
  };
  try {
    index = JSON.parse(
      readSmall(join(dir, 'index.json'), MAX_MANIFEST_BYTES, `${dir}/index.json`).toString('utf8'),
    ) as typeof index;
  } catch (e) {
    if (e instanceof HfxError) throw e;
    throw new HfxError('HFX_E_ARTIFACT', `${dir}/index.json is not JSON`, { hint: 'Nothing was changed.' });
  }
  const all = Array.isArray(index.manifests) ? index.manifests : [];
  const found = all.filter((d) => d.annotations?.[ANNOTATIONS.refName] === tag);
  if (found.length === 0) {
    const names = all
      .map((d) => d.annotations?.[ANNOTATIONS.refName])
      .filter((n): n is string => typeof n === 'string');
    throw new HfxError('HFX_E_NOT_FOUND', `the OCI layout ${dir} has no ${tag}`, {
      hint: names.length
        ? `It holds: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}.`
        : 'It holds no tagged manifest.',
    });
  }
  const d = found.at(-1);
  if (d === undefined) throw new HfxError('HFX_E_INTERNAL', `${tag} in ${dir} vanished from the list`);
  if (d.mediaType === INDEX_MEDIA_TYPE)
    throw new HfxError('HFX_E_ARTIFACT', `${tag} in ${dir} is an image index, not an hfx archive`, {
      hint: 'Nothing was changed.',
    });
  const file = layoutBlobPath(dir, String(d.digest));
  if (!existsSync(file))
    throw new HfxError('HFX_E_NOT_FOUND', `the OCI layout ${dir} lacks the manifest ${String(d.digest)} of ${tag}`, {
      hint: 'The copy is incomplete; copy it again.',
    });
  const bytes = readSmall(file, MAX_MANIFEST_BYTES, `the manifest of ${tag}`);
  if (digestOf(bytes) !== d.digest) {
    throw new HfxError(
      'HFX_E_INTEGRITY',
      `the manifest of ${tag} in ${dir} does not match its digest ${String(d.digest)}`,
      { hint: 'The layout was changed or damaged; copy it again. Nothing was changed.' },
    );
  }
  return { bytes, digest: d.digest };
}
