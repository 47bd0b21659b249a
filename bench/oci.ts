/**
 * The registry archive store (`hfx serve --blobs oci://…`) against the directory store, in the same
 * run on the same archives: upload and download throughput (curl), and what an update check costs
 * with the archives in a registry (wrk on timestamp.json against both; the goal is no cost at all:
 * checks never touch the registry, which the registry's own access log confirms). See docs/server.md
 * ("Figures").
 *
 *   node dist/bench/oci.js [--quick] [--json] [--size MB] [--rounds N] [--duration S] [--wait-quiet S]
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs as parseCliArgs } from 'node:util';
import { diffTrees, keygen } from '../src/engine/index.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry.js';
import { ratio, recordFigures } from './figures.js';
import { machineLoad, median, run, waitQuiet } from './proc.js';

interface Args {
  quick: boolean;
  json: boolean;
  sizeMB: number;
  rounds: number;
  duration: number;
  waitQuiet: number;
}

const USAGE = `Usage: node dist/bench/oci.js [--quick] [--json] [--size MB] [--rounds N] [--duration S] [--wait-quiet S]

  --quick        a 32 MB archive, 2 rounds, 3 s wrk runs
  --size MB      archive size (default 128; --quick 32)
  --rounds N     uploads and downloads per store (default 3; the median is reported)
  --duration S   seconds of each wrk run on the update check (default 10; --quick 3)
  --wait-quiet S before measuring, wait up to S seconds until other processes use < 0.15 core
  --json         one JSON document on stdout; the table goes to stderr`;

function parseArgs(argv: string[]): Args {
  const { values: v } = parseCliArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      size: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      'wait-quiet': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const a: Args = {
    quick: v.quick,
    json: v.json,
    sizeMB: Number(v.size ?? (v.quick ? 32 : 128)),
    rounds: Number(v.rounds ?? (v.quick ? 2 : 3)),
    duration: Number(v.duration ?? (v.quick ? 3 : 10)),
    waitQuiet: Number(v['wait-quiet'] ?? 0),
  };
  if (
    !(a.sizeMB >= 1 && a.sizeMB <= 4096) ||
    !(a.rounds >= 1 && a.rounds <= 20) ||
    !(a.duration >= 1 && a.duration <= 60) ||
    !(a.waitQuiet >= 0 && a.waitQuiet <= 3600)
  )
    throw new Error(`bad arguments\n${USAGE}`);
  return a;
}

type Kind = 'directory' | 'registry';

interface Node {
  kind: Kind;
  server: RunningServer;
  token: string;
}

interface Result {
  kind: Kind;
  uploadMBps: number;
  downloadMBps: number;
  uploadSeconds: number[];
  downloadSeconds: number[];
  checksPerSecond: number;
  checksP99ms: number;
  checkErrors: number;
}

/** A signed archive of about `mb` MB of incompressible payload, stored (not deflated), with id `id`. */
async function makeArchive(work: string, key: string, id: string, mb: number): Promise<string> {
  const old = join(work, `old-${id}`);
  const neu = join(work, `new-${id}`);
  mkdirSync(old, { recursive: true });
  mkdirSync(neu, { recursive: true });
  writeFileSync(join(old, 'README'), 'bench\n');
  writeFileSync(join(neu, 'README'), 'bench\n');
  const out = createWriteStream(join(neu, 'payload.bin'));
  for (let i = 0; i < mb; i++)
    if (!out.write(randomBytes(1024 * 1024))) await new Promise<void>((r) => out.once('drain', () => r()));
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
  const file = join(work, `${id}.zip`);
  await diffTrees({
    oldDir: old,
    newDir: neu,
    out: file,
    product: 'bench',
    version: '1.0.0',
    level: 0,
    id,
    title: `bench ${id}`,
    signKey: key,
    compressionLevel: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  rmSync(old, { recursive: true, force: true });
  rmSync(neu, { recursive: true, force: true });
  return file;
}

async function call(
  url: string,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const j = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(j)}`);
  return j;
}

async function startNode(kind: Kind, work: string, reg: TestRegistry, pub: string): Promise<Node> {
  const dataDir = join(work, `data-${kind}`);
  const server = await startServer({
    dataDir,
    port: 0,
    adminPassword: 'bench-admin-password',
    logger: false,
    ...(kind === 'registry'
      ? { blobDir: `oci://${reg.host}/bench/archives`, blobRegistry: { creds: null, timeoutMs: 30_000 } }
      : {}),
  });
  const token = (
    await call(server.url, 'POST', '/v1/login', null, { username: 'admin', password: 'bench-admin-password' })
  ).token as string;
  await call(server.url, 'POST', '/v1/publisher-keys', token, { name: 'bench', publicKey: readFileSync(pub, 'utf8') });
  return { kind, server, token };
}

