import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
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
  /** Reads the version from the database now (after a change that moved it in a transaction of its own). */
  reload(): Promise<number>;
}

async function readVersion(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('metadata_state').select('version').where('id', '=', 1).executeTakeFirstOrThrow();
  return row.version;
}

/**
 * Moves the metadata version and gives it to every archive not yet offered, in one transaction:
 * a process that reads version S (after the commit) sees exactly the archives it covers, so every
 * process computes the same repository for S (docs/distribution.md). The row lock orders bumps.
 */
export async function bumpVersion(db: Kysely<Database>, tuf?: { targets: number; online: string }): Promise<number> {
  return db.transaction().execute((tx) => bumpIn(tx, tuf));
}

/** bumpVersion inside the caller's transaction: a rollout's change and the version it is signed at commit together. */
export async function bumpIn(tx: Transaction<Database>, tuf?: { targets: number; online: string }): Promise<number> {
  const r = await tx
    .updateTable('metadata_state')
    .set((e) => ({
      version: sql`${e.ref('version')} + 1`,
      ...(tuf ? { tuf_targets: tuf.targets, tuf_online: tuf.online } : {}),
    }))
    .where('id', '=', 1)
    .returning('version')
    .executeTakeFirstOrThrow();
  const v = r.version;
  await tx.updateTable('archives').set({ seq: v }).where('seq', 'is', null).execute();
  return v;
}

/**
 * Keys of TUF changed since the version last moved (a rotation: a new top-level targets or online
 * key), or archives wait unoffered (a bump that failed): moves the version so every repository is
 * signed afresh. Run at start.
 */
export async function settleVersion(
  db: Kysely<Database>,
  tuf: { targets: number; online: string },
): Promise<number | null> {
  const row = await db
    .selectFrom('metadata_state')
    .select(['tuf_targets', 'tuf_online'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  const waiting = await db.selectFrom('archives').select('id').where('seq', 'is', null).limit(1).executeTakeFirst();
  if (row.tuf_targets === tuf.targets && row.tuf_online === tuf.online && !waiting) return null;
  return bumpVersion(db, tuf);
}

/**
 * PGlite is one process's own database, so the version lives in memory. On PostgreSQL it is read
 * at most once a second (one read shared by the requests waiting for it), and at once for an
 * installation that has seen a newer one: update checks then cost no query at all.
 */
export async function versionKeeper(store: Store): Promise<VersionKeeper> {
  let version = await readVersion(store.db);
  let readAt = Date.now();
  let pending: { startedAt: number; done: Promise<number> } | null = null;
  const read = async (): Promise<number> => {
    const v = await readVersion(store.db);
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
    reload: read,
  };
}
