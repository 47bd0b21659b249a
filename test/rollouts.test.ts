// Rollouts that stop themselves (docs/rollouts.md): a fleet of real installations takes a fix by
// steps; a subset fails its health check, reverts by itself and reports; the rollout pauses before
// the fleet follows. Installations are drawn by a stable bucket from the signed seed.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bucket, decide } from '../src/tuf/rollout.js';
import { hfx } from './helpers/cli.js';
import { snapshot, world, type World } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, testServer } from './helpers/server.js';

const packOnly = (home: string) => snapshot(home, { includeState: false });

test('buckets are stable per installation and seed, spread evenly, and redrawn with a new seed', () => {
  const ids = Array.from({ length: 4000 }, (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
  const inAt = (seed: string, p: number) => new Set(ids.filter((id) => bucket(seed, id) < p));
  const ten = inAt('seed-a', 10);
  const fifty = inAt('seed-a', 50);
  for (const id of ten) assert.ok(fifty.has(id), 'in at 10% stays in at 50%');
  assert.ok(Math.abs(ten.size - 400) < 80, `10% of 4000: ${ten.size}`);
  assert.ok(Math.abs(fifty.size - 2000) < 150, `50% of 4000: ${fifty.size}`);
  const other = inAt('seed-b', 10);
  const both = [...ten].filter((x) => other.has(x)).length;
  assert.ok(both < ten.size / 3, `another rollout draws anew: ${both} of ${ten.size} again`);
  // The decision from signed metadata: paused and aborted take nobody new; completed takes the scope; outside takes nobody.
  const r = (state: 'active' | 'paused' | 'completed' | 'aborted', scope: 'all' | 'outside' = 'all') => ({
    rollouts: [{ id: 1, state, percent: 100, scope, seed: 's' }],
  });
  assert.equal(decide({}, null).offered, true);
  assert.equal(decide(r('active'), 'x').offered, true);
  assert.equal(decide(r('active'), null).offered, false, 'an installation not yet registered is in no partial rollout');
  assert.equal(decide(r('paused'), 'x').offered, false);
  assert.equal(decide(r('aborted'), 'x').offered, false);
  assert.equal(decide(r('completed'), null).offered, true);
  assert.equal(decide(r('completed', 'outside'), 'x').offered, false);
});

describe('a fleet of 200 installations takes a rollout; a failing fix pauses it by itself', () => {
  let s: Awaited<ReturnType<typeof testServer>>;
  let w: World;
  let admin = '';
  let rmToken = '';
  let token = '';
  const cleanups: (() => void)[] = [];
  const suite = { after: (fn: () => void) => cleanups.push(fn) };
  const N = 200;
  const homes: string[] = [];
  let template: Record<string, string>;
  const env = (i: number) => ({ HFX_CONFIG_DIR: join(w.dir, `cfg-${i}`), HFX_TOKEN: token, NO_COLOR: '1' });
  const rollout = async (id: number) => (await api(s.url, 'GET', `/v1/rollouts/${id}`, admin)).body;
  const push = async (id: string, file: string, text: string) => {
    const zip = await w.hotfix(id, (d) => writeFileSync(join(d, file), text), { customer: 'acme' });
    assert.equal((await api(s.url, 'POST', '/v1/archives', admin, new Uint8Array(readFileSync(zip)))).status, 201);
  };
  /** One installation's turn, as its poller would run: check; apply with its health check when offered; report. */
  const turn = async (i: number, id: string): Promise<'applied' | 'reverted' | 'not offered'> => {
    const c = await hfx(['check', '--home', homes[i]!, '--json'], { env: env(i) });
    assert.equal(c.code, 0, c.stdout);
    if (!c.json.hotfixes.some((h: { id: string; applied: boolean }) => h.id === id && !h.applied)) return 'not offered';
    const a = await hfx(['apply', id, '--server', '--home', homes[i]!, '--health', 'test ! -f bad', '--json'], {
      env: env(i),
    });
    if (a.code === 0) {
      assert.equal((await hfx(['state', '--report', '--home', homes[i]!], { env: env(i) })).code, 0);
      return 'applied';
    }
    assert.equal(a.json.error.code, 'HFX_E_HEALTH', a.stdout);
    return 'reverted';
  };

  before(async () => {
    s = await testServer();
    admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body.token;
    await api(s.url, 'POST', '/v1/users', admin, {
      username: 'rm',
      password: 'rm-password-long',
      role: 'release-manager',
    });
    rmToken = (await api(s.url, 'POST', '/v1/login', null, { username: 'rm', password: 'rm-password-long' })).body
      .token;
    await api(s.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'ACME' });
    token = (await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'fleet' })).body.token;
    w = await world(suite);
    await api(s.url, 'POST', '/v1/publisher-keys', admin, { name: 'vendor', publicKey: readFileSync(w.pub, 'utf8') });
    template = packOnly(w.home);
    // Real installations: copies of one adopted pack, each linked and registered on its own.
    for (let i = 0; i < N; i++) {
      const home = join(w.dir, `inst-${i}`);
      cpSync(w.home, home, { recursive: true, verbatimSymlinks: true });
      homes.push(home);
      assert.equal((await hfx(['login', s.url, '--home', home, '--root', s.rootFile], { env: env(i) })).code, 0);
      assert.equal((await hfx(['state', '--report', '--name', `acme-${i}`, '--home', home], { env: env(i) })).code, 0);
    }
    // Half of them fail the health check of the bad fix: the check looks for `bad` in the pack.
    for (let i = 0; i < N; i += 2) writeFileSync(join(homes[i]!, 'bad'), '');
  });
  after(async () => {
    await maybe(s)?.dispose();
    cleanups.forEach((c) => c());
  });

  test('10% → 50% → 100%: the failing fix reaches at most the step and the sample before the rollout pauses; every failing installation is back byte for byte', async () => {
    await push('HF-BAD', 'lib/core.jar', 'bad fix\n');
    const start = await api(s.url, 'POST', '/v1/rollouts', rmToken, {
      archive: 'HF-BAD',
      customer: 'acme',
      steps: [10, 50, 100],
      maxFailureRate: 0.2,
      minSample: 5,
    });
    assert.equal(start.status, 201, JSON.stringify(start.body));
    const id = start.body.id as number;
    const took: number[] = [];
    let pausedAfter = -1;
    const order = [...homes.keys()].sort((a, b) => ((a * 7919) % N) - ((b * 7919) % N));
    for (const step of [10, 50, 100]) {
      for (const i of order) {
        const r = await turn(i, 'HF-BAD');
        if (r !== 'not offered') took.push(i);
        if (r === 'reverted')
          assert.deepEqual(
            packOnly(homes[i]!),
            { ...template, bad: packOnly(homes[i]!).bad! },
            `installation ${i} is back byte for byte`,
          );
        if ((await rollout(id)).state === 'paused') {
          pausedAfter = took.length;
          break;
        }
      }
      if (pausedAfter >= 0) break;
      assert.equal(
        (await api(s.url, 'POST', `/v1/rollouts/${id}/advance`, rmToken, {})).status,
        200,
        `advance past ${step}%`,
      );
    }
    const r = await rollout(id);
    assert.equal(r.state, 'paused', 'paused by itself');
    assert.match(r.reason, /reverted it/);
    assert.ok(
      pausedAfter > 0 && pausedAfter <= N * 0.1 + 5,
      `${pausedAfter} installations took the bad fix before the pause (at most 10% of ${N} plus the sample of 5)`,
    );
    // Paused: nobody new is offered it.
    for (const i of order.filter((x) => !took.includes(x)).slice(0, 20))
      assert.equal(await turn(i, 'HF-BAD'), 'not offered');
    // Aborted: installations that kept it are told.
    assert.equal(
      (await api(s.url, 'POST', `/v1/rollouts/${id}/abort`, rmToken, { reason: 'broken on half the fleet' })).status,
      200,
    );
    const kept = took.find((i) => i % 2 === 1);
    if (kept !== undefined) {
      const c = await hfx(['check', '--home', homes[kept]!], { env: env(kept) });
      assert.match(c.stderr, /HF-BAD is applied here, but its rollout \d+ was aborted[^\n]*hfx revert HF-BAD/);
      // Its figures stop at the abort: a revert reported afterwards is not the rollout's.
      const before = await rollout(id);
      assert.equal((await hfx(['revert', 'HF-BAD', '--home', homes[kept]!], { env: env(kept) })).code, 0);
      assert.equal((await hfx(['state', '--report', '--home', homes[kept]!], { env: env(kept) })).code, 0);
      const afterAbort = await rollout(id);
      assert.deepEqual([afterAbort.applied, afterAbort.reverted], [before.applied, before.reverted]);
    }
    // The pause was announced, and audited.
    const audit = (await api(s.url, 'GET', '/v1/audit?object_type=rollout', admin)).body.entries.map(
      (e: { action: string; actor: string }) => `${e.actor}:${e.action}`,
    );
    assert.ok(audit.includes('hfx:rollout.pause'), audit.join(' '));
  });

  test('a good fix: the same installations stay in as the share grows, and at 100% every one is offered it', async () => {
    await push('HF-GOOD', 'lib/util.jar', 'good fix\n');
    const id = (
      await api(s.url, 'POST', '/v1/rollouts', rmToken, { archive: 'HF-GOOD', customer: 'acme', steps: [10, 50, 100] })
    ).body.id as number;
    const offered = async () => {
      const out = new Set<number>();
      for (let i = 0; i < N; i += 4) {
        const c = await hfx(['check', '--home', homes[i]!, '--json'], { env: env(i) });
        if (c.json.hotfixes.some((h: { id: string }) => h.id === 'HF-GOOD')) out.add(i);
      }
      return out;
    };
    const at10 = await offered();
    await api(s.url, 'POST', `/v1/rollouts/${id}/advance`, rmToken, {});
    const at50 = await offered();
    await api(s.url, 'POST', `/v1/rollouts/${id}/advance`, rmToken, {});
    const at100 = await offered();
    for (const i of at10) assert.ok(at50.has(i), `installation ${i} stays in`);
    assert.ok(at10.size < at50.size && at50.size < at100.size, `${at10.size} < ${at50.size} < ${at100.size}`);
    assert.equal(at100.size, N / 4, 'everyone at 100%');
    assert.equal((await rollout(id)).state, 'completed');
  });
});

