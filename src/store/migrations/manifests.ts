import { sql, type Kysely, type Migration } from 'kysely';

/** Release manifests (docs/releases.md) published to the server, one per product and version. */
export const manifestsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    // `json`, not `jsonb`: it keeps the text as sent, so a manifest reads back with its fields and
    // images in the order of its file.
    await db.schema
      .createTable('release_manifests')
      .addColumn('product', 'text', (c) => c.notNull().references('products.name'))
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('manifest', 'json', (c) => c.notNull())
      .addColumn('released_at', 'timestamptz', (c) => c.notNull())
      .addColumn('published_at', 'timestamptz', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('release_manifests_pk', ['product', 'version'])
      .addForeignKeyConstraint('release_manifests_release_fk', ['product', 'version'], 'releases', [
        'product',
        'version',
      ])
      .execute();
  },
};
