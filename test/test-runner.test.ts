// scripts/test.js, what `npm test` runs: its package detection, the advice and the exit code when
// a non-root user lacks packages, the apt-get calls as root, free ports, the command lines, and that
// what it starts is stopped again. Commands that would install or run the suites are recorded, never run.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

type Env = Record<string, string | undefined>;
interface RunOptions {
  env?: Env;
  cwd?: string;
  quiet?: boolean;
  onChild?: (c: { kill(sig: string): void }) => void;
}
type Run = (cmd: string, args: string[], opts?: RunOptions) => Promise<number>;
interface Found {
  found: { pkg: string; at: string }[];
  missing: { pkg: string; provides: string; why: string }[];
  skipped: string[];
}
interface Common {
  env: Env;
  uid: number;
  pgRoot?: string;
  chromium?: string;
  log: (line: string) => void;
  run?: Run;
}
interface Started {
  dir: string;
  port: number;
  stop(): Promise<void>;
}

// Not a TypeScript module: the runner must work before the build, so it is imported by URL, typed here.
const runner = (await import(new URL('../../scripts/test.js', import.meta.url).href)) as {
  PACKAGES: { pkg: string; provides: string }[];
  freePort(host?: string): Promise<number>;
  findCommand(name: string, path: string | undefined): string | null;
  postgresBin(pgRoot: string): { version: string; bin: string } | null;
  checkPackages(o: { env: Env; pgRoot: string; chromium: string }): Found;
  ensurePackages(o: Common): Promise<number>;
  testArgs(argv: string[]): string[];
  spawnRun: Run;
  startPostgres(o: Common): Promise<Started & { url: string }>;
  startRegistry(o: { env: Env; log: (line: string) => void }): Promise<Started & { host: string; pid: number }>;
  main(o: Common & { argv: string[]; signals?: EventEmitter }): Promise<number>;
};

const W = mkdtempSync(join(tmpdir(), 'hfx-test-runner-'));
after(() => rmSync(W, { recursive: true, force: true }));
let n = 0;

const ALL = ['postgresql', 'docker-registry', 'skopeo', 'umoci', 'apache2-utils', 'chromium', 'git', 'unzip', 'tar'];
const COMMANDS = ['docker-registry', 'skopeo', 'umoci', 'htpasswd', 'git', 'unzip', 'tar'];

function executable(path: string): void {
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
}

/** A machine of our own making: a PATH directory, a /usr/lib/postgresql and a chromium, with what `have` names. */
function machine(have: string[]): { bin: string; pgRoot: string; chromium: string; env: Env } {
  const d = join(W, `m${++n}`);
  const bin = join(d, 'bin');
  const pgRoot = join(d, 'postgresql');
  mkdirSync(bin, { recursive: true });
  mkdirSync(pgRoot);
  for (const c of COMMANDS) if (have.includes(c)) executable(join(bin, c));
  if (have.includes('initdb')) {
    mkdirSync(join(pgRoot, '15', 'bin'), { recursive: true });
    executable(join(pgRoot, '15', 'bin', 'initdb'));
  }
  const chromium = join(d, 'chromium');
  if (have.includes('chromium')) executable(chromium);
  return { bin, pgRoot, chromium, env: { PATH: bin } };
}
const EVERYTHING = [...COMMANDS, 'initdb', 'chromium'];

function recorder(
  onCall: (cmd: string, args: string[], opts: Parameters<Run>[2]) => number | Promise<number> = () => 0,
) {
  const calls: { cmd: string; args: string[]; env: Env | undefined }[] = [];
  const run: Run = async (cmd, args, opts) => {
    calls.push({ cmd, args, env: opts?.env });
    return onCall(cmd, args, opts);
  };
  return { calls, run };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

test('freePort: a loopback port the OS gave out, free now, never one that is in use', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const taken = (busy.address() as { port: number }).port;
  try {
    const ports = await Promise.all(Array.from({ length: 20 }, () => runner.freePort()));
    for (const p of ports) assert.ok(Number.isInteger(p) && p > 0 && p < 65536 && p !== taken, `port ${p}`);
    const s = createServer();
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise((r) => s.close(r));
  } finally {
    await new Promise((r) => busy.close(r));
  }
});

