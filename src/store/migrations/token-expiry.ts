import type { Kysely, Migration } from 'kysely';

/** Tokens may carry an expiry (the dashboard's sign-ins do); null keeps the old "until revoked". */
export const tokenExpiryMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('tokens').addColumn('expires_at', 'timestamptz').execute();
  },
};
