import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Rollouts (docs/rollouts.md): a fix offered to a growing share of a scope. Each change of a
 * rollout (start, a step, pause, resume, abort, completion) is a row of rollout_log tagged with
 * the metadata version it moved to, so the TUF metadata of any version says what the rollout was
 * then (src/server/tuf/repos.ts computes files by version).
 */
export const rolloutsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('rollouts')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('archive_id', 'text', (c) => c.notNull().references('archives.id'))
      .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
      .addColumn('env_product', 'text')
      .addColumn('env_name', 'text')
      .addColumn('steps', 'jsonb', (c) => c.notNull())
      .addColumn('step', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('every_seconds', 'integer')
      .addColumn('max_failure_rate', 'double precision', (c) => c.notNull())
      .addColumn('min_sample', 'integer', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('seed', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('step_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    // One rollout at a time per archive is active or paused.
    await sql`create unique index rollouts_one_live on rollouts (archive_id) where state in ('active', 'paused')`.execute(
      db,
    );
    await db.schema
      .createTable('rollout_log')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('rollout_id', 'integer', (c) => c.notNull().references('rollouts.id'))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('percent', 'double precision', (c) => c.notNull())
      .addColumn('installations', 'jsonb')
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('rollout_log_by_seq').on('rollout_log').columns(['rollout_id', 'seq']).execute();
  },
};
