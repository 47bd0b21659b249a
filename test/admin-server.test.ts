// Administration on the server: customer users (a customer's own people), disabled users, a lost
// admin password, and the overview the dashboard opens on. Through a real server on both stores.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { startServer } from '../src/server/serve.js';
import { api, STORES, testServer } from './helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/hfx.js', import.meta.url));
const JUNIT = '<testsuite name="t"><testcase classname="core" name="a"/></testsuite>';

for (const store of STORES)
  describe(`administration on ${store}`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    let w: World;
    const cleanups: (() => void)[] = [];
    const tok: Record<string, string> = {};
    const call = (who: string, method: string, path: string, body?: unknown) =>
      api(s.url, method, path, tok[who] ?? null, body);
    const login = async (username: string, password: string) =>
      api(s.url, 'POST', '/v1/login', null, { username, password });

    before(async () => {
      s = await testServer({ store });
      tok.admin = (await login('admin', s.adminPassword)).body.token;
      for (const [id, name] of [
        ['acme', 'ACME'],
        ['globex', 'Globex'],
      ])
        assert.equal((await call('admin', 'POST', '/v1/customers', { id, name })).status, 201);
      for (const [u, role, customer] of [
        ['dev', 'developer', null],
        ['rm', 'release-manager', null],
        ['ann', 'customer', 'acme'],
        ['gus', 'customer', 'globex'],
      ] as const) {
        const r = await call('admin', 'POST', '/v1/users', {
          username: u,
          password: `${u}-password-long`,
          role,
          ...(customer ? { customer } : {}),
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        tok[u] = (await login(u, `${u}-password-long`)).body.token;
      }
      w = await world({ after: (fn: () => void) => cleanups.push(fn) });
      assert.equal(
        (await call('admin', 'POST', '/v1/publisher-keys', { name: 'vendor', publicKey: readFileSync(w.pub, 'utf8') }))
          .status,
        201,
      );
      for (const [id, customer] of [
        ['HF-ACME', 'acme'],
        ['HF-GLOBEX', 'globex'],
        ['HF-ALL', null],
      ] as const) {
        const zip = await w.hotfix(
          id,
          (d) => writeFileSync(join(d, 'lib/core.jar'), `${id}\n`),
          customer ? { customer } : {},
        );
        assert.equal((await call('dev', 'POST', '/v1/archives', new Uint8Array(readFileSync(zip)))).status, 201);
      }
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test("a customer's user sees its customer's cases in plain words, its fixes and its installations, and nothing of others'", async () => {
      assert.deepEqual((await call('ann', 'GET', '/v1/me')).body, {
        kind: 'customer-user',
        username: 'ann',
        customer: 'acme',
      });
      const intake = (customer: string, title: string) =>
        call('dev', 'POST', '/v1/cases', {
          title,
          source: 'customer',
          reporter: 'support',
          customer,
          product: 'demo',
          impact: 'all',
          severity: 'S1',
        });
      const mine = (await intake('acme', 'Acme core leaks')).body.id as number;
      const theirs = (await intake('globex', 'Globex login fails')).body.id as number;
      for (const [action, who, body] of [
        ['triage', 'dev', {}],
        ['start', 'dev', { assignee: 'dev', rootCause: 'INTERNAL: cache key collision in tenant map' }],
        ['evidence', 'dev', { functional: JUNIT, regression: JUNIT }],
        ['ready', 'dev', { hotfix: 'HF-ACME' }],
        ['schedule', 'rm', { windowStart: '2026-12-01T22:00:00Z', windowEnd: '2026-12-01T23:00:00Z' }],
        ['deploy', 'rm', { environment: 'Production', reason: 'INTERNAL: skip QA' }],
      ] as const) {
        assert.equal((await call(who, 'POST', `/v1/cases/${mine}/${action}`, body)).status, 200, action);
      }
      const list = (await call('ann', 'GET', '/v1/customer/cases')).body.cases as { id: number }[];
      assert.deepEqual(
        list.map((c) => c.id),
        [mine],
      );
      const d = await call('ann', 'GET', `/v1/customer/cases/${mine}`);
      assert.equal(d.status, 200);
      assert.equal(d.body.state, 'deployed');
      assert.deepEqual(
        d.body.timeline.map((t: { what: string }) => t.what),
        [
          'reported',
          'triaged',
          'a fix is being developed',
          'the fix is being tested',
          'the fix is ready',
          'the deployment is scheduled',
          'deployed to Production',
        ],
      );
      assert.match(d.body.releaseNotes, /HF-ACME/);
      // Internal notes (a step's reason, the root cause as typed), evidence and the vendor's people are
      // not shown; the release notes are what the vendor publishes (they state the root cause).
      const text = JSON.stringify({ ...d.body, releaseNotes: null });
      for (const secret of ['INTERNAL', 'cache key collision', 'testcase', '"dev"', 'support', 'rootCause', 'assignee'])
        assert.ok(!text.includes(secret), `shows ${secret}`);
      assert.ok(!d.body.releaseNotes.includes('skip QA'), "a step's reason is not in the notes either");
      // Another customer's case reads exactly like none.
      const other = await call('ann', 'GET', `/v1/customer/cases/${theirs}`);
      const none = await call('ann', 'GET', '/v1/customer/cases/2000000000');
      assert.deepEqual(
        [other.status, other.body.error.message.replace(String(theirs), 'N')],
        [none.status, none.body.error.message.replace('2000000000', 'N')],
      );
      assert.equal(other.status, 404);
      // Fixes offered to it: everyone's and its own.
      assert.deepEqual(
        (await call('ann', 'GET', '/v1/archives')).body.archives.map((a: { id: string }) => a.id).sort(),
        ['HF-ACME', 'HF-ALL'],
      );
      assert.equal((await call('ann', 'GET', '/v1/archives/HF-GLOBEX')).status, 404);
      // Its installations only; it does not report for them (installation tokens do), nor use the vendor's routes.
      const inst = (await call('admin', 'POST', '/v1/customers/acme/tokens', { name: 'prod' })).body.token;
      await api(s.url, 'POST', '/v1/installations/report', inst, {
        name: 'acme-prod',
        product: 'demo',
        release: '1.0.0',
        level: 0,
        channel: 'full',
        hotfixes: ['HF-ACME'],
      });
      assert.deepEqual(
        (await call('ann', 'GET', '/v1/fleet/installations')).body.installations.map((i: { name: string }) => i.name),
        ['acme-prod'],
      );
      assert.deepEqual((await call('gus', 'GET', '/v1/fleet/installations')).body.installations, []);
      assert.equal(
        (
          await call('ann', 'POST', '/v1/installations/report', {
            name: 'x',
            product: 'demo',
            release: '1.0.0',
            level: 0,
            channel: 'full',
            hotfixes: [],
          })
        ).status,
        403,
      );
      for (const path of ['/v1/cases', `/v1/cases/${mine}`, '/v1/overview', '/v1/tokens', '/v1/environments/demo'])
        assert.equal((await call('ann', 'GET', path)).status, 403, path);
      // Vendor users use the cases routes, not the customer's.
      assert.equal((await call('admin', 'GET', '/v1/customer/cases')).status, 403);
    });

    test('a user is made for one customer or none: a customer user needs an existing customer, a vendor user has none', async () => {
      const bad = [
        { username: 'c1', password: 'c1-password-long', role: 'customer' },
        { username: 'c2', password: 'c2-password-long', role: 'viewer', customer: 'acme' },
      ];
      for (const b of bad)
        assert.deepEqual([(await call('admin', 'POST', '/v1/users', b)).status], [400], JSON.stringify(b));
      const none = await call('admin', 'POST', '/v1/users', {
        username: 'c3',
        password: 'c3-password-long',
        role: 'customer',
        customer: 'nobody',
      });
      assert.deepEqual([none.status, none.body.error.code], [404, 'HFX_E_NOT_FOUND']);
      assert.ok(
        !(await call('admin', 'GET', '/v1/users')).body.users.some((u: { username: string }) =>
          /^c[123]$/.test(u.username),
        ),
        'nothing was made',
      );
      // A customer's user cannot be given a vendor role, nor a vendor user made a customer's.
      assert.equal((await call('admin', 'PATCH', '/v1/users/ann', { role: 'admin' })).status, 400);
      assert.equal((await call('admin', 'PATCH', '/v1/users/dev', { role: 'customer' })).status, 400);
    });

    test('a disabled user cannot sign in and its tokens stop at once; enabled again, it signs in; the last admin stays', async () => {
      assert.equal(
        (
          await call('admin', 'POST', '/v1/users', {
            username: 'temp',
            password: 'temp-password-long',
            role: 'developer',
          })
        ).status,
        201,
      );
      const t = (await login('temp', 'temp-password-long')).body.token;
      assert.equal((await api(s.url, 'GET', '/v1/me', t)).status, 200, 'known (and cached) before');
      const d = await call('admin', 'PATCH', '/v1/users/temp', { disabled: true });
      assert.equal(d.body.disabled, true);
      assert.equal((await api(s.url, 'GET', '/v1/me', t)).status, 401, 'its token stops at once');
      const refused = await login('temp', 'temp-password-long');
      assert.deepEqual([refused.status, refused.body.error.message], [401, 'user temp is disabled']);
      assert.equal(
        (await login('temp', 'wrong-password')).body.error.message,
        'wrong username or password',
        'a wrong password says nothing of the state',
      );
      assert.equal((await call('admin', 'PATCH', '/v1/users/temp', { disabled: false })).body.disabled, false);
      assert.equal((await login('temp', 'temp-password-long')).status, 201);
      assert.ok(
        (await call('admin', 'GET', '/v1/audit?object_type=user&object_id=temp')).body.entries.some(
          (e: { action: string }) => e.action === 'disable',
        ),
      );
      // The only admin cannot disable or demote itself: nobody could administer the server.
      const last = await call('admin', 'PATCH', '/v1/users/admin', { disabled: true });
      assert.deepEqual([last.status, last.body.error.code], [400, 'HFX_E_USAGE']);
      assert.match(last.body.error.hint, /hfx user add NAME --role admin/);
      assert.equal((await call('admin', 'PATCH', '/v1/users/admin', { role: 'viewer' })).status, 400);
      assert.equal((await call('admin', 'GET', '/v1/me')).body.role, 'admin');
    });

    test('the overview: the set-up steps done so far, and what needs attention', async () => {
      const o = (await call('dev', 'GET', '/v1/overview')).body;
      const steps = Object.fromEntries(o.setup.map((x: { id: string; done: boolean }) => [x.id, x.done]));
      assert.deepEqual(steps, {
        'publisher-key': true,
        product: true,
        customer: true,
        'installation-token': true,
        'first-push': true,
        'first-report': true,
      });
      assert.ok(
        o.cases.some(
          (c: { title: string; severity: string }) => c.title === 'Globex login fails' && c.severity === 'S1',
        ),
        'an open S1 case',
      );
      const inst = (await call('admin', 'POST', '/v1/customers/globex/tokens', { name: 'edge' })).body.token;
      await api(s.url, 'POST', '/v1/installations/report', inst, {
        name: 'globex-edge',
        product: 'demo',
        release: '1.0.0',
        level: 0,
        channel: 'full',
        hotfixes: [],
        events: [{ kind: 'reverted', archive: 'HF-GLOBEX', reason: 'health check failed' }],
      });
      const o2 = (await call('dev', 'GET', '/v1/overview')).body;
      assert.deepEqual(
        o2.reverted.map((r: { name: string; hotfix: string; reason: string }) => [r.name, r.hotfix, r.reason]),
        [['globex-edge', 'HF-GLOBEX', 'health check failed']],
      );
      assert.deepEqual(o2.red, []);
    });
  });

test('a fresh server: every set-up step is still to do', async () => {
  const s = await testServer();
  try {
    const admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
      .token;
    const o = (await api(s.url, 'GET', '/v1/overview', admin)).body;
    assert.deepEqual(
      o.setup.map((x: { id: string; done: boolean }) => `${x.id}:${x.done}`),
      [
        'publisher-key:false',
        'product:false',
        'customer:false',
        'installation-token:false',
        'first-push:false',
        'first-report:false',
      ],
    );
    assert.deepEqual([o.red, o.cases, o.failedNotifications, o.reverted], [[], [], [], []]);
  } finally {
    await s.dispose();
  }
});

for (const store of STORES)
  test(`hfx serve --reset-admin-password on ${store}: a new password, the old tokens revoked, audited`, async () => {
    const s = await testServer({ store });
    try {
      const old = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      await s.close();
      const env = {
        ...process.env,
        NO_COLOR: '1',
        HFX_NEW_PASSWORD: 'a-brand-new-password',
        ...(s.databaseUrl ? { DATABASE_URL: s.databaseUrl } : { DATABASE_URL: '' }),
      };
      const r = spawnSync(process.execPath, [BIN, 'serve', '--reset-admin-password', '--data', s.dir, '--json'], {
        env,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { ok: true, username: 'admin', tokensRevoked: 1 });
      // Generated when none is given, printed once.
      const g = spawnSync(process.execPath, [BIN, 'serve', '--reset-admin-password', '--data', s.dir], {
        env: { ...env, HFX_NEW_PASSWORD: '' },
        encoding: 'utf8',
        input: '',
      });
      assert.equal(g.status, 0, g.stderr);
      const generated = /new password for admin: (\S+)/.exec(g.stdout)?.[1];
      assert.ok(generated, g.stdout);
      const again = await startServer({
        dataDir: s.dir,
        databaseUrl: s.databaseUrl,
        port: 0,
        tufKeys: join(s.tufDir, 'server'),
      });
      try {
        assert.equal((await api(again.url, 'GET', '/v1/me', old)).status, 401, 'the old token is revoked');
        assert.equal(
          (await api(again.url, 'POST', '/v1/login', null, { username: 'admin', password: 'a-brand-new-password' }))
            .status,
          401,
          'the first reset was replaced by the second',
        );
        const t = (await api(again.url, 'POST', '/v1/login', null, { username: 'admin', password: generated })).body
          .token;
        const audit = (await api(again.url, 'GET', '/v1/audit?object_type=user&object_id=admin', t)).body.entries;
        assert.equal(
          audit.filter(
            (e: { action: string; actor: string }) =>
              e.action === 'reset-password' && e.actor === 'hfx serve --reset-admin-password',
          ).length,
          2,
        );
        const nobody = spawnSync(
          process.execPath,
          [BIN, 'serve', '--reset-admin-password', '--user', 'nobody', '--data', s.dir],
          { env, encoding: 'utf8' },
        );
        assert.equal(nobody.status, 2);
        assert.match(nobody.stderr, /HFX_E_NOT_FOUND: no user nobody/);
      } finally {
        await again.close();
      }
    } finally {
      // Closed above; dispose still drops the database and the directory.
      await s.dispose().catch(() => {
        /* a failure here is of closing a server closed above */
      });
    }
  });
