import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { EnvView, Presence } from '../src/wire/environments.js';
import { hfx } from './helpers/cli.js';
import { world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, seedVendor, STORES, testServer } from './helpers/server.js';

/**
 * One story end to end, per store: four real installations (packs made by world(), linked with
 * `hfx login URL --token … --home DIR`), one per environment of the pipeline; a case goes from
 * its report to "solved" while the hotfix travels Production-first and is propagated back.
 */

process.env.HFX_NOTIFY_POLL_MS = '100';
const ENVS = ['Development', 'QA', 'Pre-Production', 'Production'] as const;
type Env = (typeof ENVS)[number];
const JUNIT = (suite: string) => `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="${suite}"><testsuite name="core"><testcase classname="core.Cache" name="evicts"/><testcase classname="core.Cache" name="bounded"/></testsuite></testsuites>`;

type TS = Awaited<ReturnType<typeof testServer>>;

for (const store of STORES)
  describe(`end-to-end pipeline on ${store}`, () => {
    let s: TS;
    let w: World;
    const tok: Record<string, string> = {};
    const homes = {} as Record<Env, string>;
    const instEnv = {} as Record<Env, NodeJS.ProcessEnv>;
    const ids = {} as Record<Env, string>;
    let dev: NodeJS.ProcessEnv;
    let rm: NodeJS.ProcessEnv;
    const cleanups: (() => void)[] = [];
    const call = (who: string, method: string, path: string, body?: unknown) =>
      api(s.url, method, path, tok[who]!, body);
    const cli = async (args: string[], env: NodeJS.ProcessEnv) => {
      const r = await hfx([...args, '--json'], { env, cwd: w.dir });
      return r;
    };
    const must = async (args: string[], env: NodeJS.ProcessEnv) => {
      const r = await cli(args, env);
      assert.equal(r.code, 0, `hfx ${args.join(' ')}: ${r.stdout}${r.stderr}`);
      return r.json;
    };
    const list = async (): Promise<EnvView[]> =>
      (await call('admin', 'GET', '/v1/environments/demo')).body.environments;
    const hfOf = async (env: Env, id: string) =>
      (await list()).find((e) => e.name === env)!.hotfixes.find((h) => h.id === id)!;
    /** Everything a refusal must leave alone: the case, its audit, the deployments, the pipeline view, the whole audit log. */
    const world0 = async (caseId: number) => {
      const c = (await call('admin', 'GET', `/v1/cases/${caseId}`)).body;
      const { notifications: _n, ...rest } = c;
      const deps: unknown[] = [];
      for (const e of ENVS) deps.push((await call('admin', 'GET', `/v1/environments/demo/${e}`)).body.deployments);
      const audit = (await call('admin', 'GET', '/v1/audit?limit=1000')).body;
      return { c: rest, deps, envs: await list(), audit: (audit.entries ?? audit).length };
    };
    /** A refusal by the CLI: the code (and, for a guard, its message: the client keeps no details), and nothing changed. */
    const refused = async (caseId: number, args: string[], env: NodeJS.ProcessEnv, code: string, message?: RegExp) => {
      const before = await world0(caseId);
      const r = await cli(args, env);
      assert.notEqual(r.code, 0, `hfx ${args.join(' ')} should be refused`);
      assert.equal(r.json?.error?.code, code, r.stdout);
      if (message) assert.match(r.json.error.message, message);
      assert.deepEqual(await world0(caseId), before, `hfx ${args.join(' ')} changed nothing`);
      return r.json.error;
    };
    /** The installation applies what the server offers it and reports its state and its content. */
    const applyAndReport = async (e: Env, hotfix: string) => {
      const a = await cli(['apply', hotfix, '--server', '--home', homes[e]], instEnv[e]);
      assert.equal(a.code, 0, `${e}: ${a.stdout}${a.stderr}`);
      await report(e);
    };
    const report = async (e: Env) => {
      const r = await must(['state', '--report', '--home', homes[e]], instEnv[e]);
      assert.equal(r.reported.id, ids[e]);
      const c = await must(['env', 'report', '--home', homes[e]], instEnv[e]);
      assert.equal(c.environment, e);
    };

    before(async () => {
      s = await testServer({ store });
      w = await world({ after: (fn: () => void) => cleanups.push(fn) });
      Object.assign(tok, await seedVendor(s.url, s.adminPassword, readFileSync(w.pub, 'utf8')));
      dev = { HFX_CONFIG_DIR: join(w.dir, 'cfg-dev'), HFX_PASSWORD: 'dev-password-123', NO_COLOR: '1' };
      rm = { HFX_CONFIG_DIR: join(w.dir, 'cfg-rm'), HFX_PASSWORD: 'rm-password-123', NO_COLOR: '1' };
      assert.equal((await hfx(['login', s.url, '--user', 'dev'], { env: dev })).code, 0);
      assert.equal((await hfx(['login', s.url, '--user', 'rm'], { env: rm })).code, 0);
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('a case from its report to solved, with the hotfix deployed Production-first and propagated back', async () => {
      // Four real installations, one per environment. The in-house ones (Development, QA) are linked
      // with a developer's token, the customer's ones (Pre-Production, Production) with its token.
      for (const e of ENVS) {
        homes[e] = join(w.dir, `inst-${e}`);
        cpSync(w.home, homes[e], { recursive: true, verbatimSymlinks: true });
        instEnv[e] = { HFX_CONFIG_DIR: join(w.dir, `cfg-${e}`), NO_COLOR: '1' };
        const token = e === 'Development' || e === 'QA' ? tok.dev! : tok.acme!;
        assert.equal(
          (await hfx(['login', s.url, '--token', token, '--home', homes[e], '--root', s.rootFile], { env: instEnv[e] }))
            .code,
          0,
        );
        const r = await must(['state', '--report', '--name', `demo-${e}`, '--home', homes[e]], instEnv[e]);
        ids[e] = r.reported.id;
        await must(['env', 'assign', 'demo', e, ids[e]], dev);
        await report(e);
      }
      let envs = await list();
      assert.deepEqual(
        envs.map((e) => e.name),
        [...ENVS],
      );
      for (const e of envs) assert.equal(e.red, false, e.name);
      assert.equal(new Set(envs.map((e) => e.packHash)).size, 1);

      // Reported (S1, all users: P1), triaged, started.
      const created = await must(
        [
          'case',
          'new',
          '--title',
          'Core leaks memory under load',
          '--product',
          'demo',
          '--severity',
          'S1',
          '--impact',
          'all',
          '--impact-text',
          'checkout down',
          '--customer',
          'acme',
          '--release',
          '1.0.0',
          '--component',
          'core',
          '--description',
          'OOM after an hour',
        ],
        dev,
      );
      const id: number = created.case.id;
      assert.equal(created.case.state, 'reported');
      assert.equal(created.case.priority, 'P1');
      const n = String(id);
      await refused(id, ['case', 'start', n, '--assignee', 'dev'], dev, 'HFX_E_TRANSITION');
      assert.equal((await must(['case', 'triage', n, '--reason', 'reproduced in QA'], dev)).case.state, 'triaged');
      await refused(id, ['case', 'start', n], dev, 'HFX_E_GUARD', /an assignee or a team/);
      assert.equal((await must(['case', 'start', n, '--assignee', 'dev'], dev)).case.state, 'in-progress');

      // Evidence: passing functional and regression JUnit runs.
      writeFileSync(join(w.dir, 'functional.xml'), JUNIT('functional'));
      writeFileSync(join(w.dir, 'regression.xml'), JUNIT('regression'));
      await refused(
        id,
        ['case', 'evidence', n, '--functional', 'functional.xml', '--regression', 'regression.xml'],
        dev,
        'HFX_E_GUARD',
        /root cause must be recorded/,
      );
      assert.equal(
        (
          await must(
            [
              'case',
              'evidence',
              n,
              '--functional',
              'functional.xml',
              '--regression',
              'regression.xml',
              '--root-cause',
              'unbounded cache',
            ],
            dev,
          )
        ).case.state,
        'testing',
      );

      // A signed hotfix pushed and linked: ready.
      await refused(id, ['case', 'ready', n, '--hotfix', 'HF-1'], dev, 'HFX_E_GUARD', /signed hotfix archive/);
      const zip = await w.hotfix('HF-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'core 1.0.1 bounded cache\n'));
      await must(['push', zip], dev);
      assert.equal((await must(['case', 'ready', n, '--hotfix', 'HF-1'], dev)).case.state, 'ready');
      await refused(
        id,
        ['case', 'schedule', n, '--start', '2026-12-01T22:00:00Z', '--end', '2026-12-01T23:00:00Z'],
        dev,
        'HFX_E_FORBIDDEN',
      );
      await refused(
        id,
        ['case', 'schedule', n, '--start', '2026-12-01T23:00:00Z', '--end', '2026-12-01T22:00:00Z'],
        rm,
        'HFX_E_GUARD',
        /deployment window/,
      );
      assert.equal(
        (
          await must(
            [
              'case',
              'schedule',
              n,
              '--start',
              '2026-12-01T22:00:00Z',
              '--end',
              '2026-12-01T23:00:00Z',
              '--stakeholder',
              'ops@acme.example',
            ],
            rm,
          )
        ).case.state,
        'scheduled',
      );

      // Production first: the skip needs a release manager's approval with a reason.
      await refused(id, ['deploy', 'demo', 'Production', '--hotfix', 'HF-1'], dev, 'HFX_E_APPROVAL_REQUIRED');
      await refused(
        id,
        ['deploy', 'demo', 'Production', '--hotfix', 'HF-1', '--approve', 'checkout down'],
        dev,
        'HFX_E_FORBIDDEN',
      );
      await refused(id, ['deploy', 'demo', 'Production', '--hotfix', 'HF-1'], rm, 'HFX_E_APPROVAL_REQUIRED');
      const prod = await must(
        ['deploy', 'demo', 'Production', '--hotfix', 'HF-1', '--approve', 'checkout down, INC-7'],
        rm,
      );
      assert.equal(prod.approved, 'checkout down, INC-7');
      assert.equal(prod.tag, '1.0.1');
      const audit = JSON.stringify((await call('admin', 'GET', '/v1/audit?limit=1000')).body);
      assert.match(audit, /environments\.skip-approved/);
      assert.match(audit, /checkout down, INC-7/);
      const pre = await must(['deploy', 'demo', 'Pre-Production', '--hotfix', 'HF-1'], dev);
      assert.equal(pre.tag, '1.0.1');
      for (const e of ['Production', 'Pre-Production'] as const)
        assert.equal((await must(['case', 'deploy', n, '--env', e], rm)).case.state, 'deployed');
      await refused(id, ['case', 'deploy', n, '--env', 'Production'], rm, 'HFX_E_GUARD');
      // Deployed, not yet applied.
      assert.equal((await hfOf('Production', 'HF-1')).red, true);

      // The installations there apply it from the server and report.
      for (const e of ['Pre-Production', 'Production'] as const) await applyAndReport(e, 'HF-1');
      envs = await list();
      for (const e of ['Pre-Production', 'Production'] as const) {
        const h = envs.find((x) => x.name === e)!.hotfixes.find((x) => x.id === 'HF-1')!;
        assert.equal(h.red, true, e);
        assert.deepEqual(h.missingIn, ['Development', 'QA'], e);
        assert.equal(envs.find((x) => x.name === e)!.version, '1.0.1');
      }
      for (const e of ['Development', 'QA'] as const) {
        assert.equal(
          envs.find((x) => x.name === e)!.hotfixes.some((x) => x.id === 'HF-1'),
          false,
        );
      }
      const text = await hfx(['env', 'list', 'demo'], { env: dev });
      assert.match(text.stdout, /HF-1\+/);

      // Verified (sign-off), monitoring; solved is refused while QA and Development lack the fix.
      await refused(id, ['case', 'verify', n, '--by', 'nobody'], rm, 'HFX_E_GUARD');
      assert.equal((await must(['case', 'verify', n, '--by', 'qa-lead'], rm)).case.state, 'verified');
      assert.equal((await must(['case', 'monitor', n, '--days', '14'], rm)).case.state, 'monitoring');
      let pres: Presence = (await call('qa-lead', 'GET', '/v1/environments/demo/hotfixes/HF-1/presence')).body;
      assert.deepEqual(
        pres.environments.map((e) => [e.name, e.how]),
        [
          ['Development', null],
          ['QA', null],
          ['Pre-Production', 'hotfix'],
          ['Production', 'hotfix'],
        ],
      );
      await refused(id, ['case', 'solve', n], rm, 'HFX_E_GUARD', /not present in every environment/);
      await refused(id, ['case', 'solve', n, '--override', '--reason', 'trust me'], rm, 'HFX_E_FORBIDDEN');

      // Propagated back to QA, then Development; their installations apply and report.
      await refused(id, ['propagate', 'demo', 'HF-1', '--to', 'Production'], dev, 'HFX_E_ALREADY_APPLIED');
      for (const e of ['QA', 'Development'] as const) {
        const p = await must(['propagate', 'demo', 'HF-1', '--to', e], dev);
        assert.equal(p.how, 'hotfix');
        await applyAndReport(e, 'HF-1');
        if (e === 'QA') {
          assert.deepEqual((await hfOf('Production', 'HF-1')).missingIn, ['Development']);
          await refused(id, ['case', 'solve', n], rm, 'HFX_E_GUARD');
        }
      }
      envs = await list();
      for (const e of envs) {
        assert.equal(e.red, false, e.name);
        const h = e.hotfixes.find((x) => x.id === 'HF-1');
        assert.ok(h, `${e.name} runs HF-1`);
        assert.equal(h.red, false, e.name);
        assert.deepEqual(h.missingIn, [], e.name);
      }
      assert.equal(new Set(envs.map((e) => e.packHash)).size, 1);
      pres = (await call('qa-lead', 'GET', '/v1/environments/demo/hotfixes/HF-1/presence')).body;
      assert.equal(pres.everywhere, true);
      assert.deepEqual(
        pres.environments.map((e) => e.how),
        ['hotfix', 'hotfix', 'hotfix', 'hotfix'],
      );

      const solved = await must(['case', 'solve', n, '--reason', 'present in every environment'], rm);
      assert.equal(solved.case.state, 'solved');
      const full = (await call('qa-lead', 'GET', `/v1/cases/${id}`)).body;
      assert.equal(full.outcome, 'present everywhere');
      const transitions: { action: string; to_state: string; actor: string }[] = full.transitions;
      assert.deepEqual(
        transitions.map((x) => `${x.action}:${x.to_state}:${x.actor}`),
        [
          'report:reported:dev',
          'triage:triaged:dev',
          'start:in-progress:dev',
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
      const caseAudit = (await call('qa-lead', 'GET', `/v1/cases/${id}/audit`)).body.entries;
      assert.equal(caseAudit.length, full.transitions.length);
      const log = JSON.stringify((await call('admin', 'GET', '/v1/audit?limit=1000')).body);
      assert.match(log, /environments\.propagate/);
    });
  });
