import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Metadata, MetadataKind, type TargetFile } from '@tufjs/models';
import { Updater, type Fetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { HfxError, isHfxError } from '../errors.js';
import type { Layout } from '../engine/index.js';
import { ONLINE_ROLE, targetPath } from '../tuf/metadata.js';
import { send, type Remote } from './http.js';
import type { HfxCustom } from '../wire/metadata.js';

/**
 * An installation's side of TUF (docs/distribution.md): tuf-js's Updater, as its README uses it,
 * over the installation's own trusted metadata in .hfx/tuf/metadata, with a fetcher that sends
 * the installation's token, resumes archive downloads, and reads file:// mirrors. Every error of
 * TUF's checks becomes an hfx error with a stable code.
 */
export interface TufSource {
  /** The repository's base: https://host/v1/tuf/REPO, or file:///path/to/mirror. */
  base: string;
  token: string | null;
}

/** Sizes no honest metadata reaches: a server sending more is cut off (endless data). */
const LIMITS = {
  rootMaxLength: 512 * 1024,
  timestampMaxLength: 16 * 1024,
  snapshotMaxLength: 1024 * 1024,
  targetsMaxLength: 64 * 1024 * 1024,
};

export const tufDir = (l: Layout) => l.tuf;
const metadataDir = (l: Layout) => join(tufDir(l), 'metadata');

/** The root an installation starts from, given out of band (`hfx login --root FILE`). */
export function trustRoot(l: Layout, root: Buffer): { version: number; keyids: string[]; threshold: number } {
  let md: Metadata<import('@tufjs/models').Root>;
  try {
    md = Metadata.fromJSON(MetadataKind.Root, JSON.parse(root.toString('utf8')) as never);
    md.verifyDelegate('root', md);
  } catch (e) {
    throw new HfxError(
      'HFX_E_METADATA',
      `the root is not a TUF root signed by a threshold of its own keys: ${(e as Error).message}`,
      { hint: 'Use the N.root.json your vendor gave you (`hfx tuf init` made 1.root.json).' },
    );
  }
  // verifyDelegate has read it already; a root without it never gets here.
  const role = md.signed.roles.root;
  if (!role) {
    throw new HfxError('HFX_E_METADATA', 'the root names no root role', {
      hint: 'Use the N.root.json your vendor gave you (`hfx tuf init` made 1.root.json).',
    });
  }
  rmSync(tufDir(l), { recursive: true, force: true });
  mkdirSync(metadataDir(l), { recursive: true });
  mkdirSync(join(tufDir(l), 'targets'), { recursive: true });
  writeAtomic(join(metadataDir(l), 'root.json'), root);
  return { version: md.signed.version, keyids: role.keyIDs, threshold: role.threshold };
}

function writeAtomic(file: string, data: Buffer): void {
  const fd = openSync(file, 'w', 0o644);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** Maps what tuf-js refuses to hfx's codes; hfx's own errors (network, auth) pass through. */
function tufError(e: unknown): HfxError {
  if (isHfxError(e)) return e;
  // Anything may have been thrown: its class and message are read without trusting either is there.
  const err = e as { constructor?: { name?: string }; message?: string } | null | undefined;
  const name = err?.constructor?.name ?? '';
  // tuf-js wraps some of its refusals (a snapshot's, a delegated role's) in a RuntimeError whose
  // message carries the first one's: what was refused is read from the words as well as the class.
  const said = err?.message ?? String(e);
  const msg = `the server's TUF metadata is refused: ${said}`;
  if (name === 'ExpiredMetadataError' || said.includes('is expired'))
    return new HfxError('HFX_E_EXPIRED', msg, {
      hint: 'Someone may be replaying old metadata (a freeze attack), or a clock is wrong. Nothing was downloaded.',
    });
  if (said.includes('is less than current version'))
    return new HfxError('HFX_E_ROLLBACK', msg, {
      hint: 'Someone may be replaying older metadata to hide newer fixes. Nothing was downloaded.',
    });
  if (
    name === 'LengthOrHashMismatchError' ||
    name === 'DownloadLengthMismatchError' ||
    (/length|hash/i.test(said) && /mismatch/i.test(said))
  ) {
    return new HfxError('HFX_E_INTEGRITY', msg, {
      hint: 'The server or something in between sent other data; nothing was applied.',
    });
  }
  if (name === 'DownloadHTTPError')
    return new HfxError('HFX_E_NETWORK', msg, {
      hint: 'Check the server, and that `hfx login` linked this installation to it.',
    });
  return new HfxError('HFX_E_METADATA', msg, {
    hint: 'The metadata is not signed as the trusted root requires, or its parts do not fit together (mix-and-match). Nothing was downloaded.',
  });
}

/** tuf-js's fetcher for hfx: the token on every request, `since` on timestamp.json, resumable archives, file:// mirrors. */
export class HfxFetcher implements Fetcher {
  constructor(
    private readonly l: Layout,
    private readonly src: TufSource,
  ) {}

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    if (url.startsWith('file:')) return readMirror(url, maxLength);
    const u = new URL(url);
    // The server never answers an installation with a timestamp older than the one it trusts,
    // whichever of its processes answers (src/server/tuf/repos.ts).
    if (u.pathname.endsWith('/timestamp.json')) {
      const since = trustedTimestampVersion(this.l);
      if (since > 0) u.searchParams.set('since', String(since));
    }
    const res = await this.get(u.toString(), {});
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      n += c.length;
      if (n > maxLength)
        throw new HfxError('HFX_E_INTEGRITY', `${u.pathname} is longer than ${maxLength} bytes`, {
          hint: 'The server or something in between sends endless data; nothing was used.',
        });
      chunks.push(Buffer.from(c));
    }
    return Buffer.concat(chunks);
  }

  /** A target into .hfx/tuf/targets/NAME.part, resumed where an earlier try stopped; tuf-js checks it in `handler`. */
  async downloadFile<T>(url: string, maxLength: number, handler: (file: string) => Promise<T>): Promise<T> {
    if (url.startsWith('file:')) return handler(fileURLToPath(url));
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
    // The name becomes a file name: one that would leave targets/ (an encoded / or ..) is refused.
    if (
      name === '' ||
      name === '.' ||
      name === '..' ||
      name.includes('/') ||
      name.includes('\\') ||
      name.includes('\0')
    ) {
      throw new HfxError(
        'HFX_E_METADATA',
        `the server named a target ${JSON.stringify(name)}, which is not a file name`,
        {
          hint: 'The metadata or the server is wrong; nothing was downloaded. Tell its operator.',
        },
      );
    }
    const part = join(tufDir(this.l), 'targets', `${name}.part`);
    let have = existsSync(part) ? statSync(part).size : 0;
    if (have > maxLength) {
      rmSync(part);
      have = 0;
    }
    if (have < maxLength) {
      const sha = /^([0-9a-f]{64})\./.exec(part.split('/').pop() ?? '')?.[1];
      const res = await this.get(url, have > 0 && sha ? { range: `bytes=${have}-`, 'if-range': `"${sha}"` } : {});
      let n = res.status === 206 ? have : 0;
      const fd = openSync(part, n > 0 ? 'a' : 'w', 0o600);
      try {
        for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
          n += c.length;
          if (n > maxLength) {
            closeSync(fd);
            rmSync(part, { force: true });
            throw new HfxError(
              'HFX_E_INTEGRITY',
              `the archive is longer than the ${maxLength} bytes the signed metadata names`,
              { hint: 'The server or something in between sent other data; nothing was applied.' },
            );
          }
          writeSync(fd, c);
        }
      } finally {
        try {
          closeSync(fd);
        } catch {
          /* closed above */
        }
      }
    }
    try {
      const out = await handler(part);
      rmSync(part, { force: true });
      return out;
    } catch (e) {
      // Checked and wrong: start over next time rather than resume bad bytes.
      rmSync(part, { force: true });
      throw e;
    }
  }

  private async get(url: string, headers: Record<string, string>): Promise<Response> {
    const remote: Remote = { url: new URL(url).origin, token: this.src.token };
    try {
      return await send(remote, 'GET', new URL(url).pathname + new URL(url).search, undefined, headers);
    } catch (e) {
      // tuf-js walks roots until a 404: it must see one as such.
      if (isHfxError(e, 'HFX_E_NOT_FOUND')) throw new DownloadHTTPError(e.message, 404);
      throw e;
    }
  }
}

