// Where the server keeps archive bytes: one interface, two drivers — a directory (blobs.ts, the
// default) or an OCI registry (registry.ts, `hfx serve --blobs oci://REGISTRY/REPO`). Uploads are
// always received into a local file first, since they are validated (signature, every payload
// hash) from it before anything is stored.
import { join, resolve } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { HfxError } from '../../errors.js';
import type { Creds } from '../../image/registry.js';
import type { Manifest } from '../../engine/index.js';
import { OCI_SCHEME, parseRegistryRepo } from '../../oci/reference.js';
import { BlobStore } from '../blobs.js';
import { RegistryBlobs } from './registry.js';

/** An upload received into a local temp file. */
export interface ReceivedBlob {
  tmp: string;
  size: number;
  sha256: string;
}

export interface ArchiveBlobs {
  readonly kind: 'directory' | 'registry';
  /** Where the archives are, for the start-up line and the log. */
  readonly location: string;
  /** Streams a request body to a local temp file, refusing it past `max` bytes. */
  receive(body: Readable, max: number): Promise<ReceivedBlob>;
  /**
   * Stores a received (and validated) upload as the blob of the archive `m` describes. It resolves
   * only once the blob is durable where downloads read it, so the database row recording it comes
   * after; storing the same blob again is a no-op. Fails with HFX_E_UNAVAILABLE when the store
   * cannot be reached in time.
   */
  keep(got: ReceivedBlob, m: Manifest): Promise<void>;
  /** Removes the temp file of an upload (whether kept or refused). */
  discard(tmp: string): void;
  /** A stored blob's size (HFX_E_NOT_FOUND if it has none; HFX_E_UNAVAILABLE if the store cannot be reached). */
  size(sha256: string): Promise<number>;
  /** A stored blob's bytes, or those of `range` (inclusive). */
  read(sha256: string, range?: { start: number; end: number }): Promise<Readable>;
  /**
   * Writes bytes start…end (inclusive) straight to a response whose headers are sent, and ends it:
   * a store on the local disk can skip the stream machinery (twice as fast for large downloads).
   */
  sendTo?(res: ServerResponse, sha256: string, start: number, end: number): void;
  /** Removes temp files of uploads cut off by a killed process, untouched for `idleMs`; returns how many. */
  sweep(idleMs?: number): number;
  /** Whether the store can be reached now (a registry); told at start-up, not fatal. */
  check?(): Promise<void>;
}

export interface BlobsOptions {
  /** The server's data directory: a registry store receives uploads into DATA/upload-tmp. */
  dataDir: string;
  /** Registry login (HFX_REGISTRY_USER / HFX_REGISTRY_PASSWORD). */
  creds?: Creds | null;
  /** Plain http to a registry other than localhost/127.x (HFX_REGISTRY_INSECURE=1). */
  insecure?: boolean;
  /** Per registry request, and per pause in a streamed blob (HFX_BLOBS_TIMEOUT, default 10 s). */
  timeoutMs?: number;
}

export const DEFAULT_REGISTRY_TIMEOUT_MS = 10_000;

export function isRegistrySpec(spec: string): boolean {
  return spec.startsWith(OCI_SCHEME);
}

/** `--blobs`: `oci://REGISTRY/REPO` for a registry, anything else a directory. */
export function openArchiveBlobs(spec: string, opts: BlobsOptions): ArchiveBlobs {
  if (!isRegistrySpec(spec)) return new BlobStore(resolve(spec));
  let repo;
  try {
    repo = parseRegistryRepo(spec);
  } catch (e) {
    throw new HfxError('HFX_E_USAGE', `--blobs ${(e as Error).message}`, {
      hint: 'For example: --blobs oci://registry.example.com/hfx/archives',
    });
  }
  return new RegistryBlobs(repo, {
    spoolDir: join(opts.dataDir, 'upload-tmp'),
    creds: opts.creds ?? null,
    insecure: opts.insecure ?? false,
    timeoutMs: opts.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS,
  });
}
