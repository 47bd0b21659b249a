import type { Migration, MigrationProvider } from 'kysely';
import { casesMigration } from './migrations/cases.js';
import { customerUsersMigration } from './migrations/customer-users.js';
import { environmentsMigration } from './migrations/environments.js';
import { gatesMigration } from './migrations/gates.js';
import { manifestsMigration } from './migrations/manifests.js';
import { registryMigration } from './migrations/registry.js';
import { rolloutsMigration } from './migrations/rollouts.js';
import { securityMigration } from './migrations/security.js';
import { tokenExpiryMigration } from './migrations/token-expiry.js';
import { tufMigration } from './migrations/tuf.js';

/**
 * Schema migrations, in order; each lives in src/store/migrations/<name>.ts. A name is recorded in
 * each database's kysely_migration table when it runs, so a name never changes and a new
 * migration is added at the end (test/migrations.test.ts holds the list). Kysely's Migrator takes
 * a lock (a row lock on its lock table) so two servers starting at once on one PostgreSQL run each
 * migration exactly once.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-registry': registryMigration,
  '0002-environments': environmentsMigration,
  '0003-cases': casesMigration,
  '0004-manifests': manifestsMigration,
  '0005-token-expiry': tokenExpiryMigration,
  '0006-security': securityMigration,
  '0007-customer-users': customerUsersMigration,
  '0008-tuf': tufMigration,
  '0009-rollouts': rolloutsMigration,
  '0010-gates': gatesMigration,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
