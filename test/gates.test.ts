// Gates between environments: a soak time in the environment before, and freeze windows; passed
// only with a release manager's approval and reason, audited.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { frozenBy, parseWindow } from '../src/server/environments/gates.js';
import { world } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

test('freeze windows: weekly ones wrap over the week end, dated ones are ranges; anything else is refused', () => {
  const at = (iso: string) => new Date(iso);
  const weekend = ['Fri 18:00-Mon 08:00'];
  assert.deepEqual(frozenBy(weekend, at('2026-12-04T18:00:00Z')), weekend, 'Friday 18:00');
  assert.deepEqual(frozenBy(weekend, at('2026-12-06T12:00:00Z')), weekend, 'Sunday noon');
  assert.deepEqual(frozenBy(weekend, at('2026-12-07T07:59:00Z')), weekend, 'Monday 07:59');
  assert.deepEqual(frozenBy(weekend, at('2026-12-07T08:00:00Z')), [], 'Monday 08:00');
  assert.deepEqual(frozenBy(weekend, at('2026-12-04T17:59:00Z')), [], 'Friday 17:59');
  const night = ['Mon 22:00-Tue 02:00'];
  assert.deepEqual(frozenBy(night, at('2026-12-07T23:00:00Z')), night);
  assert.deepEqual(frozenBy(night, at('2026-12-08T02:00:00Z')), []);
  const xmas = ['2026-12-24T00:00Z/2026-12-27T00:00Z'];
  assert.deepEqual(frozenBy(xmas, at('2026-12-25T10:00:00Z')), xmas);
  assert.deepEqual(frozenBy(xmas, at('2026-12-27T00:00:00Z')), []);
  for (const bad of ['Fri 18:00', 'Fry 18:00-Mon 08:00', 'Fri 25:00-Mon 08:00', '2026-12-27/2026-12-24', 'always'])
    assert.throws(() => parseWindow(bad), /not a freeze window|not a time of day/, bad);
});

