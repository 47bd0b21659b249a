import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServeOptions } from '../../src/server/serve.js';
import { initTuf } from '../../src/tuf/offline.js';
import type { Json } from './json.js';

export type StoreKind = 'pglite' | 'postgres';

/**
 * The stores the server suites run against: always the embedded PGlite, and PostgreSQL too when
 * HFX_TEST_DATABASE_URL is set (`npm test`, scripts/test.js, starts a real server and sets it). Each suite runs once
 * per store.
 */
export const STORES: StoreKind[] = ['pglite', ...(process.env.HFX_TEST_DATABASE_URL ? (['postgres'] as const) : [])];

/**
 * A server on port 0 with a fresh database (on PostgreSQL, a new database is created for it) and
 * TUF keys made for it as `hfx tuf init` makes them: `tufDir` holds offline/ and server/, and
 * `rootFile` is the 1.root.json an installation is given (`hfx login … --root`).
 */
export async function testServer(opts: Partial<ServeOptions> & { store?: StoreKind } = {}): Promise<
  RunningServer & {
    adminPassword: string;
    dir: string;
    databaseUrl: string | undefined;
    tufDir: string;
    rootFile: string;
    dispose(): Promise<void>;
  }
> {
  const dir = mkdtempSync(join(tmpdir(), 'hfx-server-'));
  const tuf = initTuf(join(dir, 'tuf-vendor'), { keys: 1, threshold: 1 });
  const adminPassword = randomBytes(12).toString('hex');
  const base = opts.store === 'postgres' ? process.env.HFX_TEST_DATABASE_URL : undefined;
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
  const s = await startServer({ dataDir: dir, databaseUrl, adminPassword, port: 0, tufKeys: tuf.serverDir, ...opts });
  return {
    ...s,
    adminPassword,
    dir,
    databaseUrl,
    tufDir: tuf.dir,
    rootFile: tuf.rootFile,
    async dispose() {
      await s.close();
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function api(
  url: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
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

/**
 * A vendor's server as the end-to-end stories start it: users dev (developer), rm (release
 * manager) and qa-lead (viewer) with passwords `NAME-password-123`, customer acme with an
 * installation token, the publisher key trusted, and product demo with release 1.0.0.
 * Returns each one's token, by name (admin, dev, rm, qa-lead, acme).
 */
export async function seedVendor(
  url: string,
  adminPassword: string,
  publicKeyPem: string,
): Promise<Record<string, string>> {
  const ok = (r: { status: number; body: unknown }, what: string) => {
    if (r.status !== 200 && r.status !== 201) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as Record<string, string>;
  };
  const tok: Record<string, string> = {};
  tok.admin = ok(
    await api(url, 'POST', '/v1/login', null, { username: 'admin', password: adminPassword }),
    'admin login',
  ).token!;
  for (const [u, role] of [
    ['dev', 'developer'],
    ['rm', 'release-manager'],
    ['qa-lead', 'viewer'],
  ] as const) {
    ok(
      await api(url, 'POST', '/v1/users', tok.admin, { username: u, password: `${u}-password-123`, role }),
      `user ${u}`,
    );
    tok[u] = ok(
      await api(url, 'POST', '/v1/login', null, { username: u, password: `${u}-password-123` }),
      `${u} login`,
    ).token!;
  }
  ok(await api(url, 'POST', '/v1/customers', tok.admin, { id: 'acme', name: 'ACME' }), 'customer');
  tok.acme = ok(
    await api(url, 'POST', '/v1/customers/acme/tokens', tok.admin, { name: 'e2e' }),
    'customer token',
  ).token!;
  ok(
    await api(url, 'POST', '/v1/publisher-keys', tok.admin, { name: 'vendor', publicKey: publicKeyPem }),
    'publisher key',
  );
  // The product and its release are in the registry before anything is shipped for them.
  ok(await api(url, 'POST', '/v1/products', tok.admin, { name: 'demo', title: 'Demo' }), 'product');
  ok(await api(url, 'POST', '/v1/products/demo/releases', tok.admin, { version: '1.0.0' }), 'release');
  return tok;
}
