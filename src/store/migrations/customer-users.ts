import type { Kysely, Migration } from 'kysely';

/**
 * A user may be bound to one customer (role 'customer': that customer's own people, who see its
 * cases, fixes and installations), and may be disabled (no sign-in, tokens revoked) instead of
 * deleted, so the audit log keeps naming them.
 */
export const customerUsersMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('users')
      .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
      .execute();
    await db.schema
      .alterTable('users')
      .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
      .execute();
  },
};
