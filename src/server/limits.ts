/**
 * What an internet-facing server promises about time, size and reach (docs/security.md). One
 * place, so the docs, `hfx serve --help` and the tests read the same numbers.
 */
export interface ServerLimits {
  /**
   * The proxies whose X-Forwarded-For is believed (addresses or CIDRs, or proxy-addr's names
   * `loopback`, `linklocal`, `uniquelocal`); without it the client address is the socket's peer.
   */
  trustProxy: string | undefined;
  /** CIDRs a webhook may reach although they are private, loopback or link-local (in-house receivers). */
  webhookAllow: string[];
  /** A request's headers must arrive within this (slowloris). */
  headersTimeoutMs: number;
  /** A JSON body must arrive within this; an upload gets it plus its length at `minUploadRate`. */
  bodyTimeoutMs: number;
  /** Bytes per second an upload may not fall below on average (its body deadline grows with its length). */
  minUploadRate: number;
  /** A connection with nothing sent either way for this long is closed. */
  idleTimeoutMs: number;
  /** SIGTERM: requests in flight get this long to finish, then their connections are closed. */
  shutdownGraceMs: number;
  /** Archive uploads one token may have in flight at once (per server process). */
  uploadsPerToken: number;
  /** Largest manifest an uploaded archive may carry (read before its signature can be checked). */
  uploadManifestBytes: number;
  /** Most ZIP entries an uploaded archive may have. */
  uploadEntries: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  trustProxy: undefined,
  webhookAllow: [],
  headersTimeoutMs: 20_000,
  bodyTimeoutMs: 30_000,
  minUploadRate: 64 * 1024,
  idleTimeoutMs: 60_000,
  shutdownGraceMs: 10_000,
  uploadsPerToken: 4,
  uploadManifestBytes: 64 * 1024 * 1024,
  uploadEntries: 500_000,
};

export function limitsOf(partial: Partial<ServerLimits> | undefined): ServerLimits {
  const out = { ...DEFAULT_LIMITS };
  // Values are read as unknown: a caller may hand an undefined for a setting it does not make.
  for (const [k, v] of Object.entries<unknown>(partial ?? {})) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
