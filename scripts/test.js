#!/usr/bin/env node
// `npm test`: everything the suites need, on a fresh Debian machine, from one command. It is plain
// JavaScript because it runs before the TypeScript build. It installs the Debian packages the tests
// call (as root; otherwise it says which `sudo apt-get` to run), starts a throwaway PostgreSQL and a
// docker-registry on free loopback ports, builds, runs node:test, and always stops what it started.
// The small functions are exported for test/test-runner.test.ts; importing this file runs nothing.
import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PG_ROOT = '/usr/lib/postgresql';
const CHROMIUM = '/usr/bin/chromium';
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

/**
 * The Debian packages the suites use, each found by what it provides (grep test/ for the tools).
 * `skip(env)` is true when the environment makes the package unnecessary.
 * @typedef {NodeJS.ProcessEnv} Env
 * @type {{ pkg: string, provides: string, why: string, command?: string, postgres?: true, chromium?: true, skip?: (env: Env) => boolean }[]}
 */
export const PACKAGES = [
  {
    pkg: 'postgresql',
    provides: 'initdb',
    postgres: true,
    why: 'the server suites on PostgreSQL',
    skip: (env) => !!env['HFX_TEST_DATABASE_URL'],
  },
  {
    pkg: 'docker-registry',
    provides: 'docker-registry',
    command: 'docker-registry',
    why: 'image pushes (image.test.ts starts one with auth itself)',
  },
  { pkg: 'skopeo', provides: 'skopeo', command: 'skopeo', why: 'image.test.ts inspects and copies images' },
  { pkg: 'umoci', provides: 'umoci', command: 'umoci', why: 'image.test.ts unpacks images' },
  { pkg: 'apache2-utils', provides: 'htpasswd', command: 'htpasswd', why: 'the registry with basic auth' },
  // HFX_CHROMIUM names another browser (test/helpers/browser.ts): then the package is not the remedy.
  {
    pkg: 'chromium',
    provides: CHROMIUM,
    chromium: true,
    why: 'dashboard.test.ts',
    skip: (env) => !!env['HFX_CHROMIUM'],
  },
  { pkg: 'git', provides: 'git', command: 'git', why: 'the git hotfix suites' },
  { pkg: 'unzip', provides: 'unzip', command: 'unzip', why: 'security-bodies.test.ts and the README walkthrough' },
  { pkg: 'tar', provides: 'tar', command: 'tar', why: 'e2e-npm.test.ts unpacks the npm tarball' },
];

