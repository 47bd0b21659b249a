// An hfx archive as an OCI artifact (docs/archive-format.md, "As an OCI artifact"): an image
// manifest whose artifactType is hfx's, the empty config, and the ZIP, unchanged, as its one layer.
// Following the image spec's "Guidelines for Artifact Usage": the config is the empty descriptor,
// so artifactType is required, and the content is a single layer with a media type of its own.
import { createHash } from 'node:crypto';
import { NAME_RE, NAME_RULE } from '../names.js';
import { HfxError } from '../errors.js';
import type { Manifest } from '../engine/index.js';

export const ARTIFACT_TYPE = 'application/vnd.hfx.archive.v1';
export const LAYER_MEDIA_TYPE = 'application/vnd.hfx.archive.v1+zip';
export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** The image spec's empty descriptor: the blob `{}`, also embedded as `data` for registries that read it. */
export const EMPTY_CONFIG = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
} as const;
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');

export const ANNOTATIONS = {
  id: 'dev.hfx.archive.id',
  kind: 'dev.hfx.archive.kind',
  product: 'dev.hfx.archive.product',
  release: 'dev.hfx.archive.release',
  level: 'dev.hfx.archive.level',
  toLevel: 'dev.hfx.archive.to-level',
  severity: 'dev.hfx.archive.severity',
  title: 'org.opencontainers.image.title',
  created: 'org.opencontainers.image.created',
  refName: 'org.opencontainers.image.ref.name',
} as const;

/** The distribution spec lets a registry refuse manifests over 4 MiB; ours are under 2 KiB, so more is not ours. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** The manifest schema's rule for archive ids: the one name grammar. */
export const ARCHIVE_ID = NAME_RE;
/** The distribution spec's tag grammar. */
export const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The tag an archive id is pushed under. An id is a tag as it is, except when it holds a `+`, which
 * tags may not: then `_` (which no id starts with, so it cannot meet an id used as it is), the id
 * with `+` as `_`, a `.` and 16 hex digits of the id's sha256 (so `HF+1_2` and `HF_1+2` differ),
 * cut to fit 128 characters.
 */
export function archiveTag(id: string): string {
  if (!ARCHIVE_ID.test(id))
    throw new HfxError('HFX_E_USAGE', `${JSON.stringify(id)} is not an archive id: ${NAME_RULE}`);
  if (!id.includes('+')) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  return `_${id.replaceAll('+', '_').slice(0, 110)}.${hash}`;
}

/** What an artifact says about the archive it holds, taken from the archive's signed manifest. */
export type ArtifactFacts = Pick<
  Manifest,
  'id' | 'kind' | 'product' | 'release' | 'level' | 'toLevel' | 'severity' | 'createdAt'
>;

export interface ArtifactLayer {
  /** `sha256:…` */
  digest: string;
  /** The hex alone: the archive's sha256, as the hfx server names blobs. */
  sha256: string;
  size: number;
  title: string | null;
}

export const fileNameOf = (id: string): string => `${id}.zip`;

/**
 * The artifact's manifest: always the same bytes for the same archive (fixed key order, values from
 * the signed manifest only), so pushing it again is a no-op and every copy has one digest.
 */
export function artifactManifest(
  facts: ArtifactFacts,
  layer: { sha256: string; size: number },
): { bytes: Buffer; digest: string } {
  const annotations: Record<string, string> = {
    [ANNOTATIONS.id]: facts.id,
    [ANNOTATIONS.kind]: facts.kind,
    [ANNOTATIONS.product]: facts.product,
    [ANNOTATIONS.release]: facts.release,
    [ANNOTATIONS.level]: String(facts.level),
    ...(facts.toLevel === null ? {} : { [ANNOTATIONS.toLevel]: String(facts.toLevel) }),
    [ANNOTATIONS.severity]: facts.severity,
    // The OCI key must hold an RFC 3339 time; a createdAt that is not one is left out rather than passed on.
    ...(RFC3339.test(facts.createdAt) ? { [ANNOTATIONS.created]: facts.createdAt } : {}),
  };
  const m = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    artifactType: ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: [
      {
        mediaType: LAYER_MEDIA_TYPE,
        digest: `sha256:${layer.sha256}`,
        size: layer.size,
        annotations: { [ANNOTATIONS.title]: fileNameOf(facts.id) },
      },
    ],
    annotations,
  };
  const bytes = Buffer.from(JSON.stringify(m));
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

