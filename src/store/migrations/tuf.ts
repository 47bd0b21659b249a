import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Distribution is a TUF repository per customer (docs/distribution.md), computed from a metadata
 * version and the archives it covers, the same in every server process. The version moves in a
 * row (not a sequence, whose new value other sessions see before the transaction that took it
 * commits): a process that reads version S sees every archive it covers. Each archive records the
 * version that first offered it (`seq`); the server key kept in the database is gone (online keys
 * are given to `hfx serve` in files).
 */
export const tufMigration: Migration = {
  async up(schemaDb: Kysely<unknown>) {
    // The two tables it writes, as they are at this point of the history.
    const db = schemaDb.withTables<{ metadata_state: { id: number; version: number }; archives: { seq: number } }>();
    const cur = await sql<{
      last_value: number;
      is_called: boolean;
    }>`select last_value, is_called from metadata_version`.execute(db);
    const start = cur.rows[0]?.is_called ? cur.rows[0].last_value : 0;
    await db.schema
      .createTable('metadata_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .addColumn('tuf_targets', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('tuf_online', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db
      .insertInto('metadata_state')
      .values({ id: 1, version: start + 1 })
      .execute();
    await db.schema.alterTable('archives').addColumn('seq', 'bigint').execute();
    await db
      .updateTable('archives')
      .set({ seq: start + 1 })
      .execute();
    await db.schema.createIndex('archives_by_seq').on('archives').columns(['seq']).execute();
    await sql`drop sequence metadata_version`.execute(db);
    await db.schema.dropTable('server_keys').execute();
  },
};
