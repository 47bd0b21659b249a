import type { Kysely, Migration } from 'kysely';

/** Gates between environments: a soak time and freeze windows per environment (server/environments/gates.ts). */
export const gatesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('env_gates')
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('soak_seconds', 'integer')
      .addColumn('freeze', 'jsonb', (c) => c.notNull())
      .addPrimaryKeyConstraint('env_gates_pk', ['product', 'environment'])
      .execute();
  },
};
