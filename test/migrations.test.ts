// The migrations' names are recorded in every existing database's kysely_migration table: a
// renamed migration would run again there (and fail on its tables), a removed one would make
// Kysely refuse to start. The list below is history and only ever grows at its end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { MIGRATIONS, migrationProvider } from '../src/store/migrations.js';
import { openStore } from '../src/store/store.js';
import { STORES } from './helpers/server.js';

const HISTORY = [
  '0001-registry',
  '0002-environments',
  '0003-cases',
  '0004-manifests',
  '0005-token-expiry',
  '0006-security',
  '0007-customer-users',
  '0008-tuf',
  '0009-rollouts',
  '0010-gates',
];

describe('migrations', () => {
  test('the names are the ones existing databases recorded, in the order they ran', async () => {
    assert.deepEqual(Object.keys(MIGRATIONS), HISTORY);
    assert.deepEqual(Object.keys(await migrationProvider.getMigrations()), HISTORY);
  });

  test('the record lists them in the order Kysely runs them (by name)', () => {
    const names = Object.keys(MIGRATIONS);
    assert.deepEqual([...names].sort(), names);
  });

  for (const store of STORES) {
    test(`a new database on ${store} records exactly these names`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hfx-migrations-'));
      const base = store === 'postgres' ? process.env.HFX_TEST_DATABASE_URL : undefined;
      const name = `hfx_test_${randomBytes(6).toString('hex')}`;
      let url: string | undefined;
      if (base) {
        const admin = new pg.Client({ connectionString: base });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        const u = new URL(base);
        u.pathname = `/${name}`;
        url = u.toString();
      }
      try {
        const s = await openStore({ url, dataDir: dir });
        try {
          const rows = await sql<{ name: string }>`select name from kysely_migration order by timestamp, name`.execute(
            s.db,
          );
          assert.deepEqual(
            rows.rows.map((r) => r.name),
            HISTORY,
          );
        } finally {
          await s.close();
        }
      } finally {
        if (base) {
          const admin = new pg.Client({ connectionString: base });
          await admin.connect();
          await admin.query(`drop database if exists ${name} with (force)`);
          await admin.end();
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
