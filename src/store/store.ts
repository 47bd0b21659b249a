import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import { HfxError } from '../errors.js';
import { migrationProvider } from './migrations.js';
import { pglitePool } from './pglite-pool.js';
import type { Database } from './schema.js';

export interface Store {
  db: Kysely<Database>;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

// bigint columns (archive sizes) fit in a double; read them as numbers, as PGlite does.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * One interface, two drivers: PostgreSQL when `url` is given (DATABASE_URL), else an embedded
 * PGlite database in `dataDir/db`. Migrations run on open.
 */
export async function openStore(opts: {
  url?: string | undefined;
  dataDir: string;
  onError?: (e: Error) => void;
}): Promise<Store> {
  let db: Kysely<Database>;
  let kind: Store['kind'];
  if (opts.url) {
    kind = 'postgres';
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    // A connection the database drops (restart, failover, pg_terminate_backend) must not take the
    // process down. The pool listens only on idle connections; one checked out (Kysely holds it
    // from acquire to release, between queries too) emits 'error' with no listener, which throws.
    // Every connection therefore gets a listener for life: the failed query rejects, release sees
    // the connection unusable and discards it, and the next query opens a new one.
    // The pool re-emits an idle connection's error, and throws without a listener; the
    // connection's own listener has reported it already.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', (e) => opts.onError?.(e)));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    kind = 'pglite';
    const dir = join(opts.dataDir, 'db');
    mkdirSync(dir, { recursive: true });
    const lite = new PGlite(dir);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pglitePool(lite) as never }) });
  }
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new HfxError('HFX_E_STATE', `database migration ${failed ?? ''} failed: ${(error as Error).message}`, {
      hint: 'Check DATABASE_URL and that the database user may create tables.',
      cause: error,
    });
  }
  return { db, kind, close: () => db.destroy() };
}

/** SQLSTATEs of a connection the database ended or refused: class 08, admin/crash shutdown, starting up. */
const CONNECTION_STATES = /^(08...|57P0[123])$/;
const CONNECTION_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * True when a query failed because the connection to the database went away (restart, failover,
 * pg_terminate_backend), not because of the query: the request may be retried, the server is fine.
 */
export function isConnectionLost(e: unknown): boolean {
  for (
    let cur = e as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    cur && depth < 4;
    cur = cur.cause as typeof cur, depth++
  ) {
    const code = typeof cur.code === 'string' ? cur.code : '';
    if (CONNECTION_STATES.test(code) || CONNECTION_ERRNOS.has(code)) return true;
    // pg's own wording when the socket closes under a query or a client is reused after that.
    if (typeof cur.message === 'string' && /^Connection terminated|is not queryable/.test(cur.message)) return true;
  }
  return false;
}