test('package detection: each package found by the command or file it provides, on the PATH given', () => {
  const all = machine(EVERYTHING);
  const found = runner.checkPackages({ env: all.env, pgRoot: all.pgRoot, chromium: all.chromium });
  assert.deepEqual(found.missing, []);
  assert.deepEqual(
    found.found.map((f) => f.pkg),
    ALL,
  );
  assert.equal(found.found.find((f) => f.pkg === 'apache2-utils')?.at, join(all.bin, 'htpasswd'));
  assert.equal(found.found.find((f) => f.pkg === 'postgresql')?.at, join(all.pgRoot, '15', 'bin'));
  assert.deepEqual(
    runner.PACKAGES.map((p) => p.pkg),
    ALL,
  );

  const none = machine([]);
  const nothing = runner.checkPackages({ env: none.env, pgRoot: none.pgRoot, chromium: none.chromium });
  assert.deepEqual(
    nothing.missing.map((m) => m.pkg),
    ALL,
  );
  assert.equal(nothing.missing.find((m) => m.pkg === 'apache2-utils')?.provides, 'htpasswd');

  // A file that is not executable is not the command; a PATH entry that does not exist is skipped.
  const some = machine(EVERYTHING.filter((c) => c !== 'umoci'));
  writeFileSync(join(some.bin, 'umoci'), 'not executable');
  const pkgs = runner.checkPackages({
    env: { PATH: `/nonexistent:${some.bin}` },
    pgRoot: some.pgRoot,
    chromium: some.chromium,
  });
  assert.deepEqual(
    pkgs.missing.map((m) => m.pkg),
    ['umoci'],
  );

  // Someone else's PostgreSQL or browser: those packages are not needed.
  const theirs = { ...none.env, HFX_TEST_DATABASE_URL: 'postgres://x@h/db', HFX_CHROMIUM: '/x' };
  const mine = runner.checkPackages({ env: theirs, pgRoot: none.pgRoot, chromium: none.chromium });
  assert.deepEqual(mine.skipped, ['postgresql', 'chromium']);
  assert.deepEqual(
    mine.missing.map((m) => m.pkg),
    ALL.filter((p) => p !== 'postgresql' && p !== 'chromium'),
  );
});

test('postgresBin: the newest version under /usr/lib/postgresql that has an initdb', () => {
  const d = join(W, 'pg-versions');
  for (const v of ['9.6', '15', '16']) mkdirSync(join(d, v, 'bin'), { recursive: true });
  executable(join(d, '9.6', 'bin', 'initdb'));
  executable(join(d, '15', 'bin', 'initdb'));
  assert.deepEqual(runner.postgresBin(d), { version: '15', bin: join(d, '15', 'bin') });
  assert.equal(runner.postgresBin(join(W, 'no-such-dir')), null);
});

test('not root and a package missing: prints the one sudo apt-get command, exits 1, runs nothing', async () => {
  const none = machine([]);
  const lines: string[] = [];
  const { calls, run } = recorder();
  const log = (l: string) => lines.push(l);
  const code = await runner.main({
    argv: [],
    env: none.env,
    uid: 1000,
    pgRoot: none.pgRoot,
    chromium: none.chromium,
    log,
    run,
  });
  assert.equal(code, 1);
  assert.deepEqual(calls, [], 'neither apt-get, a server, the build nor the tests ran');
  const out = lines.join('\n');
  assert.match(out, new RegExp(`^ +sudo apt-get install -y --no-install-recommends ${ALL.join(' ')}$`, 'm'));
  assert.equal(out.match(/apt-get install/g)?.length, 1, out);

  // Only what is missing is named.
  const most = machine(EVERYTHING.filter((c) => c !== 'umoci' && c !== 'htpasswd'));
  lines.length = 0;
  assert.equal(
    await runner.main({ argv: [], env: most.env, uid: 1000, pgRoot: most.pgRoot, chromium: most.chromium, log, run }),
    1,
  );
  assert.match(lines.join('\n'), /^ +sudo apt-get install -y --no-install-recommends umoci apache2-utils$/m);
  assert.deepEqual(calls, []);
});