/** The path of an executable `name` on PATH (a string as in the environment), or null. */
export function findCommand(name, path) {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** The newest PostgreSQL under pgRoot (Debian's /usr/lib/postgresql/VERSION/bin), or null. */
export function postgresBin(pgRoot = PG_ROOT) {
  let versions;
  try {
    versions = readdirSync(pgRoot);
  } catch {
    return null;
  }
  const ok = versions
    .filter((v) => existsSync(join(pgRoot, v, 'bin', 'initdb')))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  return ok[0] === undefined ? null : { version: ok[0], bin: join(pgRoot, ok[0], 'bin') };
}

/**
 * Which of PACKAGES are there and which are missing, looking only at `env.PATH`, `pgRoot` and `chromium`.
 * @returns {{ found: { pkg: string, at: string }[], missing: { pkg: string, provides: string, why: string }[], skipped: string[] }}
 */
export function checkPackages({ env = process.env, pgRoot = PG_ROOT, chromium = CHROMIUM } = {}) {
  const found = [];
  const missing = [];
  const skipped = [];
  for (const p of PACKAGES) {
    if (p.skip?.(env)) {
      skipped.push(p.pkg);
      continue;
    }
    let at = null;
    if (p.postgres) at = postgresBin(pgRoot)?.bin ?? null;
    else if (p.command) at = findCommand(p.command, env['PATH']);
    else if (p.chromium) at = existsSync(chromium) ? chromium : null;
    if (at) found.push({ pkg: p.pkg, at });
    else missing.push({ pkg: p.pkg, provides: p.provides, why: p.why });
  }
  return { found, missing, skipped };
}

/** The apt-get command lines that install `pkgs` (root runs them; others are shown the second with sudo). */
export function aptCommands(pkgs) {
  return { update: ['apt-get', 'update'], install: ['apt-get', 'install', '-y', '--no-install-recommends', ...pkgs] };
}

/**
 * Makes sure the packages are there: as root (uid 0) installs the missing ones with `run`; as anyone
 * else prints the sudo command. Returns 0 when everything is there, 1 when the tests cannot run.
 */
export async function ensurePackages({
  env = process.env,
  uid = process.getuid?.() ?? -1,
  pgRoot = PG_ROOT,
  chromium = CHROMIUM,
  log = say,
  run = spawnRun,
} = {}) {
  const first = checkPackages({ env, pgRoot, chromium });
  const skipped = first.skipped.length
    ? `; not needed: ${first.skipped.join(', ')} (HFX_TEST_DATABASE_URL / HFX_CHROMIUM set)`
    : '';
  if (first.missing.length === 0) {
    log(`packages: all there (${first.found.map((f) => `${f.pkg} ${f.at}`).join(', ')})${skipped}`);
    return 0;
  }
  const names = first.missing.map((m) => m.pkg);
  const what = first.missing.map((m) => `${m.pkg} (${m.provides}: ${m.why})`).join(', ');
  const { update, install } = aptCommands(names);
  if (uid !== 0) {
    log(`packages: missing ${what}`);
    log(`packages: install them with this command, then run npm test again:\n\n    sudo ${install.join(' ')}\n`);
    return 1;
  }
  log(`packages: missing ${what}; as root, installing them: ${update.join(' ')} && ${install.join(' ')}`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [update, install]) {
    const code = await run(argv[0], argv.slice(1), { env: aptEnv });
    if (code !== 0) {
      log(
        `packages: ${argv.join(' ')} failed (exit ${code}); install ${names.join(' ')} yourself and run npm test again`,
      );
      return 1;
    }
  }
  const after = checkPackages({ env, pgRoot, chromium });
  if (after.missing.length) {
    log(
      `packages: still missing after apt-get install: ${after.missing.map((m) => `${m.pkg} (${m.provides})`).join(', ')}`,
    );
    return 1;
  }
  log(`packages: installed ${names.join(', ')}`);
  return 0;
}

/** A port no one listens on now: the OS picks one for port 0, we note it and close. */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The node --test command line: arguments after `npm test --` are test files, or node options when they start with `-`. */
export function testArgs(argv) {
  const options = argv.filter((a) => a.startsWith('-'));
  const files = argv.filter((a) => !a.startsWith('-'));
  return ['--test', '--test-concurrency=2', ...options, ...(files.length ? files : ['dist/test/'])];
}

function say(line) {
  process.stderr.write(`hfx test: ${line}\n`);
}

/** Runs a command, output streamed (or, with quiet, kept and returned), resolving to its exit code (128+n on a signal). */
export function spawnRun(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ?? process.env,
      stdio: opts.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let out = '';
    if (opts.quiet) {
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
    }
    opts.onChild?.(child);
    child.once('error', (e) => {
      out += String(e.message);
      resolve(127);
    });
    child.once('close', (code, signal) => {
      if (opts.output) opts.output.text = out;
      resolve(code ?? 128 + (SIGNALS[signal] ?? 9));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The status of a GET, or 0 when nothing answers; on a connection of its own, so none is kept alive to a server we stop. */
function httpStatus(url) {
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}
const secondsSince = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;

function maskedUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * A throwaway PostgreSQL on a free loopback port, data in a temp dir, fsync off. As root it runs as
 * the `postgres` user (initdb refuses root). Returns its URL and stop(), which also removes the dir.
 */
export async function startPostgres({
  uid = process.getuid?.() ?? -1,
  pgRoot = PG_ROOT,
  env = process.env,
  log = say,
  run = spawnRun,
  cancelled = () => false,
} = {}) {
  const pg = postgresBin(pgRoot);
  if (!pg) throw new Error(`no initdb under ${pgRoot}/*/bin (Debian package postgresql)`);
  const dir = mkdtempSync(join(tmpdir(), 'hfx-pg-'));
  const data = join(dir, 'data');
  const asRoot = uid === 0;
  const runuser =
    findCommand('runuser', env['PATH']) ??
    ['/usr/sbin/runuser', '/sbin/runuser'].find((f) => existsSync(f)) ??
    'runuser';
  // cwd is the temp dir: the postgres user may not be allowed into the checkout.
  const as = async (cmd, args, what) => {
    const output = { text: '' };
    const argv = asRoot ? [runuser, ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    const code = await run(argv[0], argv[1], { cwd: dir, env, quiet: true, output });
    if (code !== 0) throw new Error(`${what} failed (exit ${code}): ${output.text.trim()}`);
  };
  let started = false;
  const stop = async () => {
    if (started) {
      try {
        await as(join(pg.bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], 'pg_ctl stop');
      } catch (e) {
        // Ctrl-C at a terminal reaches the postmaster too, which may already have shut down.
        if (!/no server running|Is server running|PID file .* does not exist/i.test(String(e)))
          log(`PostgreSQL: ${String(e)}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (asRoot) {
      const code = await run('chown', ['postgres:postgres', dir], { quiet: true });
      if (code !== 0)
        throw new Error('chown postgres: failed (no postgres user? it comes with the postgresql package)');
    }
    await as(
      join(pg.bin, 'initdb'),
      ['-D', data, '-A', 'trust', '-U', 'hfx', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
      'initdb',
    );
    // The port is free when asked but another process may take it before postgres binds: try again.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const opts =
        `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} ` +
        '-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200';
      try {
        started = true;
        await as(
          join(pg.bin, 'pg_ctl'),
          ['-D', data, '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'],
          'pg_ctl start',
        );
      } catch (e) {
        started = false;
        const serverLog = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
        if (attempt < 3 && /could not bind|address already in use/i.test(serverLog) && !cancelled()) continue;
        throw new Error(`${String(e)}\n${serverLog}`);
      }
      // pg_ctl -w watched the socket file; the tests come over TCP, so wait for that to answer.
      const deadline = Date.now() + 30_000;
      while (
        (await run(
          join(pg.bin, 'pg_isready'),
          ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'hfx', '-d', 'postgres'],
          { quiet: true },
        )) !== 0
      ) {
        if (Date.now() > deadline || cancelled())
          throw new Error(`PostgreSQL on 127.0.0.1:${port} does not answer; see ${join(dir, 'log')}`);
        await sleep(100);
      }
      return {
        url: `postgres://hfx@127.0.0.1:${port}/postgres`,
        port,
        dir,
        version: pg.version,
        user: asRoot ? 'postgres' : 'the current user',
        stop,
      };
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Debian's docker-registry on a free loopback port, storage in a temp dir, no auth (the image tests start their own for auth). */
export async function startRegistry({ env = process.env, log = say, cancelled = () => false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hfx-registry-'));
  let child = null;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      let timer;
      const late = new Promise((r) => (timer = setTimeout(() => r(false), 5000)));
      const inTime = await Promise.race([exited.then(() => true), late]);
      clearTimeout(timer);
      if (!inTime) {
        log('registry: no exit 5 s after SIGTERM, killing it');
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const config = join(dir, 'config.yml');
      const storage = `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\n`;
      writeFileSync(config, `version: 0.1\nlog:\n  level: warn\n${storage}http:\n  addr: 127.0.0.1:${port}\n`);
      const out = openSync(join(dir, 'log'), 'w');
      child = spawn('docker-registry', ['serve', config], { cwd: dir, env, stdio: ['ignore', out, out] });
      closeSync(out);
      const spawned = child;
      const failed = new Promise((r) => spawned.once('error', (e) => r(e)));
      const host = `127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      let up = false;
      while (!up) {
        const err = await Promise.race([failed, sleep(0).then(() => null)]);
        if (err) throw new Error(`docker-registry: ${String(err)}`);
        if (spawned.exitCode !== null || spawned.signalCode !== null || Date.now() > deadline || cancelled()) break;
        up = (await httpStatus(`http://${host}/v2/`)) === 200;
        if (!up) await sleep(100);
      }
      if (up) return { host, port, dir, pid: spawned.pid, stop };
      const text = readFileSync(join(dir, 'log'), 'utf8');
      if (spawned.exitCode !== null && attempt < 3 && /address already in use/i.test(text) && !cancelled()) continue;
      throw new Error(`docker-registry did not start on ${host}: ${text.trim()}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The whole `npm test`. What it depends on outside is a parameter (PATH through env, uid, where
 * PostgreSQL and chromium are, how commands run, where signals come from), so the tests can run it
 * with an empty PATH, another uid or a pretend signal. Resolves to the exit code.
 */
export async function main({
  argv = process.argv.slice(2),
  env = process.env,
  uid = process.getuid?.() ?? -1,
  pgRoot = PG_ROOT,
  chromium = CHROMIUM,
  log = say,
  run = spawnRun,
  signals = process,
} = {}) {
  const t0 = Date.now();
  let signalled = null;
  let current = null;
  const stops = [];
  const onSignal = (sig) => {
    // A second signal means: do not wait for the tests to finish cleaning up.
    if (signalled) current?.kill('SIGKILL');
    else current?.kill(sig);
    signalled = sig;
    log(`${sig}: stopping${current ? ' the running step' : ''}, then what was started`);
  };
  const handlers = Object.keys(SIGNALS).map((sig) => [sig, () => onSignal(sig)]);
  for (const [sig, h] of handlers) signals.on(sig, h);
  const step = (cmd, args, opts = {}) =>
    run(cmd, args, { ...opts, onChild: (c) => (current = c) }).finally(() => (current = null));
  const cancelled = () => signalled !== null;
  const exitCode = (code) => (signalled ? 128 + SIGNALS[signalled] : code);
  try {
    const packages = await ensurePackages({ env, uid, pgRoot, chromium, log, run: step });
    if (packages !== 0 || cancelled()) return exitCode(packages);

    const testEnv = { ...env };
    if (env['HFX_TEST_DATABASE_URL'])
      log(`PostgreSQL: using HFX_TEST_DATABASE_URL=${maskedUrl(env['HFX_TEST_DATABASE_URL'])}`);
    else {
      const t = Date.now();
      const pg = await startPostgres({ uid, pgRoot, env, log, run, cancelled });
      stops.push(async () => {
        await pg.stop();
        log(`PostgreSQL: stopped, removed ${pg.dir}`);
      });
      testEnv['HFX_TEST_DATABASE_URL'] = pg.url;
      log(
        `PostgreSQL ${pg.version}: started as ${pg.user} on 127.0.0.1:${pg.port} (data in ${pg.dir}, fsync off) in ${secondsSince(t)}`,
      );
    }
    if (cancelled()) return exitCode(1);
    if (env['HFX_TEST_REGISTRY']) log(`registry: using HFX_TEST_REGISTRY=${env['HFX_TEST_REGISTRY']}`);
    else {
      const t = Date.now();
      const reg = await startRegistry({ env, log, cancelled });
      stops.push(async () => {
        await reg.stop();
        log(`registry: stopped (pid ${reg.pid}), removed ${reg.dir}`);
      });
      testEnv['HFX_TEST_REGISTRY'] = reg.host;
      log(
        `registry: docker-registry started on ${reg.host} (pid ${reg.pid}, storage in ${reg.dir}) in ${secondsSince(t)}`,
      );
    }
    log(`set-up took ${secondsSince(t0)}`);
    if (cancelled()) return exitCode(1);

    // Under npm, npm_execpath is the npm that runs us; elsewhere the one on PATH.
    const npm = env['npm_execpath']
      ? [process.execPath, [env['npm_execpath'], 'run', 'build']]
      : ['npm', ['run', 'build']];
    log('build: npm run build');
    const built = await step(npm[0], npm[1], { env: testEnv });
    if (built !== 0 || cancelled()) {
      if (!cancelled()) log(`build: failed (exit ${built})`);
      return exitCode(built || 1);
    }
    // The lint gate (ESLint, Prettier, both type checks) runs with the whole suite, not with the
    // files a developer names after `npm test --`; its failure fails the run after the suites ran.
    let linted = 0;
    if (!argv.some((a) => !a.startsWith('-'))) {
      const lint = env['npm_execpath']
        ? [process.execPath, [env['npm_execpath'], 'run', 'lint']]
        : ['npm', ['run', 'lint']];
      const t = Date.now();
      log('lint: npm run lint');
      linted = await step(lint[0], lint[1], { env: testEnv });
      log(`lint: ${linted === 0 ? 'clean' : `failed (exit ${linted})`} in ${secondsSince(t)}`);
      if (cancelled()) return exitCode(1);
    }
    const args = testArgs(argv);
    const servers = `HFX_TEST_DATABASE_URL=${maskedUrl(testEnv['HFX_TEST_DATABASE_URL'] ?? '')} HFX_TEST_REGISTRY=${testEnv['HFX_TEST_REGISTRY']}`;
    log(`tests: node ${args.join(' ')} (${servers})`);
    const code = await step(process.execPath, args, { env: testEnv });
    log(`tests: exit ${code} after ${secondsSince(t0)}`);
    if (code === 0 && linted !== 0)
      log('lint: the suites passed, but the lint gate did not: run `npm run lint` and fix what it says');
    return exitCode(code || linted);
  } catch (e) {
    log(`failed: ${e instanceof Error ? e.message : String(e)}`);
    return exitCode(1);
  } finally {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (e) {
        log(`clean-up: ${String(e)}`);
      }
    }
    for (const [sig, h] of handlers) signals.off(sig, h);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
