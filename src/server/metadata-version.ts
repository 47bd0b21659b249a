import { sql } from 'kysely';
import type { Store } from '../store/store.js';

/**
 * How long a process answers from its own copy of the metadata version on PostgreSQL, where other
 * processes move it too: an archive pushed through another process is offered within this time.
 */
export const VERSION_FRESH_MS = 1000;

export interface VersionKeeper {
  /**
   * The current metadata version, never below `atLeast`, the version the asking installation has
   * already seen (`since`), when the database has it: so whichever process answers, an
   * installation never sees the version go back.
   */
  current(atLeast?: number): Promise<number>;
  /** Told the new version after this process changed what distribution metadata lists. */
  bumped(v: number): void;
}

async function readVersion(store: Store): Promise<number> {
  const v = await sql<{ last_value: number; is_called: boolean }>`select last_value, is_called from metadata_version`.execute(store.db);
  const row = v.rows[0]!;
  return row.is_called ? Number(row.last_value) : 0;
}

/**
 * PGlite is one process's own database, so the version lives in memory. On PostgreSQL it is read
 * at most once a second (one read shared by the requests waiting for it), and at once for an
 * installation that has seen a newer one: update checks then cost no query at all.
 */
export async function versionKeeper(store: Store): Promise<VersionKeeper> {
  let version = await readVersion(store);
  let readAt = Date.now();
  let pending: { startedAt: number; done: Promise<number> } | null = null;
  const read = async (): Promise<number> => {
    const v = await readVersion(store);
    if (v > version) version = v;
    readAt = Date.now();
    return version;
  };
  return {
    async current(atLeast = 0) {
      if (store.kind === 'pglite') return version;
      if (version >= atLeast && Date.now() - readAt < VERSION_FRESH_MS) return version;
      const askedAt = performance.now();
      const shared = (pending ??= { startedAt: performance.now(), done: read().finally(() => (pending = null)) });
      const v = await shared.done;
      // A shared read begun before this request may predate the version the installation saw:
      // read once more. One begun after it already saw everything committed before.
      return v >= atLeast || shared.startedAt >= askedAt ? v : read();
    },
    bumped(v) {
      if (v > version) version = v;
    },
  };
}