test('root and a package missing: apt-get update, then apt-get install noninteractive, then checks again', async () => {
  const m = machine(EVERYTHING.filter((c) => c !== 'skopeo' && c !== 'git'));
  const lines: string[] = [];
  // The pretend apt-get "installs" by putting the commands on the PATH.
  const { calls, run } = recorder((_cmd, args) => {
    if (args[0] === 'install') for (const c of ['skopeo', 'git']) executable(join(m.bin, c));
    return 0;
  });
  const log = (l: string) => lines.push(l);
  assert.equal(
    await runner.ensurePackages({ env: m.env, uid: 0, pgRoot: m.pgRoot, chromium: m.chromium, log, run }),
    0,
  );
  assert.deepEqual(
    calls.map((c) => [c.cmd, ...c.args]),
    [
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', '--no-install-recommends', 'skopeo', 'git'],
    ],
  );
  for (const c of calls) assert.equal(c.env?.DEBIAN_FRONTEND, 'noninteractive');
  assert.match(lines.join('\n'), /missing skopeo .*git .*installing/);
  assert.match(lines.join('\n'), /installed skopeo, git/);

  // apt-get fails, or installs and the command is still not there: 1, saying so.
  const m2 = machine(EVERYTHING.filter((c) => c !== 'tar'));
  lines.length = 0;
  const failing = recorder(() => 100);
  assert.equal(
    await runner.ensurePackages({
      env: m2.env,
      uid: 0,
      pgRoot: m2.pgRoot,
      chromium: m2.chromium,
      log,
      run: failing.run,
    }),
    1,
  );
  assert.equal(failing.calls.length, 1);
  assert.match(lines.join('\n'), /apt-get update failed \(exit 100\)/);
  lines.length = 0;
  const idle = recorder(() => 0);
  assert.equal(
    await runner.ensurePackages({ env: m2.env, uid: 0, pgRoot: m2.pgRoot, chromium: m2.chromium, log, run: idle.run }),
    1,
  );
  assert.match(lines.join('\n'), /still missing after apt-get install: tar \(tar\)/);
});

test('testArgs: files after `npm test --` replace dist/test/, options go to node', () => {
  assert.deepEqual(runner.testArgs([]), ['--test', '--test-concurrency=2', 'dist/test/']);
  const files = ['dist/test/server.test.js', 'dist/test/cli.test.js'];
  assert.deepEqual(runner.testArgs(files), ['--test', '--test-concurrency=2', ...files]);
  assert.deepEqual(runner.testArgs(['--test-name-pattern=apply']), [
    '--test',
    '--test-concurrency=2',
    '--test-name-pattern=apply',
    'dist/test/',
  ]);
});

test('servers given in HFX_TEST_DATABASE_URL and HFX_TEST_REGISTRY: starts none, builds, runs node --test with them', async () => {
  const m = machine(EVERYTHING.filter((c) => c !== 'initdb'));
  const env = {
    ...m.env,
    HFX_TEST_DATABASE_URL: 'postgres://hfx:secret@127.0.0.1:1/postgres',
    HFX_TEST_REGISTRY: '127.0.0.1:2',
  };
  const lines: string[] = [];
  const { calls, run } = recorder((cmd) => (cmd === process.execPath ? 3 : 0));
  const log = (l: string) => lines.push(l);
  const code = await runner.main({
    argv: ['dist/test/a.test.js'],
    env,
    uid: 1000,
    pgRoot: m.pgRoot,
    chromium: m.chromium,
    log,
    run,
  });
  assert.equal(code, 3, 'the exit code of node --test');
  const nodeTest = [process.execPath, '--test', '--test-concurrency=2', 'dist/test/a.test.js'];
  assert.deepEqual(
    calls.map((c) => [c.cmd, ...c.args]),
    [['npm', 'run', 'build'], nodeTest],
  );
  assert.equal(calls[1]?.env?.HFX_TEST_DATABASE_URL, env.HFX_TEST_DATABASE_URL);
  assert.equal(calls[1].env.HFX_TEST_REGISTRY, '127.0.0.1:2');
  const out = lines.join('\n');
  assert.match(out, /using HFX_TEST_DATABASE_URL=postgres:\/\/hfx:\*\*\*@127\.0\.0\.1:1\/postgres/);
  assert.doesNotMatch(out, /secret/);
  assert.match(out, /using HFX_TEST_REGISTRY=127\.0\.0\.1:2/);
});

