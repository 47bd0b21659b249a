/**
 * Server benchmark: the update check (a no-change TUF refresh: timestamp.json with an installation token) against a
 * constant JSON route of the same server, in the same run, under wrk; and a 500 MB archive
 * download against the same file served by Debian's nginx on loopback (and read with cat). See docs/server.md ("Figures").
 *
 *   node dist/bench/server.js [--store pglite|postgres] [--quick] [--json] [--duration S]
 *
 * PostgreSQL comes from --database-url, DATABASE_URL or HFX_TEST_DATABASE_URL (a fresh database
 * is created on it and dropped afterwards); without one only PGlite is measured.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseArgs as parseCliArgs } from 'node:util';
import pg from 'pg';
import { buildApp } from '../src/server/app.js';
import { BlobStore } from '../src/server/blobs.js';
import { developmentTufKeys } from '../src/server/tuf/keys-dir.js';
import { newToken } from '../src/server/auth.js';
import { openStore, type Store } from '../src/store/store.js';
import { ratio, recordFigures } from './figures.js';
import { envSetting, median, run } from './proc.js';
import { CHECK_LEVEL, PRODUCT, RELEASE, seed, seedBigArchive, type Seeded } from './server-seed.js';

type StoreKind = 'pglite' | 'postgres';

interface Args {
  stores: StoreKind[] | null;
  quick: boolean;
  json: boolean;
  duration: number | null;
  databaseUrl: string | undefined;
}

const USAGE = `Usage: node dist/bench/server.js [--store pglite|postgres] [--quick] [--json] [--duration S] [--database-url URL]

  --store S         measure only this store (default: pglite, and postgres when a URL is known)
  --quick           10x less data (10,000 installations, 100 archives), 3 s wrk runs, a 50 MB download
  --duration S      seconds of each measured wrk run (default 10; --quick 3)
  --json            one JSON document on stdout; the table goes to stderr
  --database-url U  PostgreSQL to create the bench database on (default $DATABASE_URL, then $HFX_TEST_DATABASE_URL)`;

function parseArgs(argv: string[]): Args {
  const { values: v } = parseCliArgs({
    args: argv,
    strict: true,
    options: {
      store: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      duration: { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (v.store !== undefined && v.store !== 'pglite' && v.store !== 'postgres')
    throw new Error(`--store is pglite or postgres, not ${v.store}`);
  const a: Args = {
    stores: v.store ? [v.store] : null,
    quick: v.quick,
    json: v.json,
    duration: v.duration !== undefined ? Number(v.duration) : null,
    databaseUrl: v['database-url'] ?? envSetting('DATABASE_URL', 'HFX_TEST_DATABASE_URL'),
  };
  if (a.duration !== null && !(a.duration > 0 && a.duration <= 60)) throw new Error('--duration is 1 to 60 seconds');
  return a;
}

interface WrkResult {
  label: string;
  path: string;
  rps: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  requests: number;
  /** Socket errors and non-2xx answers: either makes the run invalid. */
  errors: number;
  /** Requests without an answer within wrk's --timeout (30 s); their latency is not in p99. */
  timeouts: number;
  /** CPU cores other processes (PostgreSQL's included) used during the run. */
  otherLoad: number | null;
}

interface StoreResult {
  store: StoreKind;
  seeded: Omit<Seeded, 'token'>;
  metadataEntries: number;
  /** Bytes of a no-change TUF refresh (timestamp.json) and of a full one. */
  metadataBytes: { noChange: number; full: number };
  constant: WrkResult[];
  /** The constant route with the installation token: what authentication alone costs. */
  constantAuth: WrkResult[];
  metadata: WrkResult[];
  /** Update checks per second over constant answers per second (the goal is ≥ 0.5). */
  ratio: number;
  /** The same, over the constant route with the token. */
  ratioAuth: number;
  download: DownloadResult;
  /** Update checks while a rollout advanced every 200 ms, over the constant route; and the ms from the report that crossed a threshold to a client seeing the pause. */
  rollout: { checks: WrkResult; advances: number; ratio: number; pauseSeenMs: number };
}

