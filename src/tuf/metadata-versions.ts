/**
 * Versions and lifetimes of the online TUF metadata (product versions are src/version.ts), computed
 * rather than stored (docs/distribution.md): every server process signs the same bytes for the same
 * inputs, so processes that share only a database never contradict each other. A version is HI·2³² + S, where S is the metadata version
 * (moved by each upload) and HI a time period: the hour for timestamps, the half-week for snapshot
 * and the online targets. Both only grow, so versions only grow.
 */
export const LOW = 2 ** 32;
export const HOUR_S = 3600;
/** Snapshot and online targets are signed afresh every half-week (84 hours, whole hours)… */
export const PERIOD_S = 84 * HOUR_S;
/** …and stay valid for two such periods: at least 3.5 days from any moment. */
export const PERIODS_VALID = 2;
/** A timestamp is valid a day past the end of its hour: an installation cut off from its server notices within a day (freeze). */
export const TIMESTAMP_LIFE_S = 24 * HOUR_S;

/** The version of online metadata signed in period `hi` at metadata version `s`. */
export const metadataVersion = (hi: number, s: number): number => hi * LOW + s;
export const splitMetadataVersion = (v: number): { hi: number; s: number } => ({ hi: Math.floor(v / LOW), s: v % LOW });

export const hourOf = (ms: number): number => Math.floor(ms / 1000 / HOUR_S);
/** The half-week an hour falls in: the snapshot a timestamp of that hour names. */
export const periodOfHour = (h: number): number => Math.floor((h * HOUR_S) / PERIOD_S);

export const iso = (s: number): string => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;
export const timestampExpires = (h: number): string => iso((h + 1) * HOUR_S + TIMESTAMP_LIFE_S);
export const periodExpires = (w: number): string => iso((w + PERIODS_VALID) * PERIOD_S);
