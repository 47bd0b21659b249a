import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deployCommand } from '../src/cli/commands/deploy/index.js';
import { envCommand } from '../src/cli/commands/env/index.js';
import { propagateCommand } from '../src/cli/commands/propagate/index.js';
import type { Command } from '../src/cli/command.js';
import { isHfxError } from '../src/errors.js';
import { fixPresence, requirePresentEverywhere } from '../src/server/environments/presence.js';
import type { Comparison } from '../src/server/environments/queries.js';
import type { EnvView, Presence } from '../src/wire/environments.js';
import { hfx, runCommand } from './helpers/cli.js';
import { world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, STORES, testServer } from './helpers/server.js';

type TS = Awaited<ReturnType<typeof testServer>>;

/** Runs one of the environment commands as `main` would (they are registered in main.ts by the owner). */
function run(cmd: Command, argv: string[], env: NodeJS.ProcessEnv) {
  return runCommand(cmd, argv, { env });
}

const ENVS = ['Development', 'QA', 'Pre-Production', 'Production'] as const;

for (const store of STORES)
  describe(`environments on ${store}`, () => {
    let s: TS;
    let admin: string;
    let w: World;
    const tok: Record<string, string> = {};
    let dev: NodeJS.ProcessEnv;
    let inst: NodeJS.ProcessEnv;
    const homes: Record<string, string> = {};
    const ids: Record<string, string> = {};
    const cleanups: (() => void)[] = [];
    const suite = { after: (fn: () => void) => cleanups.push(fn) };
    const list = async (): Promise<EnvView[]> =>
      (await api(s.url, 'GET', '/v1/environments/demo', admin)).body.environments;
    const envOf = async (name: string) => (await list()).find((e) => e.name === name)!;
    const deployments = async () => {
      let n = 0;
      for (const e of ENVS) {
        const listed: unknown[] = (await api(s.url, 'GET', `/v1/environments/demo/${e}`, admin)).body.deployments;
        n += listed.length;
      }
      return n;
    };
    const refresh = async (e: string) => {
      assert.equal((await hfx(['state', '--report', '--home', homes[e]!], { env: inst })).code, 0);
      const r = await run(envCommand, ['report', '--home', homes[e]!, '--json'], inst);
      assert.equal(r.code, 0, r.stdout);
      return r.json;
    };

    before(async () => {
      s = await testServer({ store });
      admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body
        .token;
      for (const [u, role] of [
        ['dev', 'developer'],
        ['rm', 'release-manager'],
        ['view', 'viewer'],
      ] as const) {
        assert.equal(
          (await api(s.url, 'POST', '/v1/users', admin, { username: u, password: `${u}-password-123`, role })).status,
          201,
        );
        tok[u] = (
          await api(s.url, 'POST', '/v1/login', null, { username: u, password: `${u}-password-123` })
        ).body.token;
      }
      assert.equal((await api(s.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'ACME' })).status, 201);
      tok.acme = (await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'envs' })).body.token;
      w = await world(suite);
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/publisher-keys', admin, {
            name: 'vendor',
            publicKey: readFileSync(w.pub, 'utf8'),
          })
        ).status,
        201,
      );
      dev = { HFX_CONFIG_DIR: join(w.dir, 'dev-config'), HFX_PASSWORD: 'dev-password-123', NO_COLOR: '1' };
      inst = { HFX_CONFIG_DIR: join(w.dir, 'inst-config'), NO_COLOR: '1' };
      assert.equal((await hfx(['login', s.url, '--user', 'dev'], { env: dev })).code, 0);
    });
    after(async () => {
      await maybe(s)?.dispose();
      for (const c of cleanups) c();
    });

    test('set-up: hotfixes pushed; four installations, one per environment, assigned and reporting their content', async () => {
      for (const [id, text] of [
        ['HF-1', 'core 1.0.1\n'],
        ['HF-2', 'core 1.0.2\n'],
      ] as const) {
        const hf = await w.hotfix(id, (d) =>
          writeFileSync(join(d, id === 'HF-1' ? 'lib/core.jar' : 'lib/util.jar'), text),
        );
        assert.equal((await hfx(['push', hf], { env: dev })).code, 0);
      }
      // An update to level 1 that includes HF-2.
      const up = await w.hotfix('UP-1', (d) => writeFileSync(join(d, 'lib/util.jar'), 'core 1.0.2\n'), {
        kind: 'update',
        toLevel: 1,
        includes: ['HF-2'],
      });
      const pushed = await hfx(['push', up, '--json'], { env: dev });
      assert.equal(pushed.code, 0, pushed.stdout);
      for (const e of ENVS) {
        homes[e] = join(w.dir, `env-${e}`);
        cpSync(w.home, homes[e], { recursive: true, verbatimSymlinks: true });
        assert.equal(
          (await hfx(['login', s.url, '--token', tok.acme!, '--home', homes[e], '--root', s.rootFile], { env: inst }))
            .code,
          0,
        );
        const r = await hfx(['state', '--report', '--name', e, '--home', homes[e], '--json'], { env: inst });
        assert.equal(r.code, 0, r.stdout);
        ids[e] = r.json.reported.id;
        const a = await run(envCommand, ['assign', 'demo', e, ids[e]!, '--json'], dev);
        assert.equal(a.code, 0, a.stdout);
        const rep = await refresh(e);
        assert.equal(rep.environment, e);
      }
      const l = await list();
      assert.deepEqual(
        l.map((e) => e.name),
        [...ENVS],
      );
      for (const e of l) {
        assert.equal(e.version, '1.0.0');
        assert.equal(e.red, false);
        assert.equal(e.installations.reported, 1);
      }
      // Every pack holds the same files: the same content hash.
      assert.equal(new Set(l.map((e) => e.packHash)).size, 1);
    });

    test('deploy suggests the next tag; the hotfix is red where it is but the earlier environments lack it', async () => {
      // The board shows the tag the next deployment gets; a product nothing runs yet has none.
      assert.deepEqual((await api(s.url, 'GET', '/v1/environments/demo', admin)).body.next, {
        hotfix: '1.0.1',
        update: '1.1.0',
      });
      assert.equal((await api(s.url, 'POST', '/v1/products', admin, { name: 'idle', title: 'Idle' })).status, 201);
      assert.equal((await api(s.url, 'GET', '/v1/environments/idle', admin)).body.next, null);
      // Nor does a product whose release is not MAJOR.MINOR.PATCH: there is nothing to bump.
      assert.equal(
        (await api(s.url, 'POST', '/v1/products', admin, { name: 'nightly', title: 'Nightly' })).status,
        201,
      );
      assert.equal(
        (await api(s.url, 'PUT', '/v1/environments/nightly/pipeline', admin, { environments: ['Only'] })).status,
        200,
      );
      const night = (
        await api(s.url, 'POST', '/v1/installations/report', tok.dev!, {
          name: 'nightly-1',
          product: 'nightly',
          release: 'latest',
          level: 0,
          channel: 'full',
          hotfixes: [],
        })
      ).body.id;
      assert.equal(
        (await api(s.url, 'POST', '/v1/environments/nightly/Only/installations', tok.dev!, { installation: night }))
          .status,
        201,
      );
      assert.equal(
        (
          await api(s.url, 'POST', '/v1/environments/report', tok.dev!, {
            installation: night,
            release: 'latest',
            level: 0,
            hotfixes: [],
            updates: [],
            packHash: 'a'.repeat(64),
          })
        ).status,
        200,
      );
      const nightly = (await api(s.url, 'GET', '/v1/environments/nightly', admin)).body;
      assert.equal(nightly.environments[0].release, 'latest');
      assert.equal(nightly.next, null);
      const dry = await run(deployCommand, ['demo', 'Pre-Production', '--hotfix', 'HF-1', '--dry-run', '--json'], dev);
      assert.equal(dry.code, 0, dry.stdout);
      assert.equal(dry.json.suggestedTag, '1.0.1');
      assert.equal(dry.json.approvalRequired, false);
      const d = await run(deployCommand, ['demo', 'Pre-Production', '--hotfix', 'HF-1', '--json'], dev);
      assert.equal(d.code, 0, d.stdout);
      assert.equal(d.json.tag, '1.0.1');
      // Deployed, not yet applied: shown as deployed, and red.
      let pp = await envOf('Pre-Production');
      assert.deepEqual(
        pp.hotfixes.map((h) => [h.id, h.state, h.red]),
        [['HF-1', 'deployed', true]],
      );
      // The installation applies it from the server and reports.
      assert.equal(
        (await hfx(['apply', 'HF-1', '--server', '--home', homes['Pre-Production']!], { env: inst })).code,
        0,
      );
      await refresh('Pre-Production');
      pp = await envOf('Pre-Production');
      assert.equal(pp.version, '1.0.1');
      assert.equal(pp.untagged, false);
      assert.deepEqual((await api(s.url, 'GET', '/v1/environments/demo', admin)).body.next, {
        hotfix: '1.0.2',
        update: '1.1.0',
      });
      assert.deepEqual(
        pp.hotfixes.map((h) => [h.id, h.state, h.red, h.missingIn]),
        [['HF-1', 'applied', true, ['Development', 'QA']]],
      );
      // Deploying it again is refused, nothing recorded.
      const n = await deployments();
      const again = await api(s.url, 'POST', '/v1/environments/demo/Pre-Production/deploy', tok.dev!, {
        hotfix: 'HF-1',
      });
      assert.equal(again.body.error.code, 'HFX_E_ALREADY_APPLIED');
      assert.equal(await deployments(), n);
      // Production gets the same content: the same tag is suggested (Tag & Deploy 1.0.1 in both).
      const prod = await run(deployCommand, ['demo', 'Production', '--hotfix', 'HF-1', '--json'], dev);
      assert.equal(prod.code, 0, prod.stdout);
      assert.equal(prod.json.tag, '1.0.1');
      assert.equal((await hfx(['apply', 'HF-1', '--server', '--home', homes.Production!], { env: inst })).code, 0);
      await refresh('Production');
      const p = await envOf('Production');
      assert.equal(p.version, '1.0.1');
      assert.equal(p.red, true);
      const detail = await run(envCommand, ['show', 'demo', 'Production'], dev);
      assert.equal(detail.code, 0, detail.stdout);
      assert.match(detail.stdout, /HF-1 not propagated to Development, QA/);
      assert.match(detail.stdout, /tag 1\.0\.1 by dev/);
      const shown = await run(envCommand, ['list', 'demo'], dev);
      assert.match(shown.stdout, /Production\s+1\.0\.1 .*HF-1\+/);
    });

    test("'+' marks changes since the tag, and goes away when the content is back", async () => {
      const pp = await envOf('Pre-Production');
      const id = ids['Pre-Production']!;
      const body = (await run(envCommand, ['show', 'demo', 'Pre-Production', '--json'], dev)).json.installationList[0]
        .report;
      const report = {
        installation: id,
        release: body.release,
        level: body.level,
        hotfixes: body.hotfixes,
        updates: body.updates,
        packHash: 'f'.repeat(64),
      };
      assert.equal((await api(s.url, 'POST', '/v1/environments/report', tok.acme!, report)).status, 200);
      const changed = await envOf('Pre-Production');
      assert.equal(changed.version, '1.0.1+');
      assert.equal(changed.untagged, true);
      assert.equal(
        (await api(s.url, 'POST', '/v1/environments/report', tok.acme!, { ...report, packHash: pp.packHash })).status,
        200,
      );
      assert.equal((await envOf('Pre-Production')).version, '1.0.1');
      // An untagged hotfix applied by hand in QA: the release shows '+'.
      // (Reported content only; QA's pack is left as it is.)
      const qa = (await run(envCommand, ['show', 'demo', 'QA', '--json'], dev)).json.installationList[0].report;
      const hf2 = (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-2/presence', admin)).body;
      assert.equal(hf2.everywhere, false);
      const hf2Digest = (await api(s.url, 'GET', '/v1/archives/HF-2', admin)).body.digest as string;
      // A hotfix the server does not offer this customer is refused like one that does not exist,
      // and nothing is recorded.
      const unknown = {
        installation: ids.QA!,
        release: qa.release,
        level: qa.level,
        hotfixes: [{ id: 'HF-X', digest: 'a'.repeat(64) }],
        updates: [],
        packHash: 'e'.repeat(64),
      };
      const refused = await api(s.url, 'POST', '/v1/environments/report', tok.acme!, unknown);
      assert.equal(refused.status, 404);
      assert.equal(refused.body.error.message, 'no archive HF-X');
      assert.equal((await envOf('QA')).version, '1.0.0');
      const q = { ...unknown, hotfixes: [{ id: 'HF-2', digest: hf2Digest }] };
      assert.equal((await api(s.url, 'POST', '/v1/environments/report', tok.acme!, q)).status, 200);
      assert.equal((await envOf('QA')).version, '1.0.0+');
      await refresh('QA');
      assert.equal((await envOf('QA')).version, '1.0.0');
      // Another customer, or an installation of nobody's, cannot report over it.
      assert.equal(
        (await api(s.url, 'POST', '/v1/environments/report', tok.dev!, q)).body.error.code,
        'HFX_E_NOT_FOUND',
      );
    });

    test('a skip straight to Production needs an approval with a reason by a release manager, and is audited', async () => {
      const n = await deployments();
      const a0 = (await api(s.url, 'GET', '/v1/audit?limit=1000', admin)).body;
      const auditLen = JSON.stringify(a0).length;
      const noApproval = await run(deployCommand, ['demo', 'Production', '--hotfix', 'HF-2', '--json'], dev);
      assert.equal(noApproval.json.error.code, 'HFX_E_APPROVAL_REQUIRED');
      assert.equal(noApproval.code, 8);
      const devApproval = await api(s.url, 'POST', '/v1/environments/demo/Production/deploy', tok.dev!, {
        hotfix: 'HF-2',
        approval: { reason: 'outage' },
      });
      assert.equal(devApproval.body.error.code, 'HFX_E_FORBIDDEN');
      const emptyReason = await api(s.url, 'POST', '/v1/environments/demo/Production/deploy', tok.rm!, {
        hotfix: 'HF-2',
        approval: { reason: '' },
      });
      assert.equal(emptyReason.body.error.code, 'HFX_E_USAGE');
      const rmNoReason = await api(s.url, 'POST', '/v1/environments/demo/Production/deploy', tok.rm!, {
        hotfix: 'HF-2',
      });
      assert.equal(rmNoReason.body.error.code, 'HFX_E_APPROVAL_REQUIRED');
      assert.equal(await deployments(), n);
      assert.equal(JSON.stringify((await api(s.url, 'GET', '/v1/audit?limit=1000', admin)).body).length, auditLen);
      const ok = await api(s.url, 'POST', '/v1/environments/demo/Production/deploy', tok.rm!, {
        hotfix: 'HF-2',
        approval: { reason: 'checkout down, INC-1' },
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.approved, 'checkout down, INC-1');
      assert.equal(ok.body.tag, '1.0.2');
      const log = JSON.stringify((await api(s.url, 'GET', '/v1/audit?limit=1000', admin)).body);
      assert.match(log, /environments\.skip-approved/);
      assert.match(log, /checkout down, INC-1/);
      assert.equal(await deployments(), n + 1);
    });

    test('compare two environments hotfix by hotfix and file by file', async () => {
      const r = await run(envCommand, ['compare', 'demo', 'Pre-Production', 'Development', '--json'], dev);
      assert.equal(r.code, 0, r.stdout);
      const cmp: Comparison = r.json;
      assert.equal(cmp.same, false);
      assert.deepEqual(
        cmp.hotfixes.map((h) => [h.id, h.a !== null, h.b !== null]),
        [['HF-1', true, false]],
      );
      assert.deepEqual(
        cmp.files.map((f) => [f.path, f.same]),
        [['lib/core.jar', false]],
      );
      assert.equal(cmp.packHash.a === cmp.packHash.b, false);
      const same = await run(envCommand, ['compare', 'demo', 'Pre-Production', 'Production', '--json'], dev);
      assert.equal(same.json.same, true);
      const text = await run(envCommand, ['compare', 'demo', 'Pre-Production', 'Development'], dev);
      assert.match(text.stdout, /< HF-1/);
      assert.match(text.stdout, /lib\/core\.jar/);
      assert.equal(
        (await api(s.url, 'GET', '/v1/environments/demo/compare?a=QA&b=Nowhere', admin)).body.error.code,
        'HFX_E_NOT_FOUND',
      );
    });

    test('propagate: a deployment the installation applies, then a merge checked by content; red disappears; presence everywhere', async () => {
      let pres: Presence = (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-1/presence', tok.view!)).body;
      assert.deepEqual(
        pres.environments.map((e) => [e.name, e.how]),
        [
          ['Development', null],
          ['QA', null],
          ['Pre-Production', 'hotfix'],
          ['Production', 'hotfix'],
        ],
      );
      assert.equal(pres.everywhere, false);
      const n = await deployments();
      // Forwards is not propagation.
      const fwd = await api(s.url, 'POST', '/v1/environments/demo/hotfixes/HF-2/propagate', tok.dev!, {
        to: 'Production',
      });
      assert.equal(fwd.body.error.code, 'HFX_E_USAGE');
      const fwd2 = await api(s.url, 'POST', '/v1/environments/demo/hotfixes/HF-1/propagate', tok.dev!, {
        to: 'Production',
      });
      assert.equal(fwd2.body.error.code, 'HFX_E_ALREADY_APPLIED');
      const dry = await run(propagateCommand, ['demo', 'HF-1', '--to', 'QA', '--dry-run', '--json'], dev);
      assert.equal(dry.code, 0, dry.stdout);
      assert.equal(dry.json.dryRun, true);
      assert.equal(await deployments(), n);
      const p = await run(propagateCommand, ['demo', 'HF-1', '--to', 'QA', '--json'], dev);
      assert.equal(p.code, 0, p.stdout);
      assert.equal(p.json.how, 'hotfix');
      assert.equal((await hfx(['apply', 'HF-1', '--server', '--home', homes.QA!], { env: inst })).code, 0);
      await refresh('QA');
      assert.deepEqual((await envOf('Production')).hotfixes.find((h) => h.id === 'HF-1')!.missingIn, ['Development']);
      // A merge whose built files do not hold the fix is refused, nothing recorded.
      const bad = await run(
        propagateCommand,
        ['demo', 'HF-1', '--to', 'Development', '--merged', 'abc1234', '--home', homes.Development!, '--json'],
        dev,
      );
      assert.equal(bad.json.error.code, 'HFX_E_CONTENT_MISMATCH');
      assert.equal(await deployments(), n + 1);
      // The development build with the change merged (here: a copy of the fixed pack).
      const built = join(w.dir, 'dev-build');
      cpSync(homes['Pre-Production']!, built, { recursive: true, verbatimSymlinks: true });
      const good = await run(
        propagateCommand,
        ['demo', 'HF-1', '--to', 'Development', '--merged', 'abc1234', '--home', built, '--json'],
        dev,
      );
      assert.equal(good.code, 0, good.stdout);
      assert.equal(good.json.presence.everywhere, true);
      pres = (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-1/presence', tok.view!)).body;
      assert.deepEqual(
        pres.environments.map((e) => e.how),
        ['merged', 'hotfix', 'hotfix', 'hotfix'],
      );
      for (const e of await list()) assert.equal(e.hotfixes.find((h) => h.id === 'HF-1')?.red ?? false, false, e.name);
      // What the case code calls before "solved".
      assert.equal((await fixPresence(s.store.db, { product: 'demo', hotfixId: 'HF-1' })).everywhere, true);
      assert.equal(
        (await requirePresentEverywhere(s.store.db, { product: 'demo', hotfixId: 'HF-1' })).everywhere,
        true,
      );
      await assert.rejects(requirePresentEverywhere(s.store.db, { product: 'demo', hotfixId: 'HF-2' }), (e: unknown) =>
        isHfxError(e, 'HFX_E_NOT_PROPAGATED'),
      );
      const shown = await run(envCommand, ['presence', 'demo', 'HF-1'], dev);
      assert.match(shown.stdout, /✓ Development \(merged\)/);
      assert.match(shown.stdout, /present everywhere/);
      const log = JSON.stringify((await api(s.url, 'GET', '/v1/audit?limit=1000', admin)).body);
      assert.match(log, /environments\.propagate/);
      assert.match(log, /abc1234/);
    });

    test('presence is by content: a wrong digest does not count; an update level that includes the hotfix does', async () => {
      const qa = (await run(envCommand, ['show', 'demo', 'QA', '--json'], dev)).json.installationList[0].report;
      const forged = {
        installation: ids.QA!,
        release: qa.release,
        level: qa.level,
        hotfixes: qa.hotfixes.map((h: { id: string; digest: string }) => ({ ...h, digest: '0'.repeat(64) })),
        updates: [],
        packHash: qa.packHash,
      };
      assert.equal((await api(s.url, 'POST', '/v1/environments/report', tok.acme!, forged)).status, 200);
      let pres: Presence = (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-1/presence', admin)).body;
      assert.equal(pres.environments[1]!.present, false);
      assert.equal(pres.everywhere, false);
      await refresh('QA');
      assert.equal(
        (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-1/presence', admin)).body.everywhere,
        true,
      );
      // HF-2 is included in UP-1 (level 1): environments at level 1 have it.
      for (const e of ENVS) {
        const r = (await run(envCommand, ['show', 'demo', e, '--json'], dev)).json.installationList[0].report;
        assert.equal(
          (
            await api(s.url, 'POST', '/v1/environments/report', tok.acme!, {
              installation: ids[e]!,
              release: r.release,
              level: e === 'QA' ? 0 : 1,
              hotfixes: [],
              updates: [],
              packHash: r.packHash,
            })
          ).status,
          200,
        );
      }
      pres = (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-2/presence', admin)).body;
      assert.deepEqual(
        pres.environments.map((e) => e.how),
        ['update', null, 'update', 'update'],
      );
      assert.equal(pres.everywhere, false);
      const r = (await run(envCommand, ['show', 'demo', 'QA', '--json'], dev)).json.installationList[0].report;
      await api(s.url, 'POST', '/v1/environments/report', tok.acme!, {
        installation: ids.QA!,
        release: r.release,
        level: 1,
        hotfixes: [],
        updates: [],
        packHash: r.packHash,
      });
      assert.equal(
        (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-2/presence', admin)).body.everywhere,
        true,
      );
      for (const e of ENVS) await refresh(e);
      assert.equal(
        (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/NOPE/presence', admin)).body.error.code,
        'HFX_E_NOT_FOUND',
      );
    });

    test('the pipeline is configurable per product; guards refuse with codes and change nothing', async () => {
      const before = await list();
      assert.equal(
        (await api(s.url, 'PUT', '/v1/environments/demo/pipeline', tok.dev!, { environments: ['A'] })).body.error.code,
        'HFX_E_FORBIDDEN',
      );
      assert.equal(
        (await api(s.url, 'PUT', '/v1/environments/demo/pipeline', tok.rm!, { environments: ['QA', 'qa'] })).body.error
          .code,
        'HFX_E_USAGE',
      );
      assert.equal(
        (await api(s.url, 'PUT', '/v1/environments/demo/pipeline', tok.rm!, { environments: ['QA', 'compare'] })).body
          .error.code,
        'HFX_E_USAGE',
      );
      const drop = await api(s.url, 'PUT', '/v1/environments/demo/pipeline', tok.rm!, {
        environments: ['QA', 'Production'],
      });
      assert.equal(drop.body.error.code, 'HFX_E_USAGE');
      assert.deepEqual(
        (await list()).map((e) => e.name),
        before.map((e) => e.name),
      );
      const five = await run(
        envCommand,
        ['pipeline', 'demo', 'Development,QA,Staging,Pre-Production,Production', '--json', '--server', s.url],
        { ...dev, HFX_CONFIG_DIR: join(w.dir, 'dev-config') },
      );
      assert.equal(five.json.error.code, 'HFX_E_FORBIDDEN');
      const ok = await api(s.url, 'PUT', '/v1/environments/demo/pipeline', tok.rm!, {
        environments: ['Development', 'QA', 'Staging', 'Pre-Production', 'Production'],
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(
        (await list()).map((e) => e.name),
        ['Development', 'QA', 'Staging', 'Pre-Production', 'Production'],
      );
      // Staging has no installations: the fix is not verifiably everywhere any more.
      assert.equal(
        (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-1/presence', admin)).body.everywhere,
        false,
      );
      assert.equal(
        (await api(s.url, 'PUT', '/v1/environments/demo/pipeline', tok.rm!, { environments: [...ENVS] })).status,
        200,
      );
      assert.equal(
        (await api(s.url, 'GET', '/v1/environments/demo/hotfixes/HF-1/presence', admin)).body.everywhere,
        true,
      );
      // Deploy guards.
      const n = await deployments();
      const g = async (body: unknown, env = 'QA') =>
        (await api(s.url, 'POST', `/v1/environments/demo/${env}/deploy`, tok.dev!, body)).body.error?.code;
      assert.equal(await g({ hotfix: 'NOPE' }), 'HFX_E_NOT_FOUND');
      assert.equal(await g({ hotfix: 'HF-1', level: 1 }), 'HFX_E_USAGE');
      assert.equal(await g({}), 'HFX_E_USAGE');
      assert.equal(await g({ hotfix: 'HF-1' }, 'Nowhere'), 'HFX_E_NOT_FOUND');
      assert.equal(await g({ level: 7 }), 'HFX_E_NOT_FOUND');
      // An update level: the minor number goes up.
      const lvl = await run(deployCommand, ['demo', 'QA', '--level', '1', '--dry-run', '--json'], dev);
      assert.equal(lvl.code, 0, lvl.stdout);
      assert.equal(lvl.json.suggestedTag, '1.1.0');
      assert.equal(await g({ level: 0 }), 'HFX_E_NOT_FOUND');
      // Two deployments of one hotfix at once: exactly one is recorded.
      const both = await Promise.all(
        [1, 2].map(() => api(s.url, 'POST', '/v1/environments/demo/QA/deploy', tok.dev!, { hotfix: 'HF-2' })),
      );
      assert.deepEqual(both.map((r) => r.status).sort(), [201, 409]);
      assert.equal(await deployments(), n + 1);
      assert.equal(
        (await api(s.url, 'POST', '/v1/environments/nope/QA/deploy', tok.dev!, { hotfix: 'HF-1' })).body.error.code,
        'HFX_E_NOT_FOUND',
      );
      // Assignment guards.
      assert.equal(
        (await api(s.url, 'POST', '/v1/environments/demo/QA/installations', tok.dev!, { installation: 'nope' })).body
          .error.code,
        'HFX_E_NOT_FOUND',
      );
      assert.equal(
        (await api(s.url, 'POST', '/v1/environments/demo/Nowhere/installations', tok.dev!, { installation: ids.QA }))
          .body.error.code,
        'HFX_E_NOT_FOUND',
      );
    });

    test('authorization per role', async () => {
      const cases: [string, string, string, unknown, Record<string, number>][] = [
        ['GET', '/v1/environments/demo', '', undefined, { view: 200, dev: 200, acme: 403, none: 401 }],
        ['GET', '/v1/environments/demo/QA', '', undefined, { view: 200, acme: 403, none: 401 }],
        ['GET', '/v1/environments/demo/compare?a=QA&b=Production', '', undefined, { view: 200, acme: 403, none: 401 }],
        ['GET', '/v1/environments/demo/hotfixes/HF-1/presence', '', undefined, { view: 200, acme: 403, none: 401 }],
        [
          'POST',
          '/v1/environments/demo/QA/installations',
          '',
          { installation: 'x' },
          { view: 403, acme: 403, none: 401, dev: 404 },
        ],
        [
          'POST',
          '/v1/environments/demo/QA/deploy',
          '',
          { hotfix: 'NOPE' },
          { view: 403, acme: 403, none: 401, dev: 404 },
        ],
        [
          'POST',
          '/v1/environments/demo/hotfixes/NOPE/propagate',
          '',
          { to: 'QA' },
          { view: 403, acme: 403, none: 401, dev: 404 },
        ],
        [
          'PUT',
          '/v1/environments/demo/pipeline',
          '',
          { environments: ['QA', 'qa'] },
          { view: 403, dev: 403, acme: 403, none: 401, rm: 400 },
        ],
        [
          'POST',
          '/v1/environments/report',
          '',
          { installation: 'x', release: '1', level: 0, hotfixes: [], updates: [], packHash: 'a'.repeat(64) },
          { view: 403, none: 401, dev: 404, acme: 404 },
        ],
      ];
      for (const [method, path, , body, want] of cases) {
        for (const [who, status] of Object.entries(want)) {
          const r = await api(s.url, method, path, who === 'none' ? null : tok[who]!, body);
          assert.equal(r.status, status, `${method} ${path} as ${who}: ${JSON.stringify(r.body)}`);
        }
      }
    });
  });