describe('rollouts on the server', () => {
  let s: Awaited<ReturnType<typeof testServer>>;
  let admin = '';
  const cleanups: (() => void)[] = [];
  before(async () => {
    s = await testServer();
    admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body.token;
    for (const c of ['acme', 'globex']) await api(s.url, 'POST', '/v1/customers', admin, { id: c, name: c });
    const w = await world({ after: (fn: () => void) => cleanups.push(fn) });
    await api(s.url, 'POST', '/v1/publisher-keys', admin, { name: 'vendor', publicKey: readFileSync(w.pub, 'utf8') });
    for (const [id, customer] of [
      ['HF-A', 'acme'],
      ['HF-P', null],
      ['HF-P2', null],
    ] as const) {
      const zip = await w.hotfix(id, (d) => writeFileSync(join(d, 'docs/README'), id), customer ? { customer } : {});
      await api(s.url, 'POST', '/v1/archives', admin, new Uint8Array(readFileSync(zip)));
    }
  });
  after(async () => {
    await maybe(s)?.dispose();
    cleanups.forEach((c) => c());
  });

  test('refused with a code, nothing started: bad steps, an unknown or foreign archive, two at once, a wrong state', async () => {
    const start = (b: object) => api(s.url, 'POST', '/v1/rollouts', admin, b);
    for (const [b, code] of [
      [{ archive: 'HF-P', steps: [50, 10] }, 'HFX_E_USAGE'],
      [{ archive: 'HF-P', steps: [10, 101] }, 'HFX_E_USAGE'],
      [{ archive: 'HF-NONE', steps: [10] }, 'HFX_E_NOT_FOUND'],
      [{ archive: 'HF-A', customer: 'globex', steps: [10] }, 'HFX_E_INCOMPATIBLE'],
      [{ archive: 'HF-P', env: 'other/QA', steps: [10] }, 'HFX_E_INCOMPATIBLE'],
      [{ archive: 'HF-P', customer: 'acme', env: 'demo/QA', steps: [10] }, 'HFX_E_USAGE'],
    ] as const)
      assert.equal((await start(b)).body.error?.code, code, JSON.stringify(b));
    assert.deepEqual((await api(s.url, 'GET', '/v1/rollouts', admin)).body.rollouts, []);
    const r = await start({ archive: 'HF-P', steps: [10, 100] });
    assert.equal(r.status, 201);
    assert.equal(
      (await start({ archive: 'HF-P', steps: [10] })).body.error.code,
      'HFX_E_STATE',
      'one live rollout per archive',
    );
    assert.equal(
      (await api(s.url, 'POST', `/v1/rollouts/${r.body.id}/resume`, admin, {})).body.error.code,
      'HFX_E_STATE',
    );
    assert.equal((await api(s.url, 'POST', '/v1/rollouts/2000000000/pause', admin, {})).status, 404);
  });

  test("the signed metadata carries the rollout; another customer's repository names it only as outside, with no seed", async () => {
    const r = (await api(s.url, 'POST', '/v1/rollouts', admin, { archive: 'HF-A', customer: 'acme', steps: [25, 100] }))
      .body;
    const entry = async (repo: string, id: string) => {
      const ts = await api(s.url, 'GET', `/v1/tuf/${repo}/metadata/timestamp.json`, admin);
      const snap = await api(
        s.url,
        'GET',
        `/v1/tuf/${repo}/metadata/${ts.body.signed.meta['snapshot.json'].version}.snapshot.json`,
        admin,
      );
      const online = await api(
        s.url,
        'GET',
        `/v1/tuf/${repo}/metadata/${snap.body.signed.meta['online.json'].version}.online.json`,
        admin,
      );
      return online.body.signed.targets[`${id}.zip`]?.custom.hfx;
    };
    const mine = await entry('acme', 'HF-A');
    assert.deepEqual(mine.rollouts, [
      { id: r.id, state: 'active', percent: 25, scope: 'customer', seed: mine.rollouts[0].seed },
    ]);
    assert.match(mine.rollouts[0].seed, /^[0-9a-f]{32}$/);
    const pub = (await api(s.url, 'POST', '/v1/rollouts', admin, { archive: 'HF-P2', customer: 'acme', steps: [10] }))
      .body;
    const theirs = await entry('globex', 'HF-P2');
    assert.deepEqual(theirs.rollouts, [{ id: pub.id, state: 'active', percent: 10, scope: 'outside' }]);
  });

  test("--every: a step that has lasted its time advances by itself (the worker's round)", async () => {
    const zipId = 'HF-P';
    const list = (await api(s.url, 'GET', `/v1/rollouts?archive=${zipId}`, admin)).body.rollouts;
    for (const x of list.filter((y: { state: string }) => y.state === 'active' || y.state === 'paused'))
      await api(s.url, 'POST', `/v1/rollouts/${x.id}/abort`, admin, {});
    const r = (
      await api(s.url, 'POST', '/v1/rollouts', admin, { archive: zipId, steps: [10, 50, 100], everySeconds: 3600 })
    ).body;
    await s.store.db
      .updateTable('rollouts')
      .set({ step_at: new Date(Date.now() - 3_601_000) })
      .where('id', '=', r.id)
      .execute();
    let now = r;
    for (let i = 0; i < 50 && now.step === 0; i++) {
      await new Promise((ok) => setTimeout(ok, 100));
      now = (await api(s.url, 'GET', `/v1/rollouts/${r.id}`, admin)).body;
    }
    assert.equal(now.step, 1);
    assert.equal(now.percent, 50);
    assert.ok(existsSync(s.dir));
  });
});
