import { sql, type Kysely, type Migration } from 'kysely';

const now = sql`now()`;

/** Hotfix cases, their transitions and evidence; notification subscriptions and the durable outbox. */
export const casesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('cases')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('reporter', 'text', (c) => c.notNull())
      .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
      .addColumn('product', 'text', (c) => c.notNull())
      .addColumn('release', 'text')
      .addColumn('level', 'integer')
      .addColumn('component', 'text')
      .addColumn('impact', 'text', (c) => c.notNull())
      .addColumn('impact_text', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('priority', 'text', (c) => c.notNull())
      .addColumn('priority_reason', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('assignee', 'text')
      .addColumn('team', 'text')
      .addColumn('root_cause', 'text')
      .addColumn('commits', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('hotfix_id', 'text')
      .addColumn('functional', 'jsonb')
      .addColumn('regression', 'jsonb')
      .addColumn('window_start', 'timestamptz')
      .addColumn('window_end', 'timestamptz')
      .addColumn('deployed', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .addColumn('signoff_by', 'text')
      .addColumn('signoff_at', 'timestamptz')
      .addColumn('monitor_until', 'timestamptz')
      .addColumn('outcome', 'text')
      .addColumn('release_notes', 'text')
      .addColumn('reopened', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema.createIndex('cases_list').on('cases').columns(['state', 'id']).execute();
    await db.schema.createIndex('cases_by_product').on('cases').columns(['product', 'component']).execute();
    await db.schema.createIndex('cases_by_hotfix').on('cases').columns(['hotfix_id']).execute();
    await db.schema
      .createTable('case_transitions')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('case_id', 'integer', (c) => c.notNull().references('cases.id'))
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('from_state', 'text')
      .addColumn('to_state', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('details', 'jsonb', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema.createIndex('case_transitions_by_case').on('case_transitions').columns(['case_id', 'id']).execute();
    await db.schema
      .createTable('case_evidence')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('case_id', 'integer', (c) => c.notNull().references('cases.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('counts', 'jsonb', (c) => c.notNull())
      .addColumn('xml', 'text', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createTable('notify_subscriptions')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('secret', 'text')
      .addColumn('customer_id', 'text', (c) => c.references('customers.id'))
      .addColumn('username', 'text')
      .addColumn('events', 'jsonb', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
    await db.schema
      .createTable('notify_outbox')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('secret', 'text')
      .addColumn('payload', 'jsonb', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addColumn('claimed_until', 'timestamptz')
      .addColumn('delivered_at', 'timestamptz')
      .addColumn('failed_at', 'timestamptz')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .addUniqueConstraint('notify_outbox_once', ['event_id', 'kind', 'target'])
      .execute();
    await sql`create index notify_outbox_due on notify_outbox (next_at, id) where delivered_at is null and failed_at is null`.execute(
      db,
    );
    await db.schema
      .createTable('notify_announced')
      .addColumn('archive_id', 'text', (c) => c.primaryKey())
      .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
      .execute();
  },
};
