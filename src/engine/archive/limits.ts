// Kept apart from read-archive.ts (and its ZIP library) so that the front door exports the
// defaults without loading the reader.

export interface ArchiveLimits {
  /** Largest manifest accepted, in bytes (it is read before the signature is checked). */
  maxManifestBytes: number;
  maxSignatureBytes: number;
  maxEntries: number;
  /** Largest sum of payload sizes. */
  maxTotalBytes: number;
  /** Largest uncompressed:compressed ratio of one entry; deflate itself cannot exceed ~1032. */
  maxRatio: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  maxManifestBytes: 256 * 1024 * 1024,
  maxSignatureBytes: 64 * 1024,
  maxEntries: 2_000_000,
  maxTotalBytes: 64 * 1024 ** 3,
  maxRatio: 1100,
};
