// Tokens in use: each user lists and revokes their own; an admin lists everyone's (installation
// tokens too) and cuts off a leaked one. Refusals change nothing; a revocation is audited once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { hfx } from './helpers/cli.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

for (const store of STORES)
  describe(`tokens on ${store}`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    let admin = '';
    let viewer = '';
    before(async () => {
      s = await testServer({ store });
      admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/users', admin, {
            username: 'val',
            password: 'val-password-123',
            role: 'viewer',
          })
        ).status,
        201,
      );
      assert.equal((await api(s.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'Acme' })).status, 201);
      viewer = (await api(s.url, 'POST', '/v1/login', null, { username: 'val', password: 'val-password-123' })).body
        .token;
    });
    after(async () => {
      await maybe(s)?.dispose();
    });
    const list = async (token: string, all = false) =>
      (await api(s.url, 'GET', `/v1/tokens${all ? '?all=true' : ''}`, token)).body;
    const audits = async () => {
      const entries: { action: string }[] = (await api(s.url, 'GET', '/v1/audit?limit=1000', admin)).body.entries;
      return entries.filter((e) => e.action === 'revoke-token').length;
    };

    test("a user lists only their own tokens; an admin lists everyone's, installations' included", async () => {
      const ci = await api(s.url, 'POST', '/v1/tokens', viewer, { name: 'val-ci' });
      assert.equal(ci.status, 201);
      const inst = await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'acme-prod-1' });
      assert.equal(inst.status, 201);
      const mine = await list(viewer);
      assert.deepEqual(
        mine.tokens.map((t: { name: string; user: string; current: boolean }) => [t.name, t.user, t.current]),
        [
          ['val-ci', 'val', false],
          ['login', 'val', true],
        ],
      );
      assert.equal(JSON.stringify(mine).includes('acme'), false);
      assert.equal(JSON.stringify(mine).includes(ci.body.token), false, 'a list never shows a secret');
      const everyone = await list(admin);
      const acme = everyone.tokens.find((t: { name: string }) => t.name === 'acme-prod-1');
      assert.deepEqual(
        {
          customer: acme.customer,
          user: acme.user,
          revoked: acme.revoked,
          expiresAt: acme.expiresAt,
          lastUsedAt: acme.lastUsedAt,
        },
        { customer: 'acme', user: null, revoked: false, expiresAt: null, lastUsedAt: null },
      );
      assert.ok(everyone.tokens.some((t: { name: string }) => t.name === 'val-ci'));
      assert.equal(everyone.capped, false);
      // Used once, it shows when (written after the answer, hence the wait).
      assert.equal((await api(s.url, 'GET', '/v1/me', inst.body.token)).status, 200);
      for (let i = 0; ; i++) {
        const t = (await list(admin)).tokens.find((x: { name: string }) => x.name === 'acme-prod-1');
        if (t.lastUsedAt) break;
        assert.ok(i < 50, 'lastUsedAt is set after a use');
        await new Promise((r) => setTimeout(r, 50));
      }
    });

    test("refusals: installations cannot list, another's token reads like no token, unknown ids are 404; nothing changes", async () => {
      const inst = (await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'acme-refusals' })).body.token;
      const adminTokenId = (await list(admin)).tokens.find((t: { current: boolean }) => t.current).id;
      // lastUsedAt moves with the requests themselves; what a refusal must not change is the rest.
      const state = async () => [
        (await list(admin, true)).tokens.map(({ lastUsedAt: _, ...t }: { lastUsedAt: unknown }) => t),
        await audits(),
      ];
      const before = await state();
      const asInst = await api(s.url, 'GET', '/v1/tokens', inst);
      assert.deepEqual([asInst.status, asInst.body.error.code], [403, 'HFX_E_FORBIDDEN']);
      // Another's token and no token at all answer the same: a non-admin learns nothing from ids.
      const other = await api(s.url, 'DELETE', `/v1/tokens/${adminTokenId}`, viewer);
      const nobodys = await api(s.url, 'DELETE', '/v1/tokens/999999', viewer);
      assert.deepEqual([other.status, other.body.error.code], [404, 'HFX_E_NOT_FOUND']);
      assert.deepEqual(
        { ...other.body.error, message: other.body.error.message.replace(String(adminTokenId), 'N') },
        { ...nobodys.body.error, message: nobodys.body.error.message.replace('999999', 'N') },
      );
      const none = await api(s.url, 'DELETE', '/v1/tokens/999999', admin);
      assert.deepEqual([none.status, none.body.error.code], [404, 'HFX_E_NOT_FOUND']);
      // Ids past the column's range are refused by the schema, not by the database.
      for (const id of ['2147483648', '99999999999999999999', '1e400', '-1', '0']) {
        const r = await api(s.url, 'DELETE', `/v1/tokens/${id}`, admin);
        assert.deepEqual([r.status, r.body.error.code], [400, 'HFX_E_USAGE'], id);
      }
      const bad = await api(s.url, 'DELETE', '/v1/tokens/abc', admin);
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'HFX_E_USAGE']);
      assert.equal((await api(s.url, 'DELETE', `/v1/tokens/${adminTokenId}`, null)).status, 401);
      assert.deepEqual(await state(), before);
      assert.equal((await api(s.url, 'GET', '/v1/me', admin)).status, 200);
    });

    test('revoking: a user their own token, an admin a leaked installation token; refused at once, audited once', async () => {
      const mineCi = (await api(s.url, 'POST', '/v1/tokens', viewer, { name: 'val-to-revoke' })).body.token;
      const id = (await list(viewer)).tokens.find((t: { name: string }) => t.name === 'val-to-revoke').id;
      assert.equal((await api(s.url, 'GET', '/v1/me', mineCi)).status, 200, 'known (and cached) before');
      const n = await audits();
      assert.deepEqual((await api(s.url, 'DELETE', `/v1/tokens/${id}`, viewer)).body, {
        id,
        revoked: true,
        already: false,
      });
      assert.equal((await api(s.url, 'GET', '/v1/me', mineCi)).status, 401);
      assert.deepEqual((await api(s.url, 'DELETE', `/v1/tokens/${id}`, viewer)).body, {
        id,
        revoked: true,
        already: true,
      });
      assert.equal(await audits(), n + 1);
      assert.equal(
        (await list(viewer)).tokens.some((t: { id: number }) => t.id === id),
        false,
        'gone from the list in use',
      );
      assert.equal((await list(viewer, true)).tokens.find((t: { id: number }) => t.id === id).revoked, true);

      const leaked = (await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'acme-leaked' })).body.token;
      assert.equal(
        (await api(s.url, 'GET', '/v1/tuf/acme/metadata/timestamp.json', leaked)).status,
        200,
        'it works before',
      );
      const leakedId = (await list(admin)).tokens.find((t: { name: string }) => t.name === 'acme-leaked').id;
      assert.equal((await api(s.url, 'DELETE', `/v1/tokens/${leakedId}`, admin)).status, 200);
      assert.equal((await api(s.url, 'GET', '/v1/me', leaked)).status, 401);
      const entry = (await api(s.url, 'GET', '/v1/audit?limit=1000', admin)).body.entries.find(
        (e: { action: string; target_id?: string; targetId?: string }) =>
          e.action === 'revoke-token' && JSON.stringify(e).includes('acme-leaked'),
      );
      assert.ok(entry, 'the revocation is in the audit log with the token name');
    });

    test('the CLI: hfx token new, list, revoke; bad ids and unknown ones are refused with their codes', async () => {
      const env = { HFX_CONFIG_DIR: join(s.dir, 'cli-config'), HFX_PASSWORD: s.adminPassword, NO_COLOR: '1' };
      assert.equal((await hfx(['login', s.url, '--user', 'admin'], { env })).code, 0);
      const ci = await hfx(['token', 'new', 'cli-ci'], { env });
      assert.equal(ci.code, 0, ci.stderr);
      assert.match(ci.stdout.trim(), /^hfx_[A-Za-z0-9_-]+$/, 'the token alone on stdout');
      assert.match(ci.stderr, /Shown only this once/);
      const inst = await hfx(['token', 'new', 'cli-inst', '--customer', 'acme', '--json'], { env });
      assert.equal(inst.code, 0, inst.stdout);
      assert.equal((await api(s.url, 'GET', '/v1/me', inst.json.token)).body.customer, 'acme');
      const list = await hfx(['token', 'list', '--json'], { env });
      const row = list.json.tokens.find((t: { name: string }) => t.name === 'cli-inst');
      assert.deepEqual([row.customer, row.user, row.revoked], ['acme', null, false]);
      assert.match((await hfx(['token', 'list'], { env })).stdout, /cli-inst .*customer acme/);
      const revoked = await hfx(['token', 'revoke', String(row.id), '--json'], { env });
      assert.deepEqual([revoked.code, revoked.json.id, revoked.json.already], [0, row.id, false]);
      assert.equal((await api(s.url, 'GET', '/v1/me', inst.json.token)).status, 401);
      assert.match((await hfx(['token', 'list', '--all'], { env })).stdout, /cli-inst revoked/);
      const bad = await hfx(['token', 'revoke', 'abc', '--json'], { env });
      assert.deepEqual([bad.code, bad.json.error.code], [2, 'HFX_E_USAGE']);
      const none = await hfx(['token', 'revoke', '999999', '--json'], { env });
      assert.equal(none.json.error.code, 'HFX_E_NOT_FOUND');
      const sub = await hfx(['token', 'rotate'], { env });
      assert.equal(sub.code, 2);
    });
  });
