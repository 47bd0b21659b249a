import type { PGlite } from '@electric-sql/pglite';

interface QueryResult {
  rows: unknown[];
  rowCount: number;
  command?: string;
}

/**
 * Makes one PGlite database look like a `pg` pool to Kysely's PostgresDialect. PGlite is a single
 * connection, so connections are handed out one at a time (a queue), which keeps Kysely's
 * transactions (BEGIN … COMMIT on one connection) from interleaving.
 */
export function pglitePool(db: PGlite) {
  let busy: Promise<void> = Promise.resolve();
  const client = {
    async query(sql: string, params: unknown[] = []): Promise<QueryResult> {
      const r = await db.query(sql, params);
      return {
        rows: r.rows,
        rowCount: r.affectedRows ?? r.rows.length,
        command: sql.trimStart().slice(0, 6).toUpperCase(),
      };
    },
  };
  return {
    async connect() {
      let free!: () => void;
      const prev = busy;
      busy = new Promise<void>((r) => (free = r));
      await prev;
      // Releasing a connection frees the queue for the next.
      return { ...client, release: free };
    },
    async end(): Promise<void> {
      await busy;
      await db.close();
    },
  };
}