interface DownloadResult {
  bytes: number;
  serverMBps: number;
  /** The same file served by Debian's nginx (sendfile) on loopback: the baseline. */
  nginxMBps: number;
  catMBps: number;
  serverSeconds: number[];
  nginxSeconds: number[];
  catSeconds: number[];
  /** hfx serve's throughput over nginx's (the goal is ≥ 0.8). */
  ratio: number;
  catRatio: number;
}

const GOAL_DOWNLOAD_RATIO = 0.8;

const GOAL_RPS_RATIO = 0.5;

/** A wrk run of `seconds` on one path; the Lua script adds the header and prints JSON from done(). */
async function wrk(
  work: string,
  url: string,
  path: string,
  token: string | null,
  seconds: number,
  label: string,
): Promise<WrkResult> {
  const script = join(work, `wrk-${label.replace(/\W+/g, '-')}.lua`);
  writeFileSync(
    script,
    [
      'wrk.method = "GET"',
      `wrk.path = ${JSON.stringify(path)}`,
      token ? `wrk.headers["Authorization"] = ${JSON.stringify(`Bearer ${token}`)}` : '',
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format("HFXJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"errors\\":%d,\\"timeouts\\":%d,\\"status_errors\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d}\\n",',
      '    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout, e.status, latency:percentile(50), latency:percentile(99), latency.max))',
      'end',
    ].join('\n'),
  );
  const r = await run(['wrk', '-t2', '-c32', `-d${seconds}s`, '--timeout', '30s', '-s', script, url], {
    label: `wrk ${label}`,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('HFXJSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(line.slice(8)) as {
    requests: number;
    duration_us: number;
    errors: number;
    timeouts: number;
    status_errors: number;
    p50_us: number;
    p99_us: number;
    max_us: number;
  };
  return {
    label,
    path,
    rps: j.requests / (j.duration_us / 1e6),
    p50ms: j.p50_us / 1000,
    p99ms: j.p99_us / 1000,
    maxms: j.max_us / 1000,
    requests: j.requests,
    errors: j.errors + j.status_errors,
    timeouts: j.timeouts,
    otherLoad: r.otherCpu === null ? null : r.otherCpu / r.wall,
  };
}

/**
 * A rollout of an archive the bench customer is offered, advanced every 200 ms (each step moves the
 * metadata version, so timestamps are signed anew) while wrk polls; then a rollout that a report of
 * one revert pauses, and the time until a client's refresh (timestamp → snapshot → online) shows it.
 */
async function duringRollout(
  store: Store,
  url: string,
  s: Seeded,
  work: string,
  seconds: number,
): Promise<{ checks: WrkResult; advances: number; pauseSeenMs: number }> {
  const rm = newToken();
  const user = await store.db
    .insertInto('users')
    .values({ username: 'bench-rm', password_hash: 'x', role: 'release-manager' })
    .returning('id')
    .executeTakeFirstOrThrow();
  await store.db
    .insertInto('tokens')
    .values({ hash: rm.hash, name: 'bench', user_id: user.id, customer_id: null })
    .execute();
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const archives = (
    await store.db
      .selectFrom('archives')
      .select('id')
      .where('customer_id', 'is', null)
      .where('kind', '=', 'hotfix')
      .orderBy('id')
      .execute()
  ).map((a) => a.id);
  const last = archives.at(-1);
  if (last === undefined || archives.length < 3) throw new Error('the rollout bench needs at least 3 seeded hotfixes');
  // A rollout has at most 20 steps, so the stepper walks one rollout to 100 % and starts the next
  // on another archive: every advance and every start moves the metadata version clients see.
  const steps = Array.from({ length: 20 }, (_, i) => (i + 1) * 5);
  let advances = 0;
  let going = true;
  // Read through a call: TypeScript does not see that the code after the stepper sets it to false.
  const stillGoing = (): boolean => going;
  let next = 0;
  const stepper = (async () => {
    while (stillGoing()) {
      const id = (
        await api('POST', '/v1/rollouts', rm.token, {
          archive: archives[next++ % (archives.length - 1)],
          customer: s.customer,
          steps,
        })
      ).id as number;
      for (let i = 1; i < steps.length && stillGoing(); i++) {
        await new Promise((r) => setTimeout(r, 200));
        await api('POST', `/v1/rollouts/${id}/advance`, rm.token, {});
        advances++;
      }
    }
  })();
  const checks = await wrk(
    work,
    url,
    `/v1/tuf/${s.customer}/metadata/timestamp.json`,
    s.token,
    seconds,
    'during-rollout',
  );
  going = false;
  await stepper;
  if (checks.errors > 0)
    throw new Error(`during-rollout: ${checks.errors} of ${checks.requests} requests failed or were not 2xx`);

  const pausing = { archive: last, customer: s.customer, steps: [100], maxFailureRate: 0, minSample: 1 };
  const second = (await api('POST', '/v1/rollouts', rm.token, pausing)).id as number;
  const installation = await store.db
    .selectFrom('installations')
    .select(['id', 'product', 'release', 'level'])
    .where('customer_id', '=', s.customer)
    .limit(1)
    .executeTakeFirstOrThrow();
  const repo = `/v1/tuf/${s.customer}/metadata`;
  const t0 = performance.now();
  await api('POST', '/v1/installations/report', s.token, {
    id: installation.id,
    product: installation.product,
    release: installation.release,
    level: installation.level,
    channel: 'full',
    hotfixes: [],
    events: [
      { kind: 'applied', archive: last },
      { kind: 'reverted', archive: last, reason: 'bench' },
    ],
  });
  for (;;) {
    const ts = (await api('GET', `${repo}/timestamp.json`, s.token)) as {
      signed: { meta: Record<string, { version: number }> };
    };
    const snap = (await api('GET', `${repo}/${ts.signed.meta['snapshot.json']!.version}.snapshot.json`, s.token)) as {
      signed: { meta: Record<string, { version: number }> };
    };
    const online = (await api('GET', `${repo}/${snap.signed.meta['online.json']!.version}.online.json`, s.token)) as {
      signed: { targets: Record<string, { custom: { hfx: { rollouts?: { id: number; state: string }[] } } }> };
    };
    const rollouts = online.signed.targets[`${last}.zip`]?.custom.hfx.rollouts;
    if (rollouts?.some((r) => r.id === second && r.state === 'paused')) break;
    if (performance.now() - t0 > 30_000) throw new Error('the pause was not seen within 30 s');
  }
  return { checks, advances, pauseSeenMs: performance.now() - t0 };
}

/** Debian's nginx serving `dir` on a free loopback port, from a temp config (never the system service). */
async function startNginx(work: string, dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((b) => existsSync(b));
  if (!bin)
    throw new Error(
      'nginx is not installed: the download is measured against it (Debian: apt-get install nginx-light)',
    );
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const prefix = join(work, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  // One worker, no master: a process of its own that serves the blob with sendfile, as Debian ships it.
  writeFileSync(
    join(prefix, 'nginx.conf'),
    [
      'daemon off; master_process off; worker_processes 1;',
      `pid ${prefix}/nginx.pid; error_log ${prefix}/logs/error.log;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off; sendfile on; tcp_nopush on; default_type application/zip;',
      `  client_body_temp_path ${prefix}/tmp; proxy_temp_path ${prefix}/tmp; fastcgi_temp_path ${prefix}/tmp; uwsgi_temp_path ${prefix}/tmp; scgi_temp_path ${prefix}/tmp;`,
      `  server { listen 127.0.0.1:${port}; root ${dir}; location / { } }`,
      '}',
    ].join('\n') + '\n',
  );
  const child = spawn(bin, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${err.trim()}`);
    try {
      await fetch(`${url}/`, { method: 'HEAD' });
      break;
    } catch {
      if (i > 100) throw new Error(`nginx did not answer on ${url}: ${err.trim()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

async function measureDownload(
  url: string,
  token: string,
  file: string,
  bytes: number,
  rounds: number,
  work: string,
): Promise<DownloadResult> {
  const curl = (u: string, auth: boolean) => [
    'curl',
    '-sS',
    '-o',
    '/dev/null',
    ...(auth ? ['-H', `Authorization: Bearer ${token}`] : []),
    '-w',
    '%{http_code} %{size_download}',
    u,
  ];
  const cat = ['bash', '-c', `cat ${JSON.stringify(file)} > /dev/null`];
  const nginx = await startNginx(work, dirname(file));
  try {
    const got = async (argv: string[], what: string): Promise<number> => {
      const d = await run(argv);
      const [code, size] = d.stdout.trim().split(' ');
      if (code !== '200' || Number(size) !== bytes)
        throw new Error(`${what} answered ${String(code)} with ${String(size)} bytes, not 200 with ${bytes}`);
      return d.wall;
    };
    const hfxCurl = curl(url, true);
    const nginxCurl = curl(`${nginx.url}/${basename(file)}`, false);
    // Warm-up: the file is in the page cache for all three from here on.
    await run(cat);
    await got(hfxCurl, 'hfx serve');
    await got(nginxCurl, 'nginx');
    const serverSeconds: number[] = [];
    const nginxSeconds: number[] = [];
    const catSeconds: number[] = [];
    // Interleaved, so the three see the same background load.
    for (let i = 0; i < rounds; i++) {
      catSeconds.push((await run(cat)).wall);
      nginxSeconds.push(await got(nginxCurl, 'nginx'));
      serverSeconds.push(await got(hfxCurl, 'hfx serve'));
    }
    const serverMBps = bytes / 1e6 / median(serverSeconds);
    const nginxMBps = bytes / 1e6 / median(nginxSeconds);
    const catMBps = bytes / 1e6 / median(catSeconds);
    return {
      bytes,
      serverMBps,
      nginxMBps,
      catMBps,
      serverSeconds,
      nginxSeconds,
      catSeconds,
      ratio: serverMBps / nginxMBps,
      catRatio: serverMBps / catMBps,
    };
  } finally {
    await nginx.stop();
  }
}

async function openBenchStore(
  kind: StoreKind,
  work: string,
  baseUrl: string | undefined,
): Promise<{ store: Store; drop: () => Promise<void> }> {
  if (kind === 'pglite') {
    const dataDir = join(work, 'pglite');
    const drop = (): Promise<void> => {
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    };
    return { store: await openStore({ dataDir }), drop };
  }
  if (!baseUrl) throw new Error('postgres needs --database-url, DATABASE_URL or HFX_TEST_DATABASE_URL');
  const name = `hfx_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    store: await openStore({ url: u.toString(), dataDir: work }),
    // Dropped without force after the store is closed, retried while PostgreSQL still counts the
    // pool's closing connections as sessions of the database.
    drop: async () => {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        for (let i = 0; ; i++) {
          try {
            await c.query(`drop database if exists ${name}`);
            break;
          } catch (e) {
            if (i >= 50) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

async function benchStore(
  kind: StoreKind,
  a: Args,
  work: string,
  blobs: BlobStore,
  big: { path: string; sha256: string } | null,
  log: (s: string) => void,
): Promise<{ result: StoreResult; big: { path: string; sha256: string } }> {
  const { store, drop } = await openBenchStore(kind, work, a.databaseUrl);
  try {
    log(`${kind}: seeding…`);
    const s = await seed(
      store,
      a.quick
        ? { archives: 100, installations: 10_000, customers: 100 }
        : { archives: 1000, installations: 100_000, customers: 100 },
    );
    const bigBytes = a.quick ? 50_000_000 : 500_000_000;
    const bigArchive = await seedBigArchive(store, blobs, bigBytes, big ?? undefined);
    log(
      `${kind}: ${s.installations} installations, ${s.archives} archives, ${s.customers} customers seeded in ${s.seconds.toFixed(1)} s`,
    );

    const app = await buildApp({
      store,
      blobs,
      tufKeys: developmentTufKeys(mkdtempSync(join(tmpdir(), 'hfx-bench-tuf-'))).keys,
      logger: false,
    });
    // The baseline: the same server, its hooks and serializer, answering a constant document.
    // A promise, as from the real routes' async handlers (Fastify sends what it resolves to).
    const constant = () => Promise.resolve({ ok: true, product: PRODUCT, release: RELEASE, level: CHECK_LEVEL });
    app.get('/bench/constant', { schema: { hide: true } }, constant);
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      // The update check with nothing new: the timestamp alone (tuf-js fetches snapshot and targets
      // only when it names new versions). What a full refresh fetches, for its size.
      const repo = `/v1/tuf/${s.customer}/metadata`;
      const metaPath = `${repo}/timestamp.json`;
      const get = async (path: string) => {
        const r = await fetch(address + path, { headers: { authorization: `Bearer ${s.token}` } });
        const body = Buffer.from(await r.arrayBuffer());
        if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${body.toString().slice(0, 300)}`);
        return body;
      };
      const ts = await get(metaPath);
      const snapV = (JSON.parse(ts.toString()) as { signed: { meta: Record<string, { version: number }> } }).signed
        .meta['snapshot.json']!.version;
      const snap = await get(`${repo}/${snapV}.snapshot.json`);
      const meta = (JSON.parse(snap.toString()) as { signed: { meta: Record<string, { version: number }> } }).signed
        .meta;
      const top = await get(`${repo}/${meta['targets.json']!.version}.targets.json`);
      const online = await get(`${repo}/${meta['online.json']!.version}.online.json`);
      const entries = Object.keys(
        (JSON.parse(online.toString()) as { signed: { targets: object } }).signed.targets,
      ).length;
      const bytes = { noChange: ts.length, full: ts.length + snap.length + top.length + online.length };
      const c0 = await fetch(`${address}/bench/constant`);
      if (c0.status !== 200) throw new Error(`the constant route answered ${c0.status}`);

      const seconds = a.duration ?? (a.quick ? 3 : 10);
      const rounds = a.quick ? 1 : 2;
      log(`${kind}: warming up, then ${rounds} round(s) of wrk -t2 -c32 -d${seconds}s on each route`);
      await wrk(work, address, '/bench/constant', null, a.quick ? 1 : 2, 'warm-constant');
      await wrk(work, address, metaPath, s.token, a.quick ? 1 : 2, 'warm-metadata');
      const constant: WrkResult[] = [];
      const constantAuth: WrkResult[] = [];
      const metadata: WrkResult[] = [];
      // Interleaved rounds, so the three routes see the same background load.
      for (let i = 0; i < rounds; i++) {
        constant.push(await wrk(work, address, '/bench/constant', null, seconds, 'constant'));
        metadata.push(await wrk(work, address, metaPath, s.token, seconds, 'metadata'));
        constantAuth.push(await wrk(work, address, '/bench/constant', s.token, seconds, 'constant-auth'));
      }
      for (const r of [...constant, ...constantAuth, ...metadata])
        if (r.errors > 0) throw new Error(`${r.label}: ${r.errors} of ${r.requests} requests failed or were not 2xx`);
      const rps = (rs: WrkResult[]) => median(rs.map((r) => r.rps));
      const checksRatio = rps(metadata) / rps(constant);
      const ratioAuth = rps(metadata) / rps(constantAuth);

      log(`${kind}: update checks while a rollout advances, and how soon a pause is seen`);
      const during = await duringRollout(store, address, s, work, seconds);

      log(`${kind}: download of ${bigBytes / 1e6} MB`);
      const download = await measureDownload(
        `${address}/v1/archives/${bigArchive.id}/download`,
        s.token,
        bigArchive.path,
        bigBytes,
        a.quick ? 3 : 5,
        work,
      );
      const { token: _t, ...seeded } = s;
      return {
        result: {
          store: kind,
          seeded,
          metadataEntries: entries,
          metadataBytes: bytes,
          constant,
          constantAuth,
          metadata,
          ratio: checksRatio,
          ratioAuth,
          download,
          rollout: { ...during, ratio: during.checks.rps / rps(constant) },
        },
        big: { path: bigArchive.path, sha256: bigArchive.sha256 },
      };
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
    await drop();
  }
}

function table(results: StoreResult[], a: Args): string {
  const pad = (s: string, n: number) => s.padEnd(n);
  const lpad = (s: string, n: number) => s.padStart(n);
  const med = (rs: WrkResult[], f: (r: WrkResult) => number) => median(rs.map(f));
  const lines: string[] = [];
  lines.push(
    `hfx server benchmark${a.quick ? ' (--quick)' : ''} — ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  lines.push('');
  lines.push(
    `${pad('store', 9)}${pad('route', 34)}${lpad('req/s', 9)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('ratio', 8)}${lpad('goal', 7)}  result`,
  );
  const late = (rs: WrkResult[]) => {
    const n = rs.reduce((acc, x) => acc + x.timeouts, 0);
    return n ? `  (${n} of ${rs.reduce((acc, x) => acc + x.requests + x.timeouts, 0)} requests over 30 s)` : '';
  };
  for (const r of results) {
    lines.push(
      `${pad(r.store, 9)}${pad('GET /bench/constant (no token)', 34)}${lpad(med(r.constant, (x) => x.rps).toFixed(0), 9)}${lpad(med(r.constant, (x) => x.p50ms).toFixed(2), 9)}${lpad(med(r.constant, (x) => x.p99ms).toFixed(2), 9)}${late(r.constant)}`,
    );
    lines.push(
      `${pad(r.store, 9)}${pad('GET /bench/constant (token)', 34)}${lpad(med(r.constantAuth, (x) => x.rps).toFixed(0), 9)}${lpad(med(r.constantAuth, (x) => x.p50ms).toFixed(2), 9)}${lpad(med(r.constantAuth, (x) => x.p99ms).toFixed(2), 9)}${late(r.constantAuth)}`,
    );
    lines.push(
      `${pad(r.store, 9)}${pad(`GET timestamp.json (${r.metadataBytes.noChange} B)`, 34)}${lpad(med(r.metadata, (x) => x.rps).toFixed(0), 9)}${lpad(med(r.metadata, (x) => x.p50ms).toFixed(2), 9)}${lpad(med(r.metadata, (x) => x.p99ms).toFixed(2), 9)}${lpad(r.ratio.toFixed(2), 8)}${lpad(`≥${GOAL_RPS_RATIO}`, 7)}  ${r.ratio >= GOAL_RPS_RATIO ? 'PASS' : 'FAIL'}${late(r.metadata)}`,
    );
    lines.push(
      `${pad(r.store, 9)}${pad('timestamp.json, rollout advancing', 34)}${lpad(r.rollout.checks.rps.toFixed(0), 9)}${lpad(r.rollout.checks.p50ms.toFixed(2), 9)}${lpad(r.rollout.checks.p99ms.toFixed(2), 9)}${lpad(r.rollout.ratio.toFixed(2), 8)}${lpad(`≥${GOAL_RPS_RATIO}`, 7)}  ${r.rollout.ratio >= GOAL_RPS_RATIO ? 'PASS' : 'FAIL'}`,
    );
  }
  lines.push('');
  lines.push(
    `${pad('store', 9)}${pad('download', 34)}${lpad('MB/s', 9)}${lpad('nginx MB/s', 12)}${lpad('ratio', 8)}${lpad('goal', 7)}  result${lpad('cat MB/s', 11)}`,
  );
  for (const r of results) {
    const d = r.download;
    lines.push(
      `${pad(r.store, 9)}${pad(`${d.bytes / 1e6} MB archive, curl`, 34)}${lpad(d.serverMBps.toFixed(0), 9)}${lpad(d.nginxMBps.toFixed(0), 12)}${lpad(d.ratio.toFixed(2), 8)}${lpad(`≥${GOAL_DOWNLOAD_RATIO}`, 7)}  ${d.ratio >= GOAL_DOWNLOAD_RATIO ? 'PASS' : 'FAIL'}  ${lpad(d.catMBps.toFixed(0), 11)}`,
    );
  }
  lines.push(
    "(download: the same blob through hfx serve and through Debian's nginx on 127.0.0.1, curl to /dev/null, medians of interleaved runs; cat: reading it from the page cache)",
  );
  lines.push(
    '',
    results
      .map(
        (r) =>
          `${r.store}: the rollout advanced ${r.rollout.advances} times during its run; a pause was seen by a client refresh ${r.rollout.pauseSeenMs.toFixed(0)} ms after the report that crossed its threshold`,
      )
      .join('\n'),
  );
  lines.push(
    '',
    results
      .map(
        (r) =>
          `${r.store}: a no-change refresh is ${r.metadataBytes.noChange} bytes (timestamp.json); a full one ${r.metadataBytes.full} bytes (with snapshot, targets and the online role's ${r.metadataEntries} targets, uncompressed)`,
      )
      .join('\n'),
  );
  lines.push(
    '',
    'ratio: update checks (no-change TUF refreshes)/s over constant answers/s (no token). Over the constant route with the token:',
  );
  lines.push(results.map((r) => `${r.store} ${r.ratioAuth.toFixed(2)}`).join(', '));
  const other = results
    .flatMap((r) => [...r.constant, ...r.constantAuth, ...r.metadata])
    .map((x) => x.otherLoad)
    .filter((x): x is number => x !== null);
  if (other.length)
    lines.push(
      '',
      `Other processes used ${median(other).toFixed(2)} cores (median) during the wrk runs (PostgreSQL's own processes count here).`,
    );
  return lines.join('\n');
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (Debian: apt-get install wrk)');
  const stores: StoreKind[] = a.stores ?? (a.databaseUrl ? ['pglite', 'postgres'] : ['pglite']);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (!a.stores && !a.databaseUrl) log('no DATABASE_URL or HFX_TEST_DATABASE_URL: measuring PGlite only');
  const work = mkdtempSync(join(process.env.HFX_BENCH_DIR ?? tmpdir(), 'hfx-bench-server-'));
  const results: StoreResult[] = [];
  try {
    const blobs = new BlobStore(join(work, 'blobs'));
    let big: { path: string; sha256: string } | null = null;
    for (const kind of stores) {
      const r = await benchStore(kind, a, work, blobs, big, log);
      big = r.big;
      results.push(r.result);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  recordFigures(
    'server',
    results.flatMap((r) => [
      {
        row: `${r.store}: update checks/s / constant route/s`,
        value: ratio(median(r.metadata.map((x) => x.rps)), median(r.constant.map((x) => x.rps)), 'req/s', 0),
        goal: `≥ ${GOAL_RPS_RATIO}`,
        met: r.ratio >= GOAL_RPS_RATIO,
      },
      {
        row: `${r.store}: update checks/s, rollout advancing / constant`,
        value: `${r.rollout.ratio.toFixed(2)} (${r.rollout.checks.rps.toFixed(0)} req/s)`,
        goal: `≥ ${GOAL_RPS_RATIO}`,
        met: r.rollout.ratio >= GOAL_RPS_RATIO,
      },
      {
        row: `${r.store}: ${r.download.bytes / 1e6} MB download, hfx serve / nginx`,
        value: ratio(r.download.serverMBps, r.download.nginxMBps, 'MB/s', 0),
        goal: `≥ ${GOAL_DOWNLOAD_RATIO}`,
        met: r.download.ratio >= GOAL_DOWNLOAD_RATIO,
        issue: 16,
      },
    ]),
  );
  const t = table(results, a);
  if (a.json) {
    process.stderr.write(`\n${t}\n`);
    process.stdout.write(
      `${JSON.stringify({ quick: a.quick, cores: cpus().length, loadavg: loadavg(), goalRpsRatio: GOAL_RPS_RATIO, goalDownloadRatio: GOAL_DOWNLOAD_RATIO, results }, null, 2)}\n`,
    );
  } else process.stdout.write(`\n${t}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench/server: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
