import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { caseCommand } from '../src/cli/commands/case/index.js';
import { hfx, runCommand } from './helpers/cli.js';
import { world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

process.env.HFX_NOTIFY_POLL_MS = '100';
const JUNIT_PASS = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="regression" tests="3">
  <testsuite name="core" tests="2"><testcase classname="core.Cache" name="hit"/><testcase classname="core.Cache" name="miss" time="0.1"></testcase></testsuite>
  <testsuite name="api"><testcase name="login"><system-out>ok</system-out></testcase><testcase name="slow"><skipped/></testcase></testsuite>
</testsuites>`;
const JUNIT_FAIL = `<testsuite name="regression" tests="2" failures="0">
  <testcase classname="a.B" name="ok"/>
  <testcase classname="a.B" name="broken"><failure message="expected 1">stack</failure></testcase>
  <testcase classname="a.B" name="crash"><error type="NPE"/></testcase>
</testsuite>`;

type TS = Awaited<ReturnType<typeof testServer>>;

/** The parts of a case's transitions, evidence and audit entries that these tests read. */
interface Transition {
  action: string;
  to_state: string;
  actor: string;
}
interface Evidence {
  kind: string;
  counts: { failed: number; errors: number };
}
interface AuditEntry {
  action: string;
  actor: string;
  at: string;
  details: { reason?: string };
}

/** `hfx case …` in-process (main.ts registers the command; the owner wires it in). */
function hfxCase(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  return runCommand(caseCommand, args, { env, cwd });
}

for (const store of STORES)
  describe(`cases on ${store}`, () => {
    let s: TS;
    let w: World;
    const tk: Record<string, string> = {};
    const cleanups: (() => void)[] = [];
    const call = (who: string, method: string, path: string, body?: unknown) =>
      api(s.url, method, path, tk[who]!, body);
    const intake = (extra: Record<string, unknown> = {}) => ({
      title: 'Core leaks memory',
      description: 'OOM after a day',
      source: 'customer',
      reporter: 'support@acme',
      customer: 'acme',
      product: 'demo',
      release: '1.0.0',
      component: 'core',
      impact: 'all',
      impactText: 'production down',
      severity: 'S1',
      ...extra,
    });
    /** The case and its audit entries: what "nothing changed" compares. */
    const snap = async (id: number) => {
      const c = await call('admin', 'GET', `/v1/cases/${id}`);
      const a = await call('admin', 'GET', `/v1/cases/${id}/audit`);
      // Notifications are left out: the delivery worker updates them on its own.
      const { notifications: _n, ...rest } = c.body;
      return { c: rest, a: a.body.entries.length };
    };
    const refused = async (who: string, id: number, action: string, body: unknown, code: string, status: number) => {
      const before = await snap(id);
      const r = await call(who, 'POST', `/v1/cases/${id}/${action}`, body);
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.error.code, code, JSON.stringify(r.body));
      assert.deepEqual(await snap(id), before, `${action} changed nothing`);
      return r.body.error;
    };
    const ok = async (who: string, id: number, action: string, body: unknown = {}) => {
      const r = await call(who, 'POST', `/v1/cases/${id}/${action}`, body);
      assert.equal(r.status, 200, `${action}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    /** Drives a new case to `until` along the happy path. */
    const drive = async (id: number, hotfix: string, until: string) => {
      const steps: [string, string, unknown][] = [
        ['triaged', 'triage', {}],
        ['in-progress', 'start', { assignee: 'dev' }],
        ['testing', 'evidence', { rootCause: 'cause', functional: JUNIT_PASS, regression: JUNIT_PASS }],
        ['ready', 'ready', { hotfix }],
        ['scheduled', 'schedule', { windowStart: '2026-12-01T22:00:00Z', windowEnd: '2026-12-01T23:00:00Z' }],
        ['deployed', 'deploy', { environment: 'QA' }],
        ['verified', 'verify', { signoffBy: 'view' }],
        ['monitoring', 'monitor', { monitorDays: 14 }],
      ];
      for (const [state, action, body] of steps) {
        const r = await ok(['triage', 'start', 'evidence', 'ready'].includes(action) ? 'dev' : 'rm', id, action, body);
        assert.equal(r.state, state);
        if (state === until) return;
      }
    };

    before(async () => {
      s = await testServer({ store, limits: { webhookAllow: ['127.0.0.1/32'] } });
      tk.admin = (
        await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })
      ).body.token;
      for (const [u, role] of [
        ['dev', 'developer'],
        ['view', 'viewer'],
        ['rm', 'release-manager'],
      ] as const) {
        assert.equal(
          (await call('admin', 'POST', '/v1/users', { username: u, password: `${u}-password-long`, role })).status,
          201,
        );
        tk[u] = (
          await api(s.url, 'POST', '/v1/login', null, { username: u, password: `${u}-password-long` })
        ).body.token;
      }
      assert.equal((await call('admin', 'POST', '/v1/customers', { id: 'acme', name: 'ACME' })).status, 201);
      w = await world({ after: (fn: () => void) => cleanups.push(fn) });
      assert.equal(
        (await call('admin', 'POST', '/v1/publisher-keys', { name: 'vendor', publicKey: readFileSync(w.pub, 'utf8') }))
          .status,
        201,
      );
      for (const [id, file] of [
        ['HF-C-1', 'lib/core.jar'],
        ['HF-C-2', 'lib/util.jar'],
        ['HF-C-3', 'conf/server.toml'],
      ] as const) {
        const zip = await w.hotfix(id, (d) => writeFileSync(join(d, file), `fixed by ${id}\n`));
        assert.equal((await call('dev', 'POST', '/v1/archives', new Uint8Array(readFileSync(zip)))).status, 201);
      }
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('authorization per role: viewers read, developers report and develop, release managers ship, admins override', async () => {
      assert.equal((await api(s.url, 'POST', '/v1/cases', null, intake())).status, 401);
      assert.equal((await call('view', 'POST', '/v1/cases', intake())).body.error.code, 'HFX_E_FORBIDDEN');
      const c = await call('dev', 'POST', '/v1/cases', intake({ severity: 'S3', impact: 'few' }));
      assert.equal(c.status, 201);
      assert.equal(c.body.priority, 'P3');
      assert.equal((await call('view', 'GET', `/v1/cases/${c.body.id}`)).status, 200);
      assert.equal((await call('view', 'GET', '/v1/cases')).status, 200);
      await refused('view', c.body.id, 'triage', {}, 'HFX_E_FORBIDDEN', 403);
      await refused('dev', c.body.id, 'reject', { reason: 'dup' }, 'HFX_E_FORBIDDEN', 403);
      assert.equal(
        (await call('dev', 'POST', `/v1/cases/${c.body.id}/priority`, { priority: 'P1', reason: 'VIP' })).status,
        403,
      );
      const p = await call('rm', 'POST', `/v1/cases/${c.body.id}/priority`, {
        priority: 'P1',
        reason: 'the customer is in go-live week',
      });
      assert.equal(p.body.priority, 'P1');
      assert.equal(p.body.priority_reason, 'the customer is in go-live week');
      const audit: AuditEntry[] = (await call('rm', 'GET', `/v1/audit?object_type=case&object_id=${c.body.id}`)).body
        .entries;
      assert.deepEqual(audit.map((e) => e.action).sort(), ['create', 'priority']);
      assert.equal(audit.find((e) => e.action === 'priority')!.details.reason, 'the customer is in go-live week');
      assert.equal(
        (await call('rm', 'POST', `/v1/cases/${c.body.id}/reject`, { reason: 'works as designed' })).body.state,
        'rejected',
      );
      await refused('admin', c.body.id, 'triage', {}, 'HFX_E_TRANSITION', 409);
    });

    test('viewers see that a case was notified, not where to (webhook URLs and contacts are for release managers)', async () => {
      const target = 'http://127.0.0.1:9/hook-secret-path';
      assert.equal(
        (await call('admin', 'POST', '/v1/subscriptions', { kind: 'webhook', target, events: ['case.created'] }))
          .status,
        201,
      );
      const c = (await call('dev', 'POST', '/v1/cases', intake())).body;
      const asViewer = (await call('view', 'GET', `/v1/cases/${c.id}`)).body;
      const asRm = (await call('rm', 'GET', `/v1/cases/${c.id}`)).body;
      assert.ok(asRm.notifications.some((n: { target: string }) => n.target === target));
      assert.ok(asViewer.notifications.length >= 1);
      assert.ok(!JSON.stringify(asViewer).includes('hook-secret-path'));
    });

    test('from intake to solved: every guard refuses with a code and changes nothing; solved waits for presence everywhere', async () => {
      const c = (await call('dev', 'POST', '/v1/cases', intake())).body;
      assert.equal(c.priority, 'P1');
      assert.equal(c.state, 'reported');
      await refused('dev', c.id, 'start', { assignee: 'dev' }, 'HFX_E_TRANSITION', 409);
      await ok('dev', c.id, 'triage', { reason: 'reproduced' });
      assert.equal((await refused('dev', c.id, 'start', {}, 'HFX_E_GUARD', 409)).details.guard, 'assigned');
      await ok('dev', c.id, 'start', { team: 'core-team', commits: [{ sha: 'deadbeef', subject: 'fix' }] });
      assert.equal(
        (await refused('dev', c.id, 'evidence', { functional: JUNIT_PASS, regression: JUNIT_PASS }, 'HFX_E_GUARD', 409))
          .details.guard,
        'root-cause',
      );
      assert.equal(
        (await refused('dev', c.id, 'evidence', { rootCause: 'x', functional: JUNIT_PASS }, 'HFX_E_GUARD', 409)).details
          .guard,
        'evidence-regression',
      );
      await refused(
        'dev',
        c.id,
        'evidence',
        { rootCause: 'x', functional: JUNIT_PASS, regression: '<testsuite><testcase></testsuite>' },
        'HFX_E_JUNIT',
        422,
      );
      // A failing regression is recorded, and blocks the next step.
      const t = await ok('dev', c.id, 'evidence', {
        rootCause: 'unbounded cache',
        functional: JUNIT_PASS,
        regression: JUNIT_FAIL,
      });
      assert.equal(t.state, 'testing');
      assert.deepEqual([t.regression.tests, t.regression.failed, t.regression.errors], [3, 1, 1]);
      assert.equal(
        (await refused('dev', c.id, 'ready', { hotfix: 'HF-C-1' }, 'HFX_E_GUARD', 409)).details.guard,
        'tests-pass',
      );
      await ok('dev', c.id, 'evidence', { regression: JUNIT_PASS });
      assert.equal(
        (await refused('dev', c.id, 'ready', { hotfix: 'HF-NOPE' }, 'HFX_E_GUARD', 409)).details.guard,
        'archive-linked',
      );
      assert.equal((await refused('dev', c.id, 'ready', {}, 'HFX_E_GUARD', 409)).details.guard, 'archive-linked');
      assert.equal((await ok('dev', c.id, 'ready', { hotfix: 'HF-C-1' })).state, 'ready');
      const notes = await call('view', 'GET', `/v1/cases/${c.id}/release-notes.md`);
      assert.equal(notes.status, 200);
      assert.match(notes.headers.get('content-type')!, /text\/markdown/);
      for (const s0 of [
        '# HF-C-1: Core leaks memory',
        'Root cause: unbounded cache',
        '| `lib/core.jar` | changed |',
        'hfx apply HF-C-1.zip',
        'hfx revert HF-C-1',
        'regression 3/4 passed, 1 skipped',
      ])
        assert.ok(notes.body.includes(s0), s0);
      assert.equal(
        (
          await refused(
            'rm',
            c.id,
            'schedule',
            { windowStart: '2026-12-02T00:00:00Z', windowEnd: '2026-12-01T00:00:00Z' },
            'HFX_E_GUARD',
            409,
          )
        ).details.guard,
        'window',
      );
      await refused(
        'rm',
        c.id,
        'schedule',
        { windowStart: 'tomorrow', windowEnd: '2026-12-01T00:00:00Z' },
        'HFX_E_USAGE',
        400,
      );
      await ok('rm', c.id, 'schedule', {
        windowStart: '2026-12-01T22:00:00Z',
        windowEnd: '2026-12-01T23:00:00Z',
        stakeholders: ['ops@acme.example'],
      });
      assert.equal((await refused('rm', c.id, 'deploy', {}, 'HFX_E_GUARD', 409)).details.guard, 'environment');
      await ok('rm', c.id, 'deploy', { environment: 'QA' });
      await refused('rm', c.id, 'deploy', { environment: 'QA' }, 'HFX_E_GUARD', 409);
      const d = await ok('rm', c.id, 'deploy', { environment: 'Production' });
      assert.deepEqual(
        d.deployed.map((x: { environment: string }) => x.environment),
        ['QA', 'Production'],
      );
      assert.equal(
        (await refused('rm', c.id, 'verify', { signoffBy: 'nobody' }, 'HFX_E_GUARD', 409)).details.guard,
        'signoff',
      );
      const v = await ok('rm', c.id, 'verify', { signoffBy: 'view' });
      assert.equal(v.signoff_by, 'view');
      assert.equal((await refused('rm', c.id, 'monitor', {}, 'HFX_E_GUARD', 409)).details.guard, 'monitor-period');
      await ok('rm', c.id, 'monitor', { monitorDays: 7 });

      // Solved only when the fix is present in every environment (the environments module says).
      assert.equal((await refused('rm', c.id, 'solve', {}, 'HFX_E_GUARD', 409)).details.guard, 'present-everywhere');
      await refused('rm', c.id, 'solve', { override: true, reason: 'trust me' }, 'HFX_E_FORBIDDEN', 403);
      assert.equal(
        (await call('rm', 'PUT', '/v1/environments/demo/pipeline', { environments: ['QA', 'Production'] })).status,
        200,
      );
      const digest = (await call('admin', 'GET', '/v1/archives/HF-C-1')).body.digest;
      const insts: string[] = [];
      for (const env of ['QA', 'Production']) {
        const r = await call('dev', 'POST', '/v1/installations/report', {
          name: `${env}-1`,
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: ['HF-C-1'],
        });
        insts.push(r.body.id);
        assert.ok(
          [200, 201].includes(
            (await call('dev', 'POST', `/v1/environments/demo/${env}/installations`, { installation: r.body.id }))
              .status,
          ),
        );
      }
      const report = (i: string) =>
        call('dev', 'POST', '/v1/environments/report', {
          installation: i,
          release: '1.0.0',
          level: 0,
          hotfixes: [{ id: 'HF-C-1', digest }],
          updates: [],
          packHash: 'a'.repeat(64),
        });
      assert.equal((await report(insts[0]!)).status, 200);
      assert.equal((await refused('rm', c.id, 'solve', {}, 'HFX_E_GUARD', 409)).details.guard, 'present-everywhere');
      assert.equal((await report(insts[1]!)).status, 200);
      const solved = await ok('rm', c.id, 'solve', { reason: 'present in QA and Production' });
      assert.equal(solved.state, 'solved');
      assert.equal(solved.outcome, 'present everywhere');

      const full = (await call('view', 'GET', `/v1/cases/${c.id}`)).body;
      const transitions: Transition[] = full.transitions;
      const evidence: Evidence[] = full.evidence;
      assert.deepEqual(
        transitions.map((x) => `${x.action}:${x.to_state}:${x.actor}`),
        [
          'report:reported:dev',
          'triage:triaged:dev',
          'start:in-progress:dev',
          'evidence:testing:dev',
          'evidence:testing:dev',
          'ready:ready:dev',
          'schedule:scheduled:rm',
          'deploy:deployed:rm',
          'deploy:deployed:rm',
          'verify:verified:rm',
          'monitor:monitoring:rm',
          'solve:solved:rm',
        ],
      );
      assert.equal(full.transitions[1].reason, 'reproduced');
      assert.deepEqual(
        evidence.map((e) => `${e.kind}:${e.counts.failed + e.counts.errors}`),
        ['functional:0', 'regression:2', 'regression:0'],
      );
      const audit: AuditEntry[] = (await call('view', 'GET', `/v1/cases/${c.id}/audit`)).body.entries;
      assert.deepEqual(
        audit.map((e) => e.action),
        transitions.map((x) => (x.action === 'report' ? 'create' : x.action)),
      );
      assert.ok(audit.every((e) => e.actor && e.at));
    });

    test('JUnit evidence of several MiB is taken; one past 20 MiB is HFX_E_JUNIT and nothing is stored', async () => {
      const c = (await call('dev', 'POST', '/v1/cases', intake({ title: 'big suite' }))).body;
      await ok('dev', c.id, 'triage');
      await ok('dev', c.id, 'start', { assignee: 'dev' });
      // 30,000 test cases with captured output: about 6 MiB, past the 1 MiB other bodies may have.
      const out =
        '<system-out>' + 'log line with "quotes" & escapes\n'.replace('&', '&amp;').repeat(5) + '</system-out>';
      const big = `<testsuite>${Array.from({ length: 30_000 }, (_, i) => `<testcase classname="core.Cache" name="case ${i}">${out}</testcase>`).join('')}</testsuite>`;
      assert.ok(big.length > 5 * 1024 * 1024, `${big.length}`);
      const tooBig = `<testsuite><testcase name="x"/>${' '.repeat(20 * 1024 * 1024)}</testsuite>`;
      await refused(
        'dev',
        c.id,
        'evidence',
        { rootCause: 'x', functional: JUNIT_PASS, regression: tooBig },
        'HFX_E_JUNIT',
        422,
      );
      // Only evidence may be that large: another step with a big body is refused before it is read.
      await refused('dev', c.id, 'reopen', { reason: 'x'.repeat(2 * 1024 * 1024) }, 'HFX_E_TOO_LARGE', 413);
      const t = await ok('dev', c.id, 'evidence', { rootCause: 'x', functional: big, regression: JUNIT_PASS });
      assert.equal(t.state, 'testing');
      assert.deepEqual([t.functional.tests, t.functional.failed], [30_000, 0]);
    });

    test('an admin may solve without presence, with a reason (audited); superseded by an update that includes the hotfix', async () => {
      const c = (await call('dev', 'POST', '/v1/cases', intake({ component: 'util', severity: 'S2' }))).body;
      await drive(c.id, 'HF-C-2', 'monitoring');
      await refused('admin', c.id, 'solve', { override: true }, 'HFX_E_GUARD', 409);
      const r = await ok('admin', c.id, 'solve', { override: true, reason: 'customer confirmed on site' });
      assert.equal(r.outcome, 'admin override: customer confirmed on site');
      const a = (await call('rm', 'GET', `/v1/audit?object_type=case&object_id=${c.id}&limit=1`)).body.entries[0];
      assert.equal(a.action, 'solve');
      assert.equal(a.details.override, true);
      assert.equal(a.details.reason, 'customer confirmed on site');

      const c2 = (await call('dev', 'POST', '/v1/cases', intake({ component: 'conf', severity: 'S4' }))).body;
      await drive(c2.id, 'HF-C-3', 'ready');
      assert.equal(
        (await refused('rm', c2.id, 'supersede', { update: 'HF-C-1' }, 'HFX_E_GUARD', 409)).details.guard,
        'included-by-update',
      );
      const upd = await w.hotfix('UPD-1', (d) => writeFileSync(join(d, 'conf/server.toml'), 'level 1\n'), {
        kind: 'update',
        toLevel: 1,
        includes: ['HF-C-3'],
      });
      assert.equal((await call('dev', 'POST', '/v1/archives', new Uint8Array(readFileSync(upd)))).status, 201);
      assert.equal((await ok('rm', c2.id, 'supersede', { update: 'UPD-1' })).state, 'superseded');
      const un = await call('view', 'GET', '/v1/updates/UPD-1/release-notes.md');
      assert.equal(un.status, 200);
      assert.match(un.body, /\| HF-C-3 \| hotfix HF-C-3 \| S\d \|/);
    });

    test('recurrence reopens a monitored case: a new case on the same component, or an installation reverting the hotfix', async () => {
      const c = (await call('dev', 'POST', '/v1/cases', intake({ component: 'cache', severity: 'S3' }))).body;
      await drive(c.id, 'HF-C-2', 'monitoring');
      const again = (
        await call('dev', 'POST', '/v1/cases', intake({ component: 'cache', severity: 'S3', title: 'cache again' }))
      ).body;
      const r = (await call('view', 'GET', `/v1/cases/${c.id}`)).body;
      assert.equal(r.state, 'in-progress');
      assert.equal(r.reopened, 1);
      assert.match(r.transitions.at(-1).reason, new RegExp(`recurrence: new case #${again.id}`));
      assert.equal(r.transitions.at(-1).actor, 'hfx');

      const c2 = (await call('dev', 'POST', '/v1/cases', intake({ component: 'auth', severity: 'S3' }))).body;
      await drive(c2.id, 'HF-C-3', 'monitoring');
      const inst = (
        await call('dev', 'POST', '/v1/installations/report', {
          name: 'edge',
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: ['HF-C-3'],
        })
      ).body.id;
      await call('dev', 'POST', '/v1/installations/report', {
        id: inst,
        product: 'demo',
        release: '1.0.0',
        level: 0,
        channel: 'full',
        hotfixes: [],
        events: [{ kind: 'reverted', archive: 'HF-C-3', reason: 'login broken' }],
      });
      let state = '';
      for (let i = 0; i < 50 && state !== 'in-progress'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await call('view', 'GET', `/v1/cases/${c2.id}`)).body.state;
      }
      assert.equal(state, 'in-progress');
      const last = (await call('view', 'GET', `/v1/cases/${c2.id}`)).body.transitions.at(-1);
      assert.match(last.reason, /reverted the hotfix \(login broken\)/);
    });

    test("another customer cannot touch a customer's case: its hotfix is never linked, its installations' reverts never reopen it", async () => {
      assert.equal((await call('admin', 'POST', '/v1/customers', { id: 'globex', name: 'Globex' })).status, 201);
      const inst: Record<string, string> = {};
      for (const c of ['acme', 'globex'])
        inst[c] = (await call('admin', 'POST', `/v1/customers/${c}/tokens`, { name: `${c}-prod` })).body.token;
      for (const [id, customer] of [
        ['HF-T-GLOBEX', 'globex'],
        ['HF-T-PUBLIC', null],
      ] as const) {
        const zip = await w.hotfix(
          id,
          (d) => writeFileSync(join(d, 'docs/README'), `${id}\n`),
          customer ? { customer } : {},
        );
        assert.equal((await call('dev', 'POST', '/v1/archives', new Uint8Array(readFileSync(zip)))).status, 201);
      }
      const c = (await call('dev', 'POST', '/v1/cases', intake({ component: 'tenants', severity: 'S3' }))).body;
      await drive(c.id, 'HF-T-PUBLIC', 'testing');
      // Globex's hotfix on Acme's case: Acme's contacts would be told about it. Refused, nothing changed.
      await refused('dev', c.id, 'ready', { hotfix: 'HF-T-GLOBEX' }, 'HFX_E_GUARD', 409);
      await ok('dev', c.id, 'ready', { hotfix: 'HF-T-PUBLIC' });
      await ok('rm', c.id, 'schedule', { windowStart: '2026-12-01T22:00:00Z', windowEnd: '2026-12-01T23:00:00Z' });
      await ok('rm', c.id, 'deploy', { environment: 'QA' });
      await ok('rm', c.id, 'verify', { signoffBy: 'view' });
      assert.equal((await ok('rm', c.id, 'monitor', { monitorDays: 14 })).state, 'monitoring');
      const report = (who: string, events: unknown[]) =>
        api(s.url, 'POST', '/v1/installations/report', inst[who]!, {
          name: `${who}-edge`,
          product: 'demo',
          release: '1.0.0',
          level: 0,
          channel: 'full',
          hotfixes: [],
          events,
        });
      // Globex reverting the public fix Acme's case is about: recorded for Globex's fleet, but the case stays closed to it.
      assert.equal(
        (await report('globex', [{ kind: 'reverted', archive: 'HF-T-PUBLIC', reason: 'globex says broken' }])).status,
        201,
      );
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(
        (await call('view', 'GET', `/v1/cases/${c.id}`)).body.state,
        'monitoring',
        "another customer's revert does not reopen the case",
      );
      // Acme's own installation reverting it does.
      assert.equal(
        (await report('acme', [{ kind: 'reverted', archive: 'HF-T-PUBLIC', reason: 'acme says broken' }])).status,
        201,
      );
      let state = '';
      for (let i = 0; i < 50 && state !== 'in-progress'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await call('view', 'GET', `/v1/cases/${c.id}`)).body.state;
      }
      assert.equal(state, 'in-progress');
      assert.match((await call('view', 'GET', `/v1/cases/${c.id}`)).body.transitions.at(-1).reason, /acme says broken/);
    });

    test('the CLI: hfx case new, start, evidence from JUnit files, show, list, notes; errors carry their codes', async () => {
      const env = { HFX_CONFIG_DIR: join(w.dir, 'case-config'), HFX_PASSWORD: 'dev-password-long', NO_COLOR: '1' };
      assert.equal((await hfx(['login', s.url, '--user', 'dev', '--json'], { env })).code, 0);
      const n = await hfxCase(
        [
          'new',
          '--title',
          'CLI case',
          '--product',
          'demo',
          '--severity',
          'S2',
          '--impact',
          'many',
          '--component',
          'cli',
          '--customer',
          'acme',
          '--json',
        ],
        env,
        w.dir,
      );
      assert.equal(n.code, 0, JSON.stringify(n.json));
      assert.equal(n.json.case.priority, 'P2');
      const id = String(n.json.case.id);
      assert.equal(
        (await hfxCase(['start', id, '--assignee', 'dev', '--json'], env, w.dir)).json.error.code,
        'HFX_E_TRANSITION',
      );
      assert.equal((await hfxCase(['triage', id, '--json'], env, w.dir)).code, 0);
      assert.equal((await hfxCase(['start', id, '--json'], env, w.dir)).code, 8);
      assert.equal(
        (await hfxCase(['start', id, '--assignee', 'dev', '--root-cause', 'off by one', '--json'], env, w.dir)).json
          .case.state,
        'in-progress',
      );
      writeFileSync(join(w.dir, 'f.xml'), JUNIT_PASS);
      writeFileSync(join(w.dir, 'r.xml'), '<testsuite><testcase name="x"><failure/></testcase></testsuite>');
      const e = await hfxCase(['evidence', id, '--functional', 'f.xml', '--regression', 'r.xml', '--json'], env, w.dir);
      assert.equal(e.json.case.state, 'testing');
      const blocked = await hfxCase(['ready', id, '--hotfix', 'HF-C-1', '--json'], env, w.dir);
      assert.equal(blocked.json.error.code, 'HFX_E_GUARD');
      assert.match(blocked.json.error.message, /1 regression test/);
      writeFileSync(join(w.dir, 'bad.xml'), '<testsuite>');
      assert.equal(
        (await hfxCase(['evidence', id, '--regression', 'bad.xml', '--json'], env, w.dir)).json.error.code,
        'HFX_E_JUNIT',
      );
      assert.equal((await hfxCase(['evidence', id, '--regression', 'f.xml'], env, w.dir)).code, 0);
      assert.equal((await hfxCase(['ready', id, '--hotfix', 'HF-C-1'], env, w.dir)).code, 0);
      const show = await hfxCase(['show', id], env, w.dir);
      assert.match(show.stdout, /dev +evidence +→ testing/);
      assert.match(
        (await hfxCase(['list', '--state', 'ready'], env, w.dir)).stdout,
        new RegExp(`#${id} +S2/P2 +ready +demo/cli +CLI case +\\[HF-C-1\\]`),
      );
      assert.match((await hfxCase(['notes', id], env, w.dir)).stdout, /^# HF-C-1: CLI case/);
      assert.equal(
        (
          await hfxCase(
            ['schedule', id, '--start', '2026-12-01T00:00:00Z', '--end', '2026-12-02T00:00:00Z', '--json'],
            env,
            w.dir,
          )
        ).json.error.code,
        'HFX_E_FORBIDDEN',
      );
      assert.equal((await hfxCase(['fly', '--json'], env, w.dir)).json.error.code, 'HFX_E_USAGE');
    });

    test('a published security update is announced once to its subscribers (signed webhook)', async () => {
      const got: { id: string; body: { data: { archive: string } } }[] = [];
      const srv = createServer((req, res) => {
        let b = '';
        req.on('data', (d: Buffer) => (b += d.toString()));
        req.on('end', () => {
          got.push({ id: String(req.headers['x-hfx-event-id']), body: JSON.parse(b) });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      try {
        const target = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
        // Only an admin points the server at a webhook.
        for (const who of ['dev', 'rm'])
          assert.equal((await call(who, 'POST', '/v1/subscriptions', { kind: 'webhook', target })).status, 403);
        assert.equal(
          (
            await call('admin', 'POST', '/v1/subscriptions', {
              kind: 'webhook',
              target,
              events: ['security-update.published'],
            })
          ).status,
          201,
        );
        const upd = await w.hotfix('UPD-SEC', (d) => writeFileSync(join(d, 'lib/core.jar'), 'security fix\n'), {
          kind: 'update',
          toLevel: 1,
          security: true,
          includes: [],
        });
        assert.equal((await call('dev', 'POST', '/v1/archives', new Uint8Array(readFileSync(upd)))).status, 201);
        for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 400));
        assert.deepEqual(
          got.map((g) => g.id),
          ['security-update.published:UPD-SEC'],
        );
        assert.equal(got[0]!.body.data.archive, 'UPD-SEC');
      } finally {
        srv.closeAllConnections();
        srv.close();
      }
    });

    test('the list is paginated, newest first, and filters', async () => {
      interface Page {
        cases: { id: number; state: string }[];
        next: number | null;
      }
      const all: Page['cases'] = (await call('view', 'GET', '/v1/cases?limit=500')).body.cases;
      const ids: number[] = [];
      let before: number | null = null;
      do {
        const page: Page = (await call('view', 'GET', `/v1/cases?limit=2${before ? `&before=${before}` : ''}`)).body;
        assert.ok(page.cases.length <= 2);
        ids.push(...page.cases.map((x) => x.id));
        before = page.next;
      } while (before);
      assert.deepEqual(
        ids,
        all.map((x) => x.id),
      );
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => b - a),
      );
      const solved: Page['cases'] = (await call('view', 'GET', '/v1/cases?state=solved')).body.cases;
      assert.ok(solved.every((x) => x.state === 'solved'));
      assert.equal((await call('view', 'GET', '/v1/cases?state=bogus')).status, 400);
      assert.equal((await call('view', 'GET', '/v1/cases/99999')).body.error.code, 'HFX_E_NOT_FOUND');
      assert.equal((await call('dev', 'POST', '/v1/cases/1/fly', {})).status, 400);
    });
  });