async function curlUpload(n: Node, file: string): Promise<number> {
  const r = await run(
    [
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-X',
      'POST',
      '-H',
      `Authorization: Bearer ${n.token}`,
      '-H',
      'Content-Type: application/zip',
      '-T',
      file,
      `${n.server.url}/v1/archives`,
    ],
    { label: `upload ${n.kind}` },
  );
  if (r.stdout.trim() !== '201') throw new Error(`upload to the ${n.kind} store answered ${r.stdout} ${r.stderr}`);
  return r.wall;
}

async function curlDownload(n: Node, id: string, bytes: number): Promise<number> {
  const r = await run(
    [
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download}',
      '-H',
      `Authorization: Bearer ${n.token}`,
      `${n.server.url}/v1/archives/${id}/download`,
    ],
    { label: `download ${n.kind}` },
  );
  const [code, size] = r.stdout.trim().split(' ');
  if (code !== '200' || Number(size) !== bytes)
    throw new Error(
      `download from the ${n.kind} store answered ${String(code)} with ${String(size)} bytes, not ${bytes}`,
    );
  return r.wall;
}

async function wrk(
  work: string,
  url: string,
  path: string,
  token: string,
  seconds: number,
): Promise<{ rps: number; p99ms: number; errors: number }> {
  const script = join(work, 'wrk-check.lua');
  writeFileSync(
    script,
    [
      'wrk.method = "GET"',
      `wrk.path = ${JSON.stringify(path)}`,
      `wrk.headers["Authorization"] = ${JSON.stringify(`Bearer ${token}`)}`,
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format(',
      '    "HFXJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"errors\\":%d,\\"p99_us\\":%d}\\n",',
      '    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status,',
      '    latency:percentile(99)))',
      'end',
    ].join('\n'),
  );
  const r = await run(['wrk', '-t2', '-c32', `-d${seconds}s`, '--timeout', '30s', '-s', script, url], { label: 'wrk' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('HFXJSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(line.slice(8)) as { requests: number; duration_us: number; errors: number; p99_us: number };
  return { rps: j.requests / (j.duration_us / 1e6), p99ms: j.p99_us / 1000, errors: j.errors };
}

/** Requests the registry logged (its access log, one line per request). */
const registryRequests = (reg: TestRegistry): number =>
  (reg.log().match(/"(GET|HEAD|PUT|POST|PATCH|DELETE) \/v2\//g) ?? []).length;

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  for (const tool of ['wrk', 'curl', 'docker-registry'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      throw new Error(`${tool} is not installed (Debian: apt-get install ${tool})`);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const work = mkdtempSync(join(process.env.HFX_BENCH_DIR ?? tmpdir(), 'hfx-bench-oci-'));
  const reg = await startRegistry();
  const nodes: Node[] = [];
  try {
    const k = keygen(join(work, 'bench'));
    nodes.push(
      await startNode('directory', work, reg, k.publicKey),
      await startNode('registry', work, reg, k.publicKey),
    );
    log(`making ${a.rounds} archive(s) of ${a.sizeMB} MB…`);
    const archives: { id: string; file: string; bytes: number }[] = [];
    for (let i = 0; i < a.rounds; i++) {
      const id = `HF-OCI-BENCH-${i}`;
      const file = await makeArchive(work, k.privateKey, id, a.sizeMB);
      archives.push({ id, file, bytes: statSync(file).size });
    }
    // Taken while the servers idle, so it is other work on the machine; the registry (our child) idles too.
    const otherLoad = await waitQuiet(a.waitQuiet, log);
    const requestsBefore = registryRequests(reg);
    const up: Record<Kind, number[]> = { directory: [], registry: [] };
    const down: Record<Kind, number[]> = { directory: [], registry: [] };
    // Interleaved, the order swapped every round, so both see the same cache and load.
    for (const [i, arch] of archives.entries()) {
      const order = i % 2 === 0 ? nodes : [...nodes].reverse();
      for (const n of order) up[n.kind].push(await curlUpload(n, arch.file));
      log(`round ${i + 1}: uploads ${order.map((n) => `${n.kind} ${up[n.kind].at(-1)!.toFixed(2)} s`).join(', ')}`);
    }
    const big = archives[0]!;
    for (const n of nodes) await curlDownload(n, big.id, big.bytes); // warm-up
    for (let i = 0; i < a.rounds; i++) {
      const order = i % 2 === 0 ? nodes : [...nodes].reverse();
      for (const n of order) down[n.kind].push(await curlDownload(n, big.id, big.bytes));
      log(`round ${i + 1}: downloads ${order.map((n) => `${n.kind} ${down[n.kind].at(-1)!.toFixed(2)} s`).join(', ')}`);
    }
    // Proves the count below can see requests: the registry store's uploads and downloads make some.
    const transferRequests = registryRequests(reg) - requestsBefore;
    log(`update checks: 2 rounds of wrk -t2 -c32 -d${a.duration}s on timestamp.json, each store, interleaved`);
    const path = '/v1/tuf/_everyone/metadata/timestamp.json';
    const runs: Record<Kind, { rps: number; p99ms: number; errors: number }[]> = { directory: [], registry: [] };
    let duringChecks = 0;
    // Each run in the order made: the machine's other load moves rates between runs, and the spread shows it.
    const inOrder: string[] = [];
    for (const n of nodes) await wrk(work, n.server.url, path, n.token, 2);
    for (const order of [nodes, [...nodes].reverse()]) {
      for (const n of order) {
        const before = registryRequests(reg);
        runs[n.kind].push(await wrk(work, n.server.url, path, n.token, a.duration));
        if (n.kind === 'registry') duringChecks += registryRequests(reg) - before;
        inOrder.push(`${n.kind} ${runs[n.kind].at(-1)!.rps.toFixed(0)}`);
        log(`update checks: ${inOrder.at(-1)!}/s`);
      }
    }
    const checks = Object.fromEntries(
      (['directory', 'registry'] as const).map((k) => [
        k,
        {
          rps: median(runs[k].map((x) => x.rps)),
          p99ms: median(runs[k].map((x) => x.p99ms)),
          errors: runs[k].reduce((e, x) => e + x.errors, 0),
        },
      ]),
    ) as Record<Kind, { rps: number; p99ms: number; errors: number }>;
    const results: Result[] = nodes.map((n) => ({
      kind: n.kind,
      uploadMBps: big.bytes / 1e6 / median(up[n.kind]),
      downloadMBps: big.bytes / 1e6 / median(down[n.kind]),
      uploadSeconds: up[n.kind],
      downloadSeconds: down[n.kind],
      checksPerSecond: checks[n.kind].rps,
      checksP99ms: checks[n.kind].p99ms,
      checkErrors: checks[n.kind].errors,
    }));
    const [d, r] = results as [Result, Result];
    const otherAfter = await machineLoad();
    const row = (label: string, dv: number, rv: number, digits: number, ratio: boolean) =>
      label.padEnd(34) +
      dv.toFixed(digits).padStart(11) +
      rv.toFixed(digits).padStart(11) +
      (ratio ? (rv / dv).toFixed(2).padStart(8) : '');
    const cores = (x: number | null) => (x === null ? '?' : x.toFixed(2));
    const table = [
      `archive ${(big.bytes / 1e6).toFixed(0)} MB, ${a.rounds} round(s), medians; ${cpus().length} cores; ` +
        `other processes used ${cores(otherLoad)} cores before, ${cores(otherAfter)} after; ` +
        `load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(' ')}`,
      `${''.padEnd(34)}${'directory'.padStart(11)}${'registry'.padStart(11)}${'ratio'.padStart(8)}`,
      row('upload MB/s (curl -T, 201)', d.uploadMBps, r.uploadMBps, 0, true),
      row('download MB/s (curl, 200)', d.downloadMBps, r.downloadMBps, 0, true),
      row('update checks/s (timestamp.json)', d.checksPerSecond, r.checksPerSecond, 0, true),
      row('update check p99 ms', d.checksP99ms, r.checksP99ms, 1, false),
      `update checks/s per run, in the order run: ${inOrder.join(', ')}`,
      `registry requests: ${transferRequests} during the uploads and downloads, ` +
        `${duringChecks} during the registry store's update checks (goal 0)`,
    ].join('\n');
    recordFigures('oci', [
      {
        row: 'uploads, registry store / directory store',
        value: ratio(r.uploadMBps, d.uploadMBps, 'MB/s', 0),
        goal: '',
        met: null,
        otherLoad,
      },
      {
        row: 'downloads, registry store / directory store',
        value: ratio(r.downloadMBps, d.downloadMBps, 'MB/s', 0),
        goal: '',
        met: null,
        otherLoad,
      },
      {
        row: 'update checks/s, registry store / directory store',
        value: ratio(r.checksPerSecond, d.checksPerSecond, 'req/s', 0),
        goal: '≈ 1',
        met: r.checksPerSecond / d.checksPerSecond >= 0.9,
        otherLoad,
      },
      {
        row: 'registry requests during update checks',
        value: String(duringChecks),
        goal: '0',
        met: duringChecks === 0,
      },
    ]);
    if (d.checkErrors + r.checkErrors > 0)
      throw new Error(`update checks failed: ${d.checkErrors + r.checkErrors}\n${table}`);
    if (a.json) {
      process.stderr.write(`\n${table}\n`);
      const doc = {
        quick: a.quick,
        bytes: big.bytes,
        cores: cpus().length,
        loadavg: loadavg(),
        otherLoad: { before: otherLoad, after: otherAfter },
        registryRequestsDuringTransfers: transferRequests,
        registryRequestsDuringChecks: duringChecks,
        results,
      };
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else process.stdout.write(`\n${table}\n`);
    return duringChecks === 0 ? 0 : 1;
  } finally {
    for (const n of nodes) await n.server.close();
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench/oci: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