function readMirror(url: string, maxLength: number): Buffer {
  const file = fileURLToPath(url);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new DownloadHTTPError(`${file} is not in the mirror`, 404);
  }
  if (size > maxLength)
    throw new HfxError('HFX_E_INTEGRITY', `${file} is longer than ${maxLength} bytes`, {
      hint: 'The mirror holds something else than TUF metadata; nothing was used.',
    });
  return readFileSync(file);
}

function trustedTimestampVersion(l: Layout): number {
  try {
    const t = JSON.parse(readFileSync(join(metadataDir(l), 'timestamp.json'), 'utf8')) as {
      signed?: { version?: unknown };
    };
    return typeof t.signed?.version === 'number' ? t.signed.version : 0;
  } catch {
    return 0;
  }
}

function updaterOf(l: Layout, src: TufSource): Updater {
  const base = src.base.replace(/\/+$/, '');
  return new Updater({
    metadataDir: metadataDir(l),
    metadataBaseUrl: `${base}/metadata`,
    targetDir: join(tufDir(l), 'targets'),
    targetBaseUrl: `${base}/targets`,
    fetcher: new HfxFetcher(l, src),
    config: LIMITS,
  });
}

export interface Offered extends HfxCustom {
  sha256: string;
  size: number;
}

export interface Refreshed {
  /** The trusted timestamp's version and expiry. */
  version: number;
  expires: string;
  targets: Offered[];
}