test('a whole run lints after the build; a lint failure fails the run, after the suites ran', async () => {
  const m = machine(EVERYTHING.filter((c) => c !== 'initdb'));
  const env = {
    ...m.env,
    HFX_TEST_DATABASE_URL: 'postgres://hfx@127.0.0.1:1/postgres',
    HFX_TEST_REGISTRY: '127.0.0.1:2',
  };
  const lines: string[] = [];
  const { calls, run } = recorder((cmd, args) => (cmd === 'npm' && args[1] === 'lint' ? 2 : 0));
  const code = await runner.main({
    argv: [],
    env,
    uid: 1000,
    pgRoot: m.pgRoot,
    chromium: m.chromium,
    log: (l: string) => lines.push(l),
    run,
  });
  assert.deepEqual(
    calls.map((c) => [c.cmd, ...c.args]),
    [
      ['npm', 'run', 'build'],
      ['npm', 'run', 'lint'],
      [process.execPath, '--test', '--test-concurrency=2', 'dist/test/'],
    ],
  );
  assert.equal(code, 2, "the lint gate's exit code, since the suites passed");
  assert.match(lines.join('\n'), /the lint gate did not: run `npm run lint`/);
});

const real = runner.postgresBin('/usr/lib/postgresql') && runner.findCommand('docker-registry', process.env.PATH);
const uid = process.getuid?.() ?? -1;

const skip = !real && 'no postgresql or docker-registry';

test(
  'a PostgreSQL and a registry on free loopback ports: they answer, and stop() leaves nothing behind',
  { skip },
  async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const [pg, reg] = await Promise.all([
      runner.startPostgres({ env: process.env, uid, log }),
      runner.startRegistry({ env: process.env, log }),
    ]);
    try {
      assert.match(pg.url, /^postgres:\/\/hfx@127\.0\.0\.1:\d+\/postgres$/);
      const pgmod = (await import('pg')).default;
      const c = new pgmod.Client({ connectionString: pg.url });
      await c.connect();
      const sql =
        "select pg_encoding_to_char(encoding) as enc, current_setting('fsync') as fsync from pg_database where datname = 'postgres'";
      const r = await c.query<{ enc: string; fsync: string }>(sql);
      await c.end();
      assert.deepEqual(r.rows[0], { enc: 'UTF8', fsync: 'off' });
      assert.equal((await fetch(`http://${reg.host}/v2/`)).status, 200);
    } finally {
      await Promise.all([pg.stop(), reg.stop()]);
    }
    assert.equal(existsSync(pg.dir), false);
    assert.equal(existsSync(reg.dir), false);
    assert.equal(alive(reg.pid), false);
    assert.equal(await refused(pg.port), true);
    assert.equal(await refused(reg.port), true);
  },
);

test(
  'SIGTERM while the tests run: they are told, then the PostgreSQL and registry it started are stopped; exit 143',
  { skip },
  async () => {
    const m = machine(EVERYTHING.filter((c) => c !== 'initdb'));
    const signals = new EventEmitter();
    const lines: string[] = [];
    const told: string[] = [];
    let during: { pg: string; registry: string } | undefined;
    // Real servers; the build and the suites are pretend: the "suites" get the signal and end on it.
    const run: Run = (cmd, args, opts) => {
      if (cmd === 'npm') return Promise.resolve(0);
      if (cmd !== process.execPath) return runner.spawnRun(cmd, args, opts);
      during = { pg: opts?.env?.HFX_TEST_DATABASE_URL ?? '', registry: opts?.env?.HFX_TEST_REGISTRY ?? '' };
      return new Promise((resolve) => {
        opts?.onChild?.({
          kill: (sig) => {
            told.push(sig);
            resolve(143);
          },
        });
        signals.emit('SIGTERM');
      });
    };
    // Ours last: only what this machine lacks comes from it.
    const env: Env = { ...process.env, PATH: `${process.env.PATH!}:${m.bin}` };
    delete env.HFX_TEST_DATABASE_URL;
    delete env.HFX_TEST_REGISTRY;
    delete env.npm_execpath;
    const code = await runner.main({
      argv: [],
      env,
      uid,
      pgRoot: '/usr/lib/postgresql',
      chromium: m.chromium,
      log: (l) => lines.push(l),
      run,
      signals,
    });
    assert.equal(code, 143, lines.join('\n'));
    assert.deepEqual(told, ['SIGTERM']);
    assert.equal(signals.listenerCount('SIGTERM'), 0, 'the handlers are gone');
    assert.ok(during);
    const pgPort = Number(new URL(during.pg).port);
    const regPort = Number(during.registry.split(':')[1]);
    assert.equal(await refused(pgPort), true);
    assert.equal(await refused(regPort), true);
    const out = lines.join('\n');
    const dirs = [...out.matchAll(/removed (\S+)/g)].map((x) => x[1]!);
    assert.equal(dirs.length, 2, out);
    for (const d of dirs) assert.equal(existsSync(d), false, d);
    assert.match(out, /SIGTERM: stopping/);
  },
);