for (const store of STORES)
  describe(`gates on ${store}`, () => {
    let s: Awaited<ReturnType<typeof testServer>>;
    const tok: Record<string, string> = {};
    const cleanups: (() => void)[] = [];
    const call = (who: string, method: string, path: string, body?: unknown) =>
      api(s.url, method, path, tok[who]!, body);
    let inst = '';
    let digest = '';

    before(async () => {
      s = await testServer({ store });
      tok.admin = (
        await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })
      ).body.token;
      for (const [u, role] of [
        ['dev', 'developer'],
        ['rm', 'release-manager'],
      ] as const) {
        await call('admin', 'POST', '/v1/users', { username: u, password: `${u}-password-long`, role });
        tok[u] = (
          await api(s.url, 'POST', '/v1/login', null, { username: u, password: `${u}-password-long` })
        ).body.token;
      }
      const w = await world({ after: (fn: () => void) => cleanups.push(fn) });
      await call('admin', 'POST', '/v1/publisher-keys', { name: 'vendor', publicKey: readFileSync(w.pub, 'utf8') });
      const zip = await w.hotfix('HF-G-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'gated\n'));
      await call('dev', 'POST', '/v1/archives', new Uint8Array(readFileSync(zip)));
      digest = (await call('admin', 'GET', '/v1/archives/HF-G-1')).body.digest;
      assert.equal(
        (await call('rm', 'PUT', '/v1/environments/demo/pipeline', { environments: ['Development', 'QA'] })).status,
        200,
      );
      // An in-house installation in Development that runs the hotfix (reported by content).
      inst = (
        await call('dev', 'POST', '/v1/installations/report', {
          name: 'dev-1',
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: ['HF-G-1'],
        })
      ).body.id;
      await call('dev', 'POST', '/v1/environments/demo/Development/installations', { installation: inst });
      assert.equal(
        (await call('dev', 'POST', '/v1/environments/demo/Development/deploy', { hotfix: 'HF-G-1' })).status,
        201,
      );
      await call('dev', 'POST', '/v1/environments/report', {
        installation: inst,
        release: '1.0.0',
        level: 0,
        hotfixes: [{ id: 'HF-G-1', digest }],
        updates: [],
        packHash: 'a'.repeat(64),
      });
    });
    after(async () => {
      await maybe(s)?.dispose();
      cleanups.forEach((c) => c());
    });

    test('gates are set by release managers only, and checked: bad windows are refused and nothing is set', async () => {
      assert.equal(
        (await call('dev', 'PUT', '/v1/environments/demo/QA/gates', { soakSeconds: 3600, freeze: [] })).status,
        403,
      );
      const bad = await call('rm', 'PUT', '/v1/environments/demo/QA/gates', {
        soakSeconds: 3600,
        freeze: ['whenever'],
      });
      assert.deepEqual([bad.status, bad.body.error.code], [400, 'HFX_E_USAGE']);
      assert.deepEqual((await call('dev', 'GET', '/v1/environments/demo/QA')).body.gates, {
        soakSeconds: null,
        freeze: [],
      });
      const ok = await call('rm', 'PUT', '/v1/environments/demo/QA/gates', { soakSeconds: 3600, freeze: [] });
      assert.deepEqual(ok.body.soakSeconds, 3600);
    });

    test('soak: a hotfix too new in the environment before needs an approval; once it has soaked, it goes', async () => {
      const r = await call('dev', 'POST', '/v1/environments/demo/QA/deploy', { hotfix: 'HF-G-1' });
      assert.deepEqual([r.status, r.body.error.code], [409, 'HFX_E_APPROVAL_REQUIRED']);
      assert.match(r.body.error.message, /HF-G-1 has soaked in Development for \d+ s of 3600 s/);
      const dry = await call('dev', 'POST', '/v1/environments/demo/QA/deploy', { hotfix: 'HF-G-1', dryRun: true });
      assert.equal(dry.body.approvalRequired, true);
      // An hour later (the deployment to Development moved back in the store), it goes without one.
      await s.store.db
        .updateTable('env_deployments')
        .set({ at: new Date(Date.now() - 2 * 3600_000) } as never)
        .where('environment', '=', 'Development')
        .execute();
      assert.equal(
        (await call('dev', 'POST', '/v1/environments/demo/QA/deploy', { hotfix: 'HF-G-1', dryRun: true })).body
          .approvalRequired,
        false,
      );
    });

    test('soak: a revert in the environment before, after the deployment there, holds the gate however long ago', async () => {
      await call('dev', 'POST', '/v1/installations/report', {
        id: inst,
        product: 'demo',
        release: '1.0.0',
        level: 0,
        channel: 'full',
        hotfixes: ['HF-G-1'],
        events: [{ kind: 'reverted', archive: 'HF-G-1', reason: 'slow' }],
      });
      const r = await call('dev', 'POST', '/v1/environments/demo/QA/deploy', { hotfix: 'HF-G-1' });
      assert.equal(r.body.error.code, 'HFX_E_APPROVAL_REQUIRED');
      assert.match(r.body.error.message, /HF-G-1 was reverted in Development/);
    });

    test('freeze: no deployment in a window without an approval; a developer cannot approve; a release manager can, audited', async () => {
      assert.equal(
        (
          await call('rm', 'PUT', '/v1/environments/demo/QA/gates', {
            soakSeconds: null,
            freeze: ['2020-01-01T00:00Z/2100-01-01T00:00Z'],
          })
        ).status,
        200,
      );
      const r = await call('dev', 'POST', '/v1/environments/demo/QA/deploy', { hotfix: 'HF-G-1' });
      assert.match(r.body.error.message, /QA is frozen \(2020-01-01T00:00Z\/2100-01-01T00:00Z\)/);
      assert.equal(
        (
          await call('dev', 'POST', '/v1/environments/demo/QA/deploy', {
            hotfix: 'HF-G-1',
            approval: { reason: 'urgent' },
          })
        ).status,
        403,
      );
      const ok = await call('rm', 'POST', '/v1/environments/demo/QA/deploy', {
        hotfix: 'HF-G-1',
        approval: { reason: 'payment outage, CAB approved' },
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.approved, 'payment outage, CAB approved');
      const audit = (await call('admin', 'GET', '/v1/audit?object_type=environment&object_id=demo/QA')).body.entries;
      const gate = audit.find((e: { action: string }) => e.action === 'environments.gate-approved');
      assert.ok(gate, 'audited');
      assert.equal(gate.details.reason, 'payment outage, CAB approved');
    });
  });
