// Archives in registries, for the CLI: `hfx push FILE.zip --oci REGISTRY/REPO`, and the download
// behind `hfx apply|update oci://…` and `oci-layout:DIR:ID` (docs/oci.md). The registry is only
// transport: what is fetched is checked against the digest its manifest names here, and then goes
// through every check `hfx apply FILE.zip` makes (signature, trust, hashes).
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HfxError, asHfxError } from '../errors.js';
import { DEFAULT_LIMITS, layout, openArchive, readState } from '../engine/index.js';
import { Registry, type Creds } from '../image/registry.js';
import { ANNOTATIONS, MAX_MANIFEST_BYTES, readArtifactManifest, type ArtifactLayer } from '../oci/artifact.js';
import { layoutBlobPath, layoutManifest } from '../oci/layout.js';
import { pushArtifact, type PushedArtifact } from '../oci/push.js';
import { describeSource, parseArchiveSource, parseRegistryRepo, type ArchiveSource } from '../oci/reference.js';

export interface RegistryAccess {
  creds: Creds | null;
  /** Plain http to a registry other than localhost/127.x. */
  insecure: boolean;
  /** Per request, and per pause in a streamed body (Registry's timeoutMs). */
  timeoutMs?: number;
}

/** A registry request, or a pause in a blob being read, gets this long on the command line. */
export const CLI_REGISTRY_TIMEOUT_MS = 60_000;

function registryOf(r: { registry: string; repository: string }, access: RegistryAccess): Registry {
  return new Registry(r.registry, r.repository, access.creds, {
    insecure: access.insecure,
    timeoutMs: access.timeoutMs ?? CLI_REGISTRY_TIMEOUT_MS,
  });
}

async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha256: h.digest('hex'), size };
}

/**
 * `hfx push FILE.zip --oci REGISTRY/REPO`: the archive, checked as the hfx server checks an upload
 * (a valid, signed archive whose every payload hash holds; whose key signed it is the installation's
 * business), pushed as an artifact tagged with its id.
 */
export async function pushToRegistry(
  file: string,
  target: string,
  access: RegistryAccess,
): Promise<PushedArtifact & { id: string }> {
  const repo = parseRegistryRepo(target);
  if (!existsSync(file)) throw new HfxError('HFX_E_NOT_FOUND', `${file} does not exist`);
  const a = await openArchive(file, DEFAULT_LIMITS, (_raw, sigs) => {
    if (!sigs?.signatures.length)
      throw new HfxError('HFX_E_UNSIGNED', `${file} is not signed`, {
        hint: 'Sign it with `hfx sign` before pushing: installations refuse unsigned archives.',
      });
  });
  try {
    await a.verifyPayload();
  } finally {
    a.close();
  }
  const blob = { path: file, ...(await sha256File(file)) };
  const pushed = await pushArtifact(registryOf(repo, access), blob, a.manifest, { refuseOther: true });
  return { ...pushed, id: a.manifest.id };
}

export interface FetchedArchive {
  /** The archive, in the installation's download area; removed by cleanup(). */
  file: string;
  id: string;
  /** Where it came from, as given. */
  source: string;
  layerDigest: string;
  cleanup(): void;
}

/** Temp downloads a killed command left behind are removed by the next one after this long. */
const STALE_MS = 24 * 3600 * 1000;

function sweepStale(dir: string): void {
  for (const n of readdirSync(dir)) {
    if (!n.startsWith('oci-')) continue;
    try {
      if (statSync(join(dir, n)).mtimeMs < Date.now() - STALE_MS) rmSync(join(dir, n), { force: true });
    } catch {
      // gone already
    }
  }
}

/**
 * Copies a blob to `dest`, hashing it on the way and stopping at the size its descriptor names:
 * a blob that is longer, shorter or other than its digest is refused and its copy removed.
 */
