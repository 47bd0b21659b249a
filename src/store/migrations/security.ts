import type { Kysely, Migration } from 'kysely';

/**
 * Failed logins are counted per client address as well as per account (login-throttle.ts), and a
 * user has an e-mail address of record: the only one a non-admin may subscribe to notifications.
 */
export const securityMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('login_failures')
      .addColumn('address', 'text', (c) => c.notNull().defaultTo(''))
      .execute();
    await db.schema.createIndex('login_failures_by_address').on('login_failures').columns(['address', 'at']).execute();
    await db.schema.alterTable('users').addColumn('email', 'text').execute();
  },
};