export const digestOf = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const notOurs = (where: string, why: string): HfxError =>
  new HfxError('HFX_E_ARTIFACT', `${where} is not an hfx archive: ${why}`, {
    hint: 'Name an archive pushed with `hfx push FILE.zip --oci REGISTRY/REPO` (artifactType application/vnd.hfx.archive.v1); nothing was changed.',
  });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads an artifact manifest and returns its layer, refusing anything that is not an hfx archive:
 * another artifactType, an index, a config other than the empty one, other than one layer, or a
 * layer of another media type. `where` names it in messages.
 */
export function readArtifactManifest(
  bytes: Buffer,
  where: string,
): { layer: ArtifactLayer; annotations: Record<string, string> } {
  if (bytes.length > MAX_MANIFEST_BYTES)
    throw notOurs(where, `its manifest is ${bytes.length} bytes, more than ${MAX_MANIFEST_BYTES}`);
  let m: unknown;
  try {
    m = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw notOurs(where, 'its manifest is not JSON');
  }
  if (!isObject(m)) throw notOurs(where, 'its manifest is not a JSON object');
  if (m.mediaType === INDEX_MEDIA_TYPE || Array.isArray(m.manifests))
    throw notOurs(where, 'it is an image index (several images), not an artifact');
  if (m.schemaVersion !== 2)
    throw notOurs(where, `its manifest has schemaVersion ${JSON.stringify(m.schemaVersion)}, not 2`);
  if (m.mediaType !== undefined && m.mediaType !== MANIFEST_MEDIA_TYPE)
    throw notOurs(where, `its manifest is ${JSON.stringify(m.mediaType)}, not an OCI image manifest`);
  if (m.artifactType !== ARTIFACT_TYPE) {
    throw notOurs(
      where,
      m.artifactType === undefined
        ? 'its manifest has no artifactType (a container image?)'
        : `its artifactType is ${JSON.stringify(m.artifactType)}, not ${ARTIFACT_TYPE}`,
    );
  }
  const config = m.config;
  if (!isObject(config) || config.mediaType !== EMPTY_CONFIG.mediaType)
    throw notOurs(where, 'its config is not the empty descriptor');
  const layers = m.layers;
  if (!Array.isArray(layers) || layers.length !== 1)
    throw notOurs(where, `it has ${Array.isArray(layers) ? layers.length : 'no'} layers, not exactly one`);
  const l: unknown = layers[0];
  if (!isObject(l)) throw notOurs(where, 'its layer is not a descriptor');
  if (l.mediaType !== LAYER_MEDIA_TYPE)
    throw notOurs(where, `its layer is ${JSON.stringify(l.mediaType)}, not ${LAYER_MEDIA_TYPE}`);
  const digest = typeof l.digest === 'string' ? SHA256_DIGEST.exec(l.digest) : null;
  const hex = digest?.[1];
  if (!digest || hex === undefined) throw notOurs(where, 'its layer has no sha256 digest');
  const size = l.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0)
    throw notOurs(where, 'its layer has no valid size');
  const layerAnn = isObject(l.annotations) ? l.annotations : {};
  const title = layerAnn[ANNOTATIONS.title];
  const annotations: Record<string, string> = {};
  if (isObject(m.annotations))
    for (const [k, v] of Object.entries(m.annotations)) if (typeof v === 'string') annotations[k] = v;
  return {
    layer: { digest: digest[0], sha256: hex, size, title: typeof title === 'string' ? title : null },
    annotations,
  };
}
