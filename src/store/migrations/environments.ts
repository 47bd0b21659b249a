import { sql, type Kysely, type Migration } from 'kysely';

/** Environments (issue 5): per-product pipelines, installation membership, content reports, tags, deployments. */
export const environmentsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('env_pipelines')
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('env_pipelines_pk', ['product', 'name'])
      .execute();
    await db.schema
      .createTable('env_members')
      .addColumn('installation_id', 'text', (c) => c.primaryKey().references('installations.id'))
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('assigned_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('env_members_by_env').on('env_members').columns(['product', 'environment']).execute();
    await db.schema
      .createTable('env_reports')
      .addColumn('installation_id', 'text', (c) => c.primaryKey().references('installations.id'))
      .addColumn('release', 'text', (c) => c.notNull())
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('hotfixes', 'jsonb', (c) => c.notNull())
      .addColumn('updates', 'jsonb', (c) => c.notNull())
      .addColumn('pack_hash', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createTable('env_tags')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('pack_hash', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema.createIndex('env_tags_by_env').on('env_tags').columns(['product', 'environment', 'id']).execute();
    await db.schema
      .createTable('env_deployments')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('archive_id', 'text')
      .addColumn('level', 'integer')
      .addColumn('tag', 'text')
      .addColumn('commit', 'text')
      .addColumn('files', 'jsonb')
      .addColumn('approval', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    await db.schema
      .createIndex('env_deployments_by_env')
      .on('env_deployments')
      .columns(['product', 'environment'])
      .execute();
  },
};
