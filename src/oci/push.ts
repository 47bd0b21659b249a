// Pushing an archive as an artifact: the blobs first, then the manifest under the archive's tag, so
// a tag never names a manifest whose blobs the registry lacks. Every step is idempotent: blobs the
// registry has are skipped, and the manifest has the same bytes every time.
import { HfxError } from '../errors.js';
import type { Registry } from '../image/registry.js';
import {
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  MANIFEST_MEDIA_TYPE,
  MAX_MANIFEST_BYTES,
  archiveTag,
  artifactManifest,
  readArtifactManifest,
  type ArtifactFacts,
} from './artifact.js';

export interface ArchiveBlob {
  path: string;
  sha256: string;
  size: number;
}

export interface PushedArtifact {
  /** REGISTRY/REPO:TAG */
  reference: string;
  tag: string;
  manifestDigest: string;
  layerDigest: string;
  size: number;
  /** The tag named this very artifact already: nothing was sent. */
  existed: boolean;
}

/**
 * Pushes `blob` as the artifact of the archive `facts` describe. With `refuseOther`, a tag that
 * already names a different archive is an error (HFX_E_ALREADY_APPLIED, as the hfx server answers
 * an id taken by other content); without it (the server's store, where the database decides which
 * archive an id is), the tag is moved.
 */
export async function pushArtifact(
  reg: Registry,
  blob: ArchiveBlob,
  facts: ArtifactFacts,
  opts: { refuseOther?: boolean; configKnown?: boolean } = {},
): Promise<PushedArtifact> {
  const tag = archiveTag(facts.id);
  const m = artifactManifest(facts, blob);
  const reference = `${reg.host}/${reg.repository}:${tag}`;
  const result = { reference, tag, manifestDigest: m.digest, layerDigest: `sha256:${blob.sha256}`, size: blob.size };
  if (opts.refuseOther) {
    const existing = await reg.getManifest(tag, { maxBytes: MAX_MANIFEST_BYTES }).catch((e: unknown) => {
      if (e instanceof HfxError && e.code === 'HFX_E_NOT_FOUND') return null;
      throw e;
    });
    if (existing) {
      let layerDigest: string | null = null;
      try {
        layerDigest = readArtifactManifest(existing.body, reference).layer.digest;
      } catch {
        // Not an hfx artifact at all: still a tag taken by something else.
      }
      if (layerDigest !== result.layerDigest) {
        throw new HfxError(
          'HFX_E_ALREADY_APPLIED',
          `${reference} already holds ${layerDigest ? 'an archive with this id and other content' : 'something other than this archive'}`,
          {
            hint: 'Give the new archive a new id; a pushed id does not change.',
          },
        );
      }
      // The same archive: done, unless the manifest's bytes differ (an older hfx wrote it); then it is written again.
      if (existing.body.equals(m.bytes)) return { ...result, existed: true };
    }
  }
  for (let attempt = 1; ; attempt++) {
    try {
      if (!opts.configKnown || attempt > 1) await reg.putBlob(EMPTY_CONFIG.digest, EMPTY_CONFIG_BYTES);
      await reg.putBlob(result.layerDigest, { path: blob.path, size: blob.size });
      await reg.putManifest(tag, m.bytes, MANIFEST_MEDIA_TYPE);
      return { ...result, existed: false };
    } catch (e) {
      // Pushes of one blob at the same moment (two servers taking the same upload) can leave
      // docker-registry briefly not knowing it: the manifest is refused as naming an unknown blob,
      // or the upload as not matching its digest. Every step is idempotent, so they run again.
      if (
        attempt >= RACE_ATTEMPTS ||
        !(e instanceof HfxError && e.code === 'HFX_E_REGISTRY' && /BLOB_UNKNOWN|DIGEST_INVALID/.test(e.message))
      )
        throw e;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

const RACE_ATTEMPTS = 4;
