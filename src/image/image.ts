import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { HfxError } from '../errors.js';
import { expectedTree, type InstallState, layout, readState, withSession } from '../engine/index.js';
import { GzipPool } from './gzip-pool.js';
import { buildLayer, cacheLayout, normPrefix, planLayers, statCheck, type BuiltLayer, type Cache } from './layers.js';
import { isValidTag, parseRef, Registry, type Creds, type RegistryStats } from './registry.js';
import { pad, tarHeader, TAR_END } from './tar.js';

const MT = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageOptions {
  home: string;
  /** Tag or full reference; default {product}:{version}.{level}[-{hotfix ids}]. */
  tag?: string;
  prefix?: string;
  base?: string;
  baseLayout?: string;
  oci?: string;
  dockerArchive?: string;
  push?: boolean;
  /** Registry of --push when --tag names none. */
  cacheDir?: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  user?: string;
  workdir?: string;
  labels?: Record<string, string>;
  creds?: Creds | null;
  insecure?: boolean;
  /** Seconds since the epoch for every timestamp; default SOURCE_DATE_EPOCH, else 0. */
  epoch?: number;
  squash?: boolean;
  threads?: number;
  onLayer?: (l: BuiltLayer) => void;
}

export interface ImageResult {
  reference: string;
  tag: string;
  manifestDigest: string;
  configDigest: string;
  layers: (BuiltLayer & { mediaType: string })[];
  outputs: string[];
  push: RegistryStats | null;
}

/** WSO2's style: product:version.level, plus -HOTFIX-IDS, sanitised to a valid tag. */
export function defaultTag(s: InstallState): string {
  const name =
    s.product
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'product';
  return `${name}:${defaultTagOnly(s)}`;
}

/** The tag part of defaultTag: version.level, plus -HOTFIX-IDS. */
function defaultTagOnly(s: InstallState): string {
  let tag = `${s.version}.${s.level}${s.hotfixes.length ? `-${s.hotfixes.map((h) => h.id).join('-')}` : ''}`;
  tag = tag.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[.-]/, '_');
  if (tag.length > 128) tag = `${tag.slice(0, 111)}-${createHash('sha256').update(tag).digest('hex').slice(0, 16)}`;
  return tag;
}

interface BaseImage {
  config: Record<string, unknown> & {
    config?: Record<string, unknown>;
    rootfs?: { diff_ids?: string[] };
    history?: unknown[];
  };
  layers: Descriptor[];
  /** Fetches a base layer's bytes (from the layout, or from the registry it came from). */
  blob(d: string): Promise<Uint8Array>;
  /** Where the layers live in a registry, to mount or skip them. */
  registry: { host: string; repository: string } | null;
}