async function receiveLayer(body: Readable, dest: string, layer: ArtifactLayer, where: string): Promise<void> {
  const h = createHash('sha256');
  let size = 0;
  const tampered = (why: string) =>
    new HfxError('HFX_E_INTEGRITY', `the archive from ${where} ${why}`, {
      hint: 'The registry or the copy returned other bytes than its manifest names (tampered or damaged); nothing was changed.',
    });
  // Opened before any byte flows: a blob refused on its first chunk would otherwise be refused
  // while the file is still being created, and the removal below would run before it exists.
  const out = createWriteStream(dest, { flags: 'wx' });
  try {
    await once(out, 'open');
    await pipeline(
      body,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const chunk of src) {
          size += chunk.length;
          if (size > layer.size) throw tampered(`is longer than the ${layer.size} bytes its manifest names`);
          h.update(chunk);
          yield chunk;
        }
      },
      out,
    );
  } catch (e) {
    out.destroy();
    body.destroy();
    rmSync(dest, { force: true });
    throw e instanceof HfxError ? e : asHfxError(e, `cannot download ${where}`);
  }
  const why =
    size !== layer.size
      ? `is ${size} bytes, not the ${layer.size} its manifest names`
      : h.digest('hex') !== layer.sha256
        ? `does not match its digest ${layer.digest}`
        : null;
  if (why) {
    rmSync(dest, { force: true });
    throw tampered(why);
  }
}

/**
 * `hfx apply|update oci://REGISTRY/REPO:ID` or `oci-layout:DIR:ID`: the archive artifact, streamed
 * to a temp file in the installation's `.hfx/downloads/` (never held in memory), checked against its
 * layer digest, and refused unless the archive inside is the one named. The caller applies it, then
 * calls cleanup().
 */
export async function fetchOciArchive(
  home: string,
  text: string,
  access: RegistryAccess,
  resolvePath: (p: string) => string,
): Promise<FetchedArchive> {
  const src: ArchiveSource = parseArchiveSource(text, resolvePath);
  const l = layout(resolve(home));
  // An installation first, so a wrong --home costs no download.
  await readState(l);
  const where = describeSource(src);
  let manifest: Buffer;
  let open: (layer: ArtifactLayer) => Promise<Readable>;
  if (src.kind === 'registry') {
    const reg = registryOf(src, access);
    const ref = src.digest ?? src.tag;
    if (ref === null) throw new HfxError('HFX_E_USAGE', `${where} names neither a tag nor a digest`);
    manifest = (await reg.getManifest(ref, { maxBytes: MAX_MANIFEST_BYTES })).body;
    open = async (layer) => (await reg.openBlob(layer.digest)).body;
  } else {
    manifest = layoutManifest(src.dir, src.tag).bytes;
    open = (layer) => {
      const file = layoutBlobPath(src.dir, layer.digest);
      if (!existsSync(file))
        throw new HfxError('HFX_E_NOT_FOUND', `the OCI layout ${src.dir} lacks the archive blob ${layer.digest}`, {
          hint: 'The copy is incomplete; copy it again.',
        });
      return Promise.resolve(createReadStream(file, { highWaterMark: 1 << 20 }));
    };
  }
  const { layer, annotations } = readArtifactManifest(manifest, where);
  const dir = join(l.dir, 'downloads');
  mkdirSync(dir, { recursive: true });
  sweepStale(dir);
  const part = join(dir, `oci-${process.pid}-${randomBytes(6).toString('hex')}.part`);
  await receiveLayer(await open(layer), part, layer, where);
  const file = part.replace(/\.part$/, '.zip');
  renameSync(part, file);
  const cleanup = () => rmSync(file, { force: true });
  try {
    // The id inside, which the publisher signed, is what counts: a tag or annotation naming another
    // archive would have an installation apply something it did not ask for.
    const a = await openArchive(file, DEFAULT_LIMITS);
    const id = a.manifest.id;
    a.close();
    const claimed = annotations[ANNOTATIONS.id];
    if ((src.id !== null && src.id !== id) || (claimed !== undefined && claimed !== id)) {
      throw new HfxError('HFX_E_ARTIFACT', `${where} holds the archive ${id}, not ${src.id ?? claimed ?? ''}`, {
        hint: 'The tag or its annotations name another archive than the one inside (moved or tampered with); nothing was changed.',
      });
    }
    return { file, id, source: text, layerDigest: layer.digest, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
