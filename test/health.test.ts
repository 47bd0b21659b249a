// Health-checked applies: the hotfix stays only if the check passes; otherwise it is reverted in
// the same command and the pack is byte for byte as before; a kill during the check leaves it
// unconfirmed, and the next recovery reverts it. Through the real CLI, on real packs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { hfx } from './helpers/cli.js';
import { snapshot, world } from './helpers/fixtures.js';
import { maybe } from './helpers/hooks.js';
import { api, testServer } from './helpers/server.js';

const BIN = fileURLToPath(new URL('../../bin/hfx.js', import.meta.url));
const packOnly = (home: string) => snapshot(home, { includeState: false });
const state = (home: string) =>
  JSON.parse(readFileSync(join(home, '.hfx', 'state.json'), 'utf8')) as {
    hotfixes: { id: string; unconfirmed?: unknown }[];
    health?: string;
  };
const events = (home: string) =>
  readFileSync(join(home, '.hfx', 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; archive: string; reason?: string });

describe('hfx apply --health', () => {
  const cleanups: (() => void)[] = [];
  const suite = { after: (fn: () => void) => cleanups.push(fn) };
  after(() => cleanups.forEach((c) => c()));

  const setup = async () => {
    const w = await world(suite);
    const zip = await w.hotfix('HF-H-1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'));
    return { w, zip, before: packOnly(w.home) };
  };

  test('a passing check confirms the hotfix; it sees HFX_HOTFIX_ID and HFX_HOME, and runs in the pack', async () => {
    const { w, zip } = await setup();
    const r = await hfx([
      'apply',
      zip,
      '--home',
      w.home,
      '--health',
      'echo "$HFX_HOTFIX_ID $HFX_HOME $(pwd)" > ../seen',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json.health.ok, true);
    assert.equal(readFileSync(join(w.home, 'lib/core.jar'), 'utf8'), 'fixed\n');
    assert.equal(readFileSync(join(w.home, '..', 'seen'), 'utf8').trim(), `HF-H-1 ${w.home} ${w.home}`);
    assert.equal(state(w.home).hotfixes[0]!.unconfirmed, undefined, 'confirmed');
  });

  test('a failing check reverts in the same command: exit 11, the pack byte for byte as before, the revert recorded with its reason', async () => {
    const { w, zip, before } = await setup();
    const r = await hfx([
      'apply',
      zip,
      '--home',
      w.home,
      '--health',
      'echo starting; echo "port 9443 refused" >&2; exit 3',
      '--json',
    ]);
    assert.equal(r.code, 11, r.stdout);
    assert.equal(r.json.error.code, 'HFX_E_HEALTH');
    assert.equal(r.json.error.details.health.exitCode, 3);
    assert.match(r.json.error.details.health.tail, /port 9443 refused/);
    assert.deepEqual(packOnly(w.home), before);
    assert.deepEqual(state(w.home).hotfixes, []);
    const ev = events(w.home);
    assert.deepEqual(
      ev.map((e) => e.kind),
      ['applied', 'reverted'],
    );
    assert.match(ev[1]!.reason!, /^health check failed \(exit 3\): port 9443 refused$/);
  });

  test('a check that does not finish in --health-timeout is killed, with what it started, and counts as failed', async () => {
    const { w, zip, before } = await setup();
    const t0 = Date.now();
    const r = await hfx([
      'apply',
      zip,
      '--home',
      w.home,
      '--health',
      'sleep 30 & sleep 30',
      '--health-timeout',
      '300ms',
      '--json',
    ]);
    assert.equal(r.json.error.code, 'HFX_E_HEALTH');
    assert.equal(r.json.error.details.health.timedOut, true);
    assert.ok(Date.now() - t0 < 10_000);
    assert.deepEqual(packOnly(w.home), before);
  });

  test('--health-retries: a check that passes on its second try keeps the hotfix', async () => {
    const { w, zip } = await setup();
    const counter = join(w.dir, 'tries');
    const r = await hfx([
      'apply',
      zip,
      '--home',
      w.home,
      '--health',
      `echo x >> ${counter}; [ $(wc -l < ${counter}) -ge 2 ]`,
      '--health-retries',
      '1',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json.health.attempts, 2);
    assert.equal(state(w.home).hotfixes.length, 1);
  });

  test('usage: a bad timeout, or retries without a check, is refused before anything is done', async () => {
    const { w, zip, before } = await setup();
    assert.equal(
      (await hfx(['apply', zip, '--home', w.home, '--health', 'true', '--health-timeout', 'soon', '--json'])).json.error
        .code,
      'HFX_E_USAGE',
    );
    assert.equal(
      (await hfx(['apply', zip, '--home', w.home, '--health-retries', '2', '--json'])).json.error.code,
      'HFX_E_USAGE',
    );
    assert.deepEqual(packOnly(w.home), before);
  });

  test('kill -9 at random moments during the check: the hotfix is left unconfirmed and recovery reverts it, the pack as before', async () => {
    for (const delayMs of [0, 150, 600]) {
      const { w, zip, before } = await setup();
      const started = join(w.dir, 'started');
      const child = spawn(
        process.execPath,
        [BIN, 'apply', zip, '--home', w.home, '--health', `touch ${started}; sleep 30`],
        { stdio: 'ignore' },
      );
      const exited = new Promise((r) => child.once('exit', r));
      for (let i = 0; i < 200 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(existsSync(started), 'the check ran');
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await exited;
      assert.ok(state(w.home).hotfixes[0]?.unconfirmed, 'applied, unconfirmed');
      const rec = await hfx(['recover', '--home', w.home, '--json']);
      assert.equal(rec.code, 0, rec.stdout);
      assert.match(rec.json.operation, /unconfirmed/);
      assert.deepEqual(packOnly(w.home), before, `after a kill ${delayMs} ms into the check`);
      assert.deepEqual(state(w.home).hotfixes, []);
    }
  });

  test('any later command recovers first: an unconfirmed hotfix is reverted before it runs', async () => {
    const { w, zip, before } = await setup();
    const started = join(w.dir, 'started');
    const child = spawn(
      process.execPath,
      [BIN, 'apply', zip, '--home', w.home, '--health', `touch ${started}; sleep 30`],
      { stdio: 'ignore' },
    );
    const exited = new Promise((r) => child.once('exit', r));
    for (let i = 0; i < 200 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await exited;
    // The apply again, without a check this time: the unconfirmed one goes first, then this applies.
    const again = await hfx(['apply', zip, '--home', w.home, '--json']);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.json.recovered.operation, /unconfirmed/);
    assert.notDeepEqual(packOnly(w.home), before);
    assert.equal(state(w.home).hotfixes[0]!.unconfirmed, undefined);
  });
});

describe('hfx update --health', () => {
  const cleanups: (() => void)[] = [];
  const suite = { after: (fn: () => void) => cleanups.push(fn) };
  after(() => cleanups.forEach((c) => c()));
  const stateText = (home: string) => readFileSync(join(home, '.hfx', 'state.json'), 'utf8');

  // A hotfix applied, and an update that includes it (and changes one more file): the update
  // reverts the hotfix for itself, so undoing the update must bring the hotfix back.
  const setup = async () => {
    const w = await world(suite);
    const hf = await w.hotfix('HF-U1', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'));
    assert.equal((await hfx(['apply', hf, '--home', w.home])).code, 0);
    const upd = await w.hotfix(
      'U-1',
      (d) => {
        writeFileSync(join(d, 'lib/core.jar'), 'fixed\n');
        writeFileSync(join(d, 'lib/util.jar'), 'level 1\n');
      },
      { kind: 'update', toLevel: 1, includes: ['HF-U1'] },
    );
    return { w, upd, pack: packOnly(w.home), state: stateText(w.home) };
  };

  test('a passing check commits the update; the check sees HFX_UPDATE_ID with the new files in place', async () => {
    const { w, upd } = await setup();
    const r = await hfx([
      'update',
      upd,
      '--home',
      w.home,
      '--health',
      'echo "$HFX_UPDATE_ID $(cat lib/util.jar)" > ../seen',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json.health.ok, true);
    assert.equal(readFileSync(join(w.home, '..', 'seen'), 'utf8').trim(), 'U-1 level 1');
    assert.equal(JSON.parse(stateText(w.home)).level, 1);
  });

  test('a failing check undoes the whole update: exit 11, the pack and the state byte for byte as before, the hotfix back', async () => {
    const { w, upd, pack, state: before } = await setup();
    const r = await hfx(['update', upd, '--home', w.home, '--health', 'echo "db down" >&2; exit 4', '--json']);
    assert.equal(r.code, 11, r.stdout);
    assert.equal(r.json.error.code, 'HFX_E_HEALTH');
    assert.deepEqual(r.json.error.details.applied, ['U-1']);
    assert.deepEqual(packOnly(w.home), pack);
    assert.equal(stateText(w.home), before);
    assert.ok(existsSync(join(w.home, '.hfx', 'applied', 'HF-U1')), "the hotfix's record is kept");
    assert.ok(!existsSync(join(w.home, '.hfx', 'applied', 'U-1')), "the update's record is gone");
    const ev = events(w.home);
    assert.deepEqual(
      ev.map((e) => `${e.kind} ${e.archive}`),
      ['applied HF-U1', 'updated U-1', 'reverted U-1'],
    );
    assert.match(ev[2]!.reason!, /^health check failed \(exit 4\): db down$/);
    // And the hotfix can still be reverted as usual.
    assert.equal((await hfx(['revert', 'HF-U1', '--home', w.home])).code, 0);
  });

  test('kill -9 during the check: the next command undoes the update, the pack and state as before', async () => {
    for (const next of ['recover', 'update again']) {
      const { w, upd, pack, state: before } = await setup();
      const started = join(w.dir, 'started');
      const child = spawn(
        process.execPath,
        [BIN, 'update', upd, '--home', w.home, '--health', `touch ${started}; sleep 30`],
        { stdio: 'ignore' },
      );
      const exited = new Promise((r) => child.once('exit', r));
      for (let i = 0; i < 200 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(existsSync(started), 'the check ran');
      assert.equal(
        readFileSync(join(w.home, 'lib/util.jar'), 'utf8'),
        'level 1\n',
        'the update is in place during the check',
      );
      child.kill('SIGKILL');
      await exited;
      if (next === 'update again') {
        // Any command that changes the installation recovers first: the held update is undone, then this one runs.
        const again = await hfx(['update', upd, '--home', w.home, '--json']);
        assert.equal(again.code, 0, again.stdout);
        assert.equal(again.json.recovered.action, 'rolled-back');
        assert.match(again.json.recovered.operation, /health check never finished/);
        assert.deepEqual(again.json.reverted, ['HF-U1'], 'the hotfix was back, and the update reverted it again');
        continue;
      }
      const rec = await hfx(['recover', '--home', w.home, '--json']);
      assert.equal(rec.code, 0, rec.stdout);
      assert.equal(rec.json.action, 'rolled-back');
      assert.match(rec.json.operation, /health check never finished/);
      assert.deepEqual(packOnly(w.home), pack);
      assert.equal(JSON.parse(stateText(w.home)).level, 0);
      assert.deepEqual(
        JSON.parse(stateText(w.home)).hotfixes.map((h: { id: string }) => h.id),
        ['HF-U1'],
      );
      assert.equal(stateText(w.home), before);
    }
  });

  test('a failing check whose undo fails too: HFX_E_RECOVERY, nothing committed, the journal kept; once the cause is fixed, hfx recover undoes it', async () => {
    const { w, upd, pack, state: before } = await setup();
    // The check moves lib/ away and leaves a file in its place: the undo cannot put the old files back.
    const r = await hfx([
      'update',
      upd,
      '--home',
      w.home,
      '--health',
      'mv lib lib.away && touch lib && exit 4',
      '--json',
    ]);
    assert.equal(r.code, 8, r.stdout);
    assert.equal(r.json.error.code, 'HFX_E_RECOVERY');
    assert.match(
      r.json.error.message,
      /^update U-1 \(level 0 → 1\) failed its health check and undoing it failed: ENOTDIR/,
    );
    assert.match(r.json.error.hint, /hfx recover/);
    assert.equal(stateText(w.home), before, 'the update was not committed');
    assert.ok(existsSync(join(w.home, '.hfx', 'journal.json')), 'the journal is kept for hfx recover');
    const refused = await hfx(['recover', '--home', w.home, '--json']);
    assert.equal(refused.json.error.code, 'HFX_E_RECOVERY', 'while the cause is there, recovery fails the same way');
    assert.equal(stateText(w.home), before);
    rmSync(join(w.home, 'lib'));
    renameSync(join(w.home, 'lib.away'), join(w.home, 'lib'));
    const rec = await hfx(['recover', '--home', w.home, '--json']);
    assert.equal(rec.code, 0, rec.stdout);
    assert.equal(rec.json.action, 'rolled-back');
    assert.deepEqual(packOnly(w.home), pack, 'the hotfix and the old files are back');
    assert.equal(stateText(w.home), before);
  });

  test('--revert with --health is refused', async () => {
    const { w, pack } = await setup();
    const r = await hfx(['update', '--revert', '--home', w.home, '--health', 'true', '--json']);
    assert.equal(r.json.error.code, 'HFX_E_USAGE');
    assert.deepEqual(packOnly(w.home), pack);
  });
});

describe('health checks from the server', () => {
  let s: Awaited<ReturnType<typeof testServer>>;
  const cleanups: (() => void)[] = [];
  const suite = { after: (fn: () => void) => cleanups.push(fn) };
  let admin = '';
  let token = '';
  before(async () => {
    s = await testServer();
    admin = (await api(s.url, 'POST', '/v1/login', null, { username: 'admin', password: s.adminPassword })).body.token;
    await api(s.url, 'POST', '/v1/customers', admin, { id: 'acme', name: 'ACME' });
    token = (await api(s.url, 'POST', '/v1/customers/acme/tokens', admin, { name: 'prod' })).body.token;
  });
  after(async () => {
    await maybe(s)?.dispose();
    cleanups.forEach((c) => c());
  });

  test("hfx init --health is the product's check for apply --server; a failure is reverted and reported, with its reason, to the fleet view", async () => {
    const w = await world(suite);
    await api(s.url, 'POST', '/v1/publisher-keys', admin, { name: 'vendor', publicKey: readFileSync(w.pub, 'utf8') });
    const zip = await w.hotfix('HF-H-SRV', (d) => writeFileSync(join(d, 'lib/core.jar'), 'fixed\n'));
    assert.equal((await api(s.url, 'POST', '/v1/archives', admin, new Uint8Array(readFileSync(zip)))).status, 201);
    // A fresh pack declared with its check (the world's own was adopted without one).
    const { cpSync, rmSync } = await import('node:fs');
    const home = join(w.dir, 'declared');
    cpSync(join(w.dir, 'pristine'), home, { recursive: true });
    rmSync(join(home, '.hfx'), { recursive: true, force: true });
    assert.equal(
      (
        await hfx([
          'init',
          '--home',
          home,
          '--product',
          'demo',
          '--version',
          '1.0.0',
          '--health',
          'echo "login page 500" >&2; exit 1',
        ])
      ).code,
      0,
    );
    assert.equal(state(home).health, 'echo "login page 500" >&2; exit 1');
    await hfx(['trust', 'add', w.pub, '--home', home]);
    const env = { HFX_CONFIG_DIR: join(w.dir, 'cfg'), NO_COLOR: '1' };
    assert.equal(
      (await hfx(['login', s.url, '--token', token, '--home', home, '--root', s.rootFile], { env })).code,
      0,
    );
    assert.equal((await hfx(['state', '--report', '--home', home], { env })).code, 0);
    const before = packOnly(home);
    const r = await hfx(['apply', 'HF-H-SRV', '--server', '--home', home, '--json'], { env });
    assert.equal(r.json.error?.code, 'HFX_E_HEALTH', r.stdout);
    assert.deepEqual(packOnly(home), before);
    const spread = (await api(s.url, 'GET', '/v1/fleet/hotfixes/HF-H-SRV', admin)).body;
    assert.deepEqual(spread.applied, []);
    assert.match(spread.reverted[0].reason, /health check failed \(exit 1\): login page 500/);
  });
});