/** Refreshes the trusted metadata (root chain, timestamp, snapshot, targets, the online role) and lists what the repository offers. */
export async function refresh(l: Layout, src: TufSource): Promise<Refreshed> {
  const u = updaterOf(l, src);
  try {
    await u.refresh();
    // Looking a path up loads (and checks, and keeps) the online role's metadata.
    // (A path no archive id can take: ids never contain '~'.)
    await u.getTargetInfo(targetPath('~listing'));
  } catch (e) {
    throw tufError(e);
  }
  const ts = JSON.parse(readFileSync(join(metadataDir(l), 'timestamp.json'), 'utf8')) as {
    signed: { version: number; expires: string };
  };
  const online = Metadata.fromJSON(
    MetadataKind.Targets,
    JSON.parse(readFileSync(join(metadataDir(l), `${ONLINE_ROLE}.json`), 'utf8')) as never,
  );
  const targets: Offered[] = [];
  for (const t of Object.values(online.signed.targets)) {
    const custom = (t.custom as { hfx?: HfxCustom }).hfx;
    if (custom && t.hashes.sha256) targets.push({ ...custom, sha256: t.hashes.sha256, size: t.length });
  }
  return { version: ts.signed.version, expires: ts.signed.expires, targets };
}

/** An offered archive, downloaded (or found already downloaded) and checked against the trusted metadata; returns its path. */
export async function downloadTarget(l: Layout, src: TufSource, id: string): Promise<string> {
  const u = updaterOf(l, src);
  try {
    const info: TargetFile | undefined = await u.getTargetInfo(targetPath(id));
    if (!info)
      throw new HfxError('HFX_E_NOT_FOUND', `the server offers no archive ${id} to this installation`, {
        hint: 'See `hfx check`.',
      });
    const sha256 = info.hashes.sha256;
    if (sha256 === undefined) {
      throw new HfxError('HFX_E_METADATA', `the metadata gives no sha256 of ${id}`, {
        hint: 'Every archive the server offers has one; ask your vendor.',
      });
    }
    const file = join(l.downloads, `${sha256}.zip`);
    mkdirSync(l.downloads, { recursive: true });
    return (await u.findCachedTarget(info, file)) ?? (await u.downloadTarget(info, file));
  } catch (e) {
    throw tufError(e);
  }
}
