import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { readStatus } from '../src/engine/index.js';
import { hfx } from './helpers/cli.js';
import { snapshot, world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';
import { offered } from './helpers/tuf.js';

type TS = Awaited<ReturnType<typeof testServer>>;

for (const store of STORES)
  describe(`server on ${store}`, () => {
    let s: TS;
    let admin: string;
    let w: World;
    let env: NodeJS.ProcessEnv;
    const tokens: Record<string, string> = {};
    // Worlds made in one test are used by the next ones: they live as long as the suite.
    const cleanups: (() => void)[] = [];
    const suite = { after: (fn: () => void) => cleanups.push(fn) };

    before(async () => {
      s = await testServer({ store });
      const login = await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword });
      assert.equal(login.status, 201);
      admin = login.body.token;
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('first start made the admin; wrong passwords are refused and then rate limited', async () => {
      const bad = await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: 'nope' });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error.code, 'HFX_E_AUTH');
      for (let i = 0; i < 10; i++) await api(s.url, 'POST', '/v1/login', null, { username: 'mallory', password: 'x' });
      const limited = await api(s.url, 'POST', '/v1/login', null, { username: 'mallory', password: 'x' });
      assert.equal(limited.status, 429);
      assert.equal(limited.body.error.code, 'HFX_E_RATE_LIMITED');
      assert.equal((await api(s.url, 'GET', '/v1/me', admin)).body.role, 'admin');
      assert.equal((await api(s.url, 'GET', '/v1/me', 'hfx_' + 'x'.repeat(43))).status, 401);
      assert.equal((await api(s.url, 'GET', '/v1/products', null)).status, 401);
    });

    test('a login with a ttl makes a token that expires; a bad ttl is refused and makes no token', async () => {
      const count = async () => {
        const tokensTable = s.store.db.selectFrom('tokens');
        const row = await tokensTable.select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow();
        return Number(row.n);
      };
      const before = await count();
      for (const ttl of [0, 59, 90 * 86400 + 1, 1.5, 'an hour', -60, null]) {
        const r = await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword, ttl });
        assert.equal(r.status, 400, `ttl ${String(ttl)}`);
        assert.equal(r.body.error.code, 'HFX_E_USAGE');
      }
      assert.equal(await count(), before, 'no token made by a refused login');
      const t0 = Date.now();
      const ok = await api(s.url, 'POST', '/v1/login', null, {
        username: 'admin',
        password: s.adminPassword,
        name: 'dashboard',
        ttl: 3600,
      });
      assert.equal(ok.status, 201);
      const at = Date.parse(ok.body.expiresAt);
      assert.ok(at >= t0 + 3600_000 - 1000 && at <= Date.now() + 3600_000 + 1000, ok.body.expiresAt);
      // Its expiry passes (set in the store, before the token's first use fills the server's cache).
      await s.store.db
        .updateTable('tokens')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('name', '=', 'dashboard')
        .execute();
      const gone = await api(s.url, 'GET', '/v1/me', ok.body.token);
      assert.equal(gone.status, 401);
      assert.equal(gone.body.error.code, 'HFX_E_AUTH');
      assert.match(gone.body.error.message, /expired/);
      // Without a ttl: no expiry, as before.
      const plain = await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword });
      assert.equal(plain.body.expiresAt, null);
      assert.equal((await api(s.url, 'GET', '/v1/me', plain.body.token)).status, 200);
    });

    test('the API describes itself; unknown routes and malformed input are 4xx with codes', async () => {
      const o = await api(s.url, 'GET', '/openapi.json', null);
      assert.equal(o.status, 200);
      assert.ok(o.body.paths['/v1/tuf/{repo}/metadata/{file}']);
      assert.equal((await api(s.url, 'GET', '/v1/nope', admin)).body.error.code, 'HFX_E_NOT_FOUND');
      const bad = await api(s.url, 'POST', '/v1/users', admin, { username: '../x', password: 'short', role: 'god' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'HFX_E_USAGE');
    });

    test('set-up: customers, tokens, users, a trusted publisher key, and a CLI login', async () => {
      for (const id of ['acme', 'globex']) {
        assert.equal((await api(s.url, 'POST', '/v1/customers', admin, { id, name: id.toUpperCase() })).status, 201);
        const tk = await api(s.url, 'POST', `/v1/customers/${id}/tokens`, admin, { name: 'prod-1' });
        assert.equal(tk.status, 201);
        tokens[id] = tk.body.token;
      }
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/users', admin, {
            username: 'dev',
            password: 'developer-password',
            role: 'developer',
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/users', admin, {
            username: 'view',
            password: 'viewer-password!',
            role: 'viewer',
          })
        ).status,
        201,
      );
      w = await world(suite);
      const pub = readFileSync(w.pub, 'utf8');
      assert.equal(
        (await api(s.url, 'POST', '/v1/publisher-keys', admin, { name: 'vendor', publicKey: pub })).status,
        201,
      );
      env = { HFX_CONFIG_DIR: join(w.dir, 'config'), HFX_PASSWORD: 'developer-password', NO_COLOR: '1' };
      const r = await hfx(['login', s.url, '--user', 'dev', '--json'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.json.who, /dev \(developer\)/);
    });

    test('push: validated like apply; unsigned, untrusted and hostile archives are refused', async () => {
      const hf = await w.hotfix('HF-ACME-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed for acme\n'), {
        customer: 'acme',
      });
      const pushed = await hfx(['push', hf, '--json'], { env });
      assert.equal(pushed.code, 0, pushed.stdout);
      assert.equal(pushed.json.customer, 'acme');
      assert.equal((await hfx(['push', hf, '--json'], { env })).json.existed, true);
      const unsigned = await w.hotfix('HF-U', (d) => writeFileSync(join(d, 'lib/util.jar'), 'u\n'), {
        signKey: undefined,
      });
      assert.equal((await hfx(['push', unsigned, '--json'], { env })).json.error.code, 'HFX_E_UNSIGNED');
      const other = join(w.dir, 'other');
      await hfx(['keygen', '--out', other]);
      await hfx(['sign', unsigned, '--key', `${other}.key`]);
      assert.equal((await hfx(['push', unsigned, '--json'], { env })).json.error.code, 'HFX_E_UNTRUSTED');
      const junk = join(w.dir, 'junk.zip');
      writeFileSync(junk, 'PK\u0003\u0004 not really a zip');
      assert.equal((await hfx(['push', junk, '--json'], { env })).json.error.code, 'HFX_E_ARCHIVE');
      const viewer = await api(s.url, 'POST', '/v1/login', null, { username: 'view', password: 'viewer-password!' });
      const denied = await api(s.url, 'POST', '/v1/archives', viewer.body.token, new Uint8Array(readFileSync(hf)));
      assert.equal(denied.status, 403);
      const pub = await w.hotfix('HF-ALL-1', (d) => writeFileSync(join(d, 'conf/server.toml'), 'for all\n'));
      assert.equal((await hfx(['push', pub], { env })).code, 0);
      const list = await api(s.url, 'GET', '/v1/archives', admin);
      assert.deepEqual(list.body.archives.map((a: { id: string }) => a.id).sort(), ['HF-ACME-1', 'HF-ALL-1']);
    });

    test("one customer never sees, downloads or is offered another customer's hotfix", async () => {
      assert.deepEqual(await offered(s.url, 'globex', tokens.globex!), ['HF-ALL-1.zip']);
      assert.equal((await api(s.url, 'GET', '/v1/archives/HF-ACME-1', tokens.globex!)).status, 404);
      assert.equal((await api(s.url, 'GET', '/v1/archives/HF-ACME-1/download', tokens.globex!)).status, 404);
      const visible: { id: string }[] = (await api(s.url, 'GET', '/v1/archives', tokens.globex!)).body.archives;
      assert.deepEqual(
        visible.map((a) => a.id),
        ['HF-ALL-1'],
      );
      assert.equal((await api(s.url, 'GET', '/v1/tuf/acme/metadata/timestamp.json', tokens.globex!)).status, 404);
      assert.deepEqual(await offered(s.url, 'acme', tokens.acme!), ['HF-ACME-1.zip', 'HF-ALL-1.zip']);
      assert.equal((await api(s.url, 'GET', '/v1/archives/HF-ACME-1/download', tokens.acme!)).status, 200);
    });

    test('downloads have a strong ETag and resume with Range', async () => {
      const download = `${s.url}/v1/archives/HF-ALL-1/download`;
      const authorization = `Bearer ${tokens.acme!}`;
      const full = await fetch(download, { headers: { authorization } });
      const bytes = Buffer.from(await full.arrayBuffer());
      const etag = full.headers.get('etag')!;
      assert.match(etag, /^"[0-9a-f]{64}"$/);
      const again = await fetch(download, { headers: { authorization, 'if-none-match': etag } });
      assert.equal(again.status, 304);
      const part = await fetch(download, { headers: { authorization, range: 'bytes=100-', 'if-range': etag } });
      assert.equal(part.status, 206);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100));
      const bad = await fetch(download, { headers: { authorization, range: `bytes=${bytes.length + 5}-` } });
      assert.equal(bad.status, 416);
      // Archives go as they are, gzip asked or not (a ZIP is compressed already, and ranges count its bytes).
      const asked = await raw(s.url, '/v1/archives/HF-ALL-1/download', { authorization, 'accept-encoding': 'gzip' });
      assert.equal(asked.headers['content-encoding'], undefined);
      assert.deepEqual(asked.body, bytes);
      // JSON answers are gzipped for a client that asks, and only then.
      const json = await raw(s.url, '/openapi.json', { 'accept-encoding': 'gzip' });
      assert.equal(json.headers['content-encoding'], 'gzip');
      assert.equal(JSON.parse(gunzipSync(json.body).toString()).openapi.startsWith('3'), true);
      assert.equal((await raw(s.url, '/openapi.json', {})).headers['content-encoding'], undefined);
    });

    test('an installation: link, check, apply --server, report, revert with a reason; the fleet shows it', async () => {
      const e = { ...env, HFX_CONFIG_DIR: join(w.dir, 'install-config') };
      assert.equal(
        (await hfx(['login', s.url, '--token', tokens.acme!, '--home', w.home, '--root', s.rootFile], { env: e })).code,
        0,
      );
      const c = await hfx(['check', '--home', w.home, '--json'], { env: e });
      assert.equal(c.code, 0, c.stdout);
      assert.deepEqual(c.json.hotfixes.map((h: { id: string }) => h.id).sort(), ['HF-ACME-1', 'HF-ALL-1']);
      const before = snapshot(w.home);
      const a = await hfx(['apply', 'HF-ACME-1', '--server', '--home', w.home, '--json'], { env: e });
      assert.equal(a.code, 0, a.stdout);
      assert.equal(readFileSync(join(w.home, 'lib/core.jar'), 'utf8'), 'fixed for acme\n');
      const rep = await hfx(['state', '--report', '--name', 'acme-prod-1', '--home', w.home, '--json'], { env: e });
      assert.equal(rep.code, 0, rep.stdout);
      assert.equal(rep.json.reported.created, true);
      const fleet = await api(s.url, 'GET', '/v1/fleet/installations?hotfix=HF-ACME-1', admin);
      assert.deepEqual(
        fleet.body.installations.map((i: { name: string }) => i.name),
        ['acme-prod-1'],
      );
      assert.equal((await hfx(['revert', '--reason', 'broke login page', '--home', w.home], { env: e })).code, 0);
      assert.deepEqual(snapshot(w.home), before);
      await hfx(['state', '--report', '--home', w.home], { env: e });
      const spread = await api(s.url, 'GET', '/v1/fleet/hotfixes/HF-ACME-1', admin);
      assert.deepEqual(spread.body.applied, []);
      assert.equal(spread.body.reverted[0].reason, 'broke login page');
      assert.equal(spread.body.reverted[0].name, 'acme-prod-1');
      // Customers see only their own installations.
      assert.equal((await api(s.url, 'GET', '/v1/fleet/installations', tokens.globex!)).body.installations.length, 0);
      assert.equal((await api(s.url, 'GET', '/v1/fleet/hotfixes/HF-ACME-1', tokens.acme!)).status, 403);
    });

    test('update --server takes the chain the trusted metadata offers', async () => {
      const w2 = await world(suite);
      await api(s.url, 'POST', '/v1/publisher-keys', admin, {
        name: 'vendor2',
        publicKey: readFileSync(w2.pub, 'utf8'),
      });
      const u1 = await w2.hotfix('U-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'level 1\n'), {
        kind: 'update',
        toLevel: 1,
        security: true,
        product: 'demo2',
      });
      assert.equal((await hfx(['push', u1], { env })).code, 0);
      const e = { ...env, HFX_CONFIG_DIR: join(w2.dir, 'cfg') };
      // w2's pack is product "demo"; a demo2 installation is needed: re-init a copy as demo2.
      const home = join(w2.dir, 'd2');
      const { cpSync } = await import('node:fs');
      cpSync(join(w2.dir, 'pristine'), home, { recursive: true, verbatimSymlinks: true });
      assert.equal((await hfx(['init', '--home', home, '--product', 'demo2', '--version', '1.0.0'])).code, 0);
      await hfx(['trust', 'add', w2.pub, '--home', home]);
      assert.equal(
        (await hfx(['login', s.url, '--token', tokens.globex!, '--home', home, '--root', s.rootFile], { env: e })).code,
        0,
      );
      const r = await hfx(['update', '--server', '--home', home, '--json'], { env: e });
      assert.equal(r.code, 0, r.stdout);
      assert.deepEqual(r.json.applied, ['U-1']);
      assert.equal((await readStatus(home)).level, 1);
    });
  });

/** A request whose answer is not decoded (fetch would inflate it and drop the header). */
function raw(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
