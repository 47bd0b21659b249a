// The registry driver of the archive store (`hfx serve --blobs oci://REGISTRY/REPO`): each archive
// is pushed as the artifact `hfx push --oci` makes (docs/archive-format.md), so processes on
// different machines share nothing but PostgreSQL and the registry, and installations may take
// archives from the registry directly. Every call has a timeout; a registry that is down, slow or
// refusing makes the request fail with HFX_E_UNAVAILABLE (503, Retry-After) and nothing recorded.
import { mkdirSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { HfxError } from '../../errors.js';
import type { Manifest } from '../../engine/index.js';
import { Registry, type Creds } from '../../image/registry.js';
import { pushArtifact } from '../../oci/push.js';
import { OCI_SCHEME, type RegistryRepo } from '../../oci/reference.js';
import { receiveInto, sweepDir } from '../blobs.js';
import type { ArchiveBlobs, ReceivedBlob } from './store.js';

/** Sizes of blobs seen, so a download costs one registry request rather than two (content-addressed: they never change). */
const SIZE_CACHE = 10_000;

/** Skips the first `start` bytes and stops after `end` (inclusive): for a registry that answers a Range with the whole blob. */
function slice(body: Readable, start: number, end: number): AsyncGenerator<Buffer> {
  return (async function* () {
    let at = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      const from = Math.max(0, start - at);
      const to = Math.min(chunk.length, end + 1 - at);
      at += chunk.length;
      if (to > from) yield chunk.subarray(from, to);
      if (at > end) break;
    }
  })();
}

export class RegistryBlobs implements ArchiveBlobs {
  readonly kind = 'registry';
  readonly registry: Registry;
  private readonly sizes = new Map<string, number>();
  /** The empty config blob is in the repository: skip its HEAD on every upload. */
  private configKnown = false;
  /** Pushes under way, by sha256: the same archive sent several times at once is pushed once. */
  private readonly pushing = new Map<string, Promise<void>>();

  constructor(
    readonly repo: RegistryRepo,
    private readonly opts: { spoolDir: string; creds: Creds | null; insecure: boolean; timeoutMs: number },
  ) {
    mkdirSync(opts.spoolDir, { recursive: true });
    this.sweep();
    this.registry = new Registry(repo.registry, repo.repository, opts.creds, {
      insecure: opts.insecure,
      timeoutMs: opts.timeoutMs,
    });
  }

  get location(): string {
    return `${OCI_SCHEME}${this.repo.registry}/${this.repo.repository}`;
  }

  /** Whether the registry answers, with the login given: told at start-up, never fatal (it may come up later). */
  async check(): Promise<void> {
    try {
      await this.registry.ping();
    } catch (e) {
      throw this.unavailable(e, 'be reached');
    }
  }

  private unavailable(e: unknown, what: string): HfxError {
    if (e instanceof HfxError && e.code === 'HFX_E_NOT_FOUND') return e;
    const why = e instanceof Error ? e.message : String(e);
    return new HfxError(
      'HFX_E_UNAVAILABLE',
      `the registry that holds the archives (${this.location}) could not ${what}: ${why}`,
      {
        hint: "Retry in a moment; if this persists, the server's operator checks that registry (hfx serve --blobs).",
        cause: e,
      },
    );
  }

  receive(body: Readable, max: number): Promise<ReceivedBlob> {
    return receiveInto(this.opts.spoolDir, body, max);
  }

  discard(tmp: string): void {
    rmSync(tmp, { force: true });
  }

  sweep(idleMs?: number): number {
    return sweepDir(this.opts.spoolDir, idleMs);
  }

  private remember(sha256: string, size: number): void {
    if (this.sizes.size >= SIZE_CACHE) this.sizes.clear();
    this.sizes.set(sha256, size);
  }

  keep(got: ReceivedBlob, m: Manifest): Promise<void> {
    const running = this.pushing.get(got.sha256);
    if (running) return running;
    const p = this.push(got, m).finally(() => this.pushing.delete(got.sha256));
    this.pushing.set(got.sha256, p);
    return p;
  }

  private async push(got: ReceivedBlob, m: Manifest): Promise<void> {
    try {
      await pushArtifact(this.registry, { path: got.tmp, sha256: got.sha256, size: got.size }, m, {
        configKnown: this.configKnown,
      });
    } catch (e) {
      // The next upload checks the config blob again, in case it went missing.
      this.configKnown = false;
      throw this.unavailable(e, 'store the archive');
    }
    this.configKnown = true;
    this.remember(got.sha256, got.size);
  }

  async size(sha256: string): Promise<number> {
    const known = this.sizes.get(sha256);
    if (known !== undefined) return known;
    let n: number | null;
    try {
      n = await this.registry.blobSize(`sha256:${sha256}`);
    } catch (e) {
      throw this.unavailable(e, 'be asked for the archive');
    }
    if (n === null)
      throw new HfxError('HFX_E_NOT_FOUND', `the archive blob sha256:${sha256} is missing from ${this.location}`, {
        hint: 'It was removed from the registry; push the archive again.',
      });
    this.remember(sha256, n);
    return n;
  }

  async read(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const b = await this.registry.openBlob(`sha256:${sha256}`, range);
      if (!range || b.status === 206) return b.body;
      return Readable.from(slice(b.body, range.start, range.end), { objectMode: false });
    } catch (e) {
      throw this.unavailable(e, 'send the archive');
    }
  }
}