function sha(b: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function pickPlatform(
  index: { manifests?: (Descriptor & { platform?: { os?: string; architecture?: string } })[] },
  arch: string,
): Descriptor {
  const all = index.manifests ?? [];
  const m = all.find((d) => d.platform?.os === 'linux' && d.platform.architecture === arch) ?? all[0];
  if (!m) throw new HfxError('HFX_E_REGISTRY', 'the base image index lists no manifest');
  return m;
}

const toOciLayer = (mt: string): string => (mt === MT.dockerLayer ? MT.layerGzip : mt);

function loadBaseLayout(dir: string, arch: string): BaseImage {
  const blobPath = (d: string) => join(dir, 'blobs', ...d.split(':'));
  const read = (d: string): Buffer => {
    try {
      const b = readFileSync(blobPath(d));
      if (sha(b) !== d) throw new HfxError('HFX_E_INTEGRITY', `${dir}: blob ${d} does not match its digest`);
      return b;
    } catch (e) {
      if (e instanceof HfxError) throw e;
      throw new HfxError('HFX_E_NOT_FOUND', `${dir} is not an OCI image layout: ${(e as Error).message}`);
    }
  };
  let index: { manifests?: Descriptor[] };
  try {
    index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as typeof index;
  } catch (e) {
    throw new HfxError('HFX_E_NOT_FOUND', `${dir} is not an OCI image layout (no index.json): ${(e as Error).message}`);
  }
  let d = pickPlatform(index, arch);
  let m = JSON.parse(read(d.digest).toString('utf8')) as {
    mediaType?: string;
    manifests?: Descriptor[];
    config: Descriptor;
    layers: Descriptor[];
  };
  if (m.manifests) {
    d = pickPlatform(m, arch);
    m = JSON.parse(read(d.digest).toString('utf8')) as typeof m;
  }
  return {
    config: JSON.parse(read(m.config.digest).toString('utf8')) as BaseImage['config'],
    layers: m.layers.map((x) => ({ mediaType: toOciLayer(x.mediaType), digest: x.digest, size: x.size })),
    // A promise like the registry's: a bad blob rejects it.
    blob: (digest) =>
      new Promise((done) => {
        done(read(digest));
      }),
    registry: null,
  };
}

async function loadBaseRegistry(ref: string, arch: string, creds: Creds | null, insecure: boolean): Promise<BaseImage> {
  const r = parseRef(ref, { needRegistry: true });
  const reg = new Registry(r.registry, r.repository, creds, { insecure });
  let got = await reg.getManifest(r.digest ?? r.tag ?? 'latest');
  // Parsed JSON: an index, an image manifest, or some other type (checked below).
  let m = JSON.parse(got.body.toString('utf8')) as {
    manifests?: Descriptor[];
    config?: Descriptor;
    layers?: Descriptor[];
  };
  if (m.manifests) {
    got = await reg.getManifest(pickPlatform(m, arch).digest);
    m = JSON.parse(got.body.toString('utf8')) as typeof m;
  }
  if (!m.config || !Array.isArray(m.layers))
    throw new HfxError('HFX_E_REGISTRY', `${ref}: unsupported manifest type ${got.mediaType}`);
  return {
    config: JSON.parse((await reg.getBlob(m.config.digest)).toString('utf8')) as BaseImage['config'],
    layers: m.layers.map((x) => ({ mediaType: toOciLayer(x.mediaType), digest: x.digest, size: x.size })),
    blob: (digest) => reg.getBlob(digest),
    registry: { host: r.registry, repository: r.repository },
  };
}

/** Builds the image of an installation and writes or pushes it. */
export async function buildImage(opts: ImageOptions): Promise<ImageResult> {
  if (!opts.oci && !opts.dockerArchive && !opts.push)
    throw new HfxError('HFX_E_USAGE', 'say where the image goes: --oci DIR, --docker-archive FILE or --push');
  if (opts.base && opts.baseLayout) throw new HfxError('HFX_E_USAGE', '--base and --base-layout exclude each other');
  const home = resolve(opts.home);
  const l = layout(home);
  const state0 = await readState(l);
  const ref = parseRef(opts.tag ?? defaultTag(state0), { needRegistry: !!opts.push });
  if (ref.digest) throw new HfxError('HFX_E_USAGE', '--tag names a tag, not a digest');
  const epoch = opts.epoch ?? 0;
  if (!Number.isSafeInteger(epoch) || epoch < 0)
    throw new HfxError('HFX_E_USAGE', `the timestamp (SOURCE_DATE_EPOCH) must be whole seconds ≥ 0, not ${epoch}`);
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const arch = 'amd64';
  const base = opts.baseLayout
    ? loadBaseLayout(resolve(opts.baseLayout), arch)
    : opts.base
      ? await loadBaseRegistry(opts.base, arch, opts.creds ?? null, !!opts.insecure)
      : null;

  return withSession({ home, command: 'image' }, async ({ l, state }) => {
    const prefix = opts.prefix ?? `/opt/${state.product}`;
    const plans = await planLayers(l, state, { prefix, mtime: epoch, squash: opts.squash ?? false });
    statCheck(home, await expectedTree(l, state));
    const cache: Cache = cacheLayout(opts.cacheDir ? resolve(opts.cacheDir) : l.imageCache);
    const pool = new GzipPool(opts.threads);
    const built: BuiltLayer[] = [];
    try {
      for (const p of plans) {
        const b = await buildLayer(p, { cache, pool, mtime: epoch });
        built.push(b);
        opts.onLayer?.(b);
      }
    } finally {
      await pool.close();
    }
    const tag = ref.tag ?? defaultTagOnly(state);
    if (!isValidTag(tag)) throw new HfxError('HFX_E_USAGE', `invalid tag ${tag}`);
    const hotfixIds = state.hotfixes.map((h) => h.id);
    const labels: Record<string, string> = {
      ...((base?.config.config?.Labels as Record<string, string> | undefined) ?? {}),
      'org.opencontainers.image.title': state.product,
      'org.opencontainers.image.version': `${state.version}.${state.level}`,
      'org.opencontainers.image.created': created,
      'io.hfx.product': state.product,
      'io.hfx.release': state.version,
      'io.hfx.level': String(state.level),
      'io.hfx.channel': state.channel,
      'io.hfx.hotfixes': hotfixIds.join(','),
      'io.hfx.prefix': `/${normPrefix(prefix)}`,
      ...(opts.labels ?? {}),
    };
    const baseCfg = base?.config.config ?? {};
    const cfg: Record<string, unknown> = { ...baseCfg, Labels: labels };
    if (opts.entrypoint) cfg.Entrypoint = opts.entrypoint;
    if (opts.cmd) cfg.Cmd = opts.cmd;
    if (opts.env) cfg.Env = [...((baseCfg.Env as string[] | undefined) ?? []), ...opts.env];
    if (opts.user !== undefined) cfg.User = opts.user;
    cfg.WorkingDir = opts.workdir ?? `/${normPrefix(prefix)}`;
    const config = {
      created,
      architecture: (base?.config.architecture as string | undefined) ?? arch,
      os: 'linux',
      config: cfg,
      rootfs: { type: 'layers', diff_ids: [...(base?.config.rootfs?.diff_ids ?? []), ...built.map((b) => b.diffId)] },
      history: [
        ...(base?.config.history ?? []),
        ...built.map((b) => ({ created, created_by: `hfx image: ${b.what}`, comment: 'hfx' })),
      ],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDesc: Descriptor = { mediaType: MT.config, digest: sha(configBytes), size: configBytes.length };
    const ours = built.map((b) => ({ mediaType: MT.layerGzip, digest: b.digest, size: b.size }));
    const layers: Descriptor[] = [...(base?.layers ?? []), ...ours];
    const manifest = {
      schemaVersion: 2,
      mediaType: MT.manifest,
      config: configDesc,
      layers,
      annotations: { 'org.opencontainers.image.created': created, 'io.hfx.hotfixes': hotfixIds.join(',') },
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const manifestDigest = sha(manifestBytes);
    const fullRef = `${ref.registry ? `${ref.registry}/` : ''}${ref.repository}:${tag}`;

    // Base layers' bytes, fetched once if an output needs them.
    const baseBlobs = new Map<string, Uint8Array>();
    const baseBlob = async (d: string): Promise<Uint8Array> => {
      let b = baseBlobs.get(d);
      if (!b) {
        if (!base) throw new HfxError('HFX_E_INTERNAL', `layer ${d} is neither built nor from a base image`);
        b = await base.blob(d);
        baseBlobs.set(d, b);
      }
      return b;
    };
    const ourBlob = (d: string): string => cache.blob(d);
    const outputs: string[] = [];

    if (opts.oci) {
      const dir = resolve(opts.oci);
      const blobs = join(dir, 'blobs', 'sha256');
      mkdirSync(blobs, { recursive: true });
      const putBytes = (d: string, bytes: Uint8Array): void => {
        const to = join(blobs, d.slice(7));
        if (!existsSync(to)) writeFileSync(to, bytes);
      };
      const putFile = (d: string, file: string): void => {
        const to = join(blobs, d.slice(7));
        if (existsSync(to)) return;
        try {
          linkSync(file, to);
        } catch {
          copyFileSync(file, to);
        }
      };
      for (const d of base?.layers ?? []) putBytes(d.digest, await baseBlob(d.digest));
      for (const d of ours) putFile(d.digest, ourBlob(d.digest));
      putBytes(configDesc.digest, configBytes);
      putBytes(manifestDigest, manifestBytes);
      writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      // keep other tags already in the layout; replace this one
      let existing: Descriptor[] = [];
      try {
        existing =
          (JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] }).manifests ?? [];
      } catch {
        existing = [];
      }
      const keep = existing.filter((d) => d.annotations?.['org.opencontainers.image.ref.name'] !== tag);
      const index = {
        schemaVersion: 2,
        mediaType: MT.index,
        manifests: [
          ...keep,
          {
            mediaType: MT.manifest,
            digest: manifestDigest,
            size: manifestBytes.length,
            annotations: { 'org.opencontainers.image.ref.name': tag },
          },
        ],
      };
      writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
      outputs.push(dir);
    }

    if (opts.dockerArchive) {
      const file = resolve(opts.dockerArchive);
      const fd = openSync(file, 'w', 0o644);
      try {
        const w = (b: Uint8Array): void => {
          let off = 0;
          while (off < b.byteLength) off += writeSync(fd, b, off, b.byteLength - off);
        };
        const entry = (path: string, bytes: Uint8Array): void => {
          w(tarHeader({ type: 'file', path, mode: 0o644, size: bytes.byteLength }, epoch));
          w(bytes);
          w(new Uint8Array(pad(bytes.byteLength)));
        };
        const layerNames: string[] = [];
        for (const d of layers) {
          const name = `blobs/sha256/${d.digest.slice(7)}`;
          const isOurs = ours.some((o) => o.digest === d.digest);
          if (isOurs) {
            // copied in pieces: a pack layer can be larger than one Buffer
            w(tarHeader({ type: 'file', path: name, mode: 0o644, size: d.size }, epoch));
            const src = openSync(ourBlob(d.digest), 'r');
            try {
              const buf = Buffer.allocUnsafe(1 << 20);
              for (let pos = 0, n; (n = readSync(src, buf, 0, buf.length, pos)) > 0; pos += n) w(buf.subarray(0, n));
            } finally {
              closeSync(src);
            }
            w(new Uint8Array(pad(d.size)));
          } else entry(name, await baseBlob(d.digest));
          layerNames.push(name);
        }
        const cfgName = `blobs/sha256/${configDesc.digest.slice(7)}`;
        entry(cfgName, configBytes);
        const repoTag = `${ref.registry ? `${ref.registry}/` : ''}${ref.repository}:${tag}`;
        entry(
          'manifest.json',
          Buffer.from(JSON.stringify([{ Config: cfgName, RepoTags: [repoTag], Layers: layerNames }])),
        );
        entry(
          'repositories',
          Buffer.from(
            JSON.stringify({
              [`${ref.registry ? `${ref.registry}/` : ''}${ref.repository}`]: { [tag]: manifestDigest.slice(7) },
            }),
          ),
        );
        w(TAR_END);
      } finally {
        closeSync(fd);
      }
      outputs.push(file);
    }

    let push: RegistryStats | null = null;
    if (opts.push) {
      const reg = new Registry(ref.registry, ref.repository, opts.creds ?? null, { insecure: !!opts.insecure });
      for (const d of base?.layers ?? []) {
        if (await reg.hasBlob(d.digest)) {
          reg.stats.blobsSkipped++;
          continue;
        }
        if (base?.registry?.host === ref.registry && (await reg.mountBlob(d.digest, base.registry.repository)))
          continue;
        const bytes = await baseBlob(d.digest);
        await reg.putBlob(d.digest, bytes);
      }
      for (const d of ours) await reg.putBlob(d.digest, { path: ourBlob(d.digest), size: d.size });
      await reg.putBlob(configDesc.digest, configBytes);
      await reg.putManifest(tag, manifestBytes.toString('utf8'), MT.manifest);
      push = reg.stats;
      outputs.push(fullRef);
    }

    return {
      reference: fullRef,
      tag,
      manifestDigest,
      configDigest: configDesc.digest,
      layers: [
        ...(base?.layers ?? []).map((d) => ({
          digest: d.digest,
          diffId: '',
          size: d.size,
          what: 'base image',
          cached: true,
          mediaType: d.mediaType,
        })),
        ...built.map((b) => ({ ...b, mediaType: MT.layerGzip })),
      ],
      outputs,
      push,
    };
  });
}
