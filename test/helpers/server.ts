import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/serve.js';

export type StoreKind = 'pglite' | 'postgres';

/**
 * The stores the server suites run against: always the embedded PGlite, and PostgreSQL too when
 * HFX_TEST_DATABASE_URL is set (.ci/run starts a real server and sets it). Each suite runs once
 * per store.
 */
export const STORES: StoreKind[] = ['pglite', ...(process.env['HFX_TEST_DATABASE_URL'] ? (['postgres'] as const) : [])];

/** A server on port 0 with a fresh database (on PostgreSQL, a new database is created for it). */
export async function testServer(opts: Partial<ServeOptions> & { store?: StoreKind } = {}): Promise<RunningServer & { adminPassword: string; dir: string; databaseUrl: string | undefined; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hfx-server-'));
  const adminPassword = randomBytes(12).toString('hex');
  const base = opts.store === 'postgres' ? process.env['HFX_TEST_DATABASE_URL'] : undefined;
  let databaseUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  if (base) {
    const pg = (await import('pg')).default;
    const name = `hfx_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const s = await startServer({ dataDir: dir, databaseUrl, adminPassword, port: 0, ...opts });
  return {
    ...s,
    adminPassword,
    dir,
    databaseUrl,
    async dispose() {
      await s.close();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function api(url: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  let payload: RequestInit['body'];
  if (body instanceof Uint8Array) {
    payload = body as RequestInit['body'];
    headers['content-type'] = 'application/zip';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(url + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
