/**
 * Dashboard benchmark (issue: "the first view renders in under 1 s on loopback with 10,000 cases;
 * the production bundle stays under 300 KB gzipped").
 *
 * 1. Bundle: what the first view loads (index.html and the scripts and style sheets it names), raw,
 *    as the build's .gz copies (what the server sends), recompressed with node's zlib level 9, and
 *    against the real `gzip -9 -c FILE | wc -c`.
 * 2. First view: a real server (startServer, PGlite) with 10,000 cases and a 4-environment pipeline
 *    of 1,000 installations; Debian's chromium opens /cases and /pipeline/demo in a NEW browser
 *    context per run (cold HTTP cache, signed in through sessionStorage), timed from navigation start
 *    to the moment the rows are in the DOM. Baselines of the same run, interleaved: a static HTML page
 *    with the same 50 rows from a node:http server on loopback, and curl on the two API calls.
 *
 *   node dist/bench/dashboard.js [--runs N] [--wait-quiet S] [--json] [--check]
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs as parseCliArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { sql, type Insertable } from 'kysely';
import type { Browser } from 'playwright-core';
import { priorityOf } from '../src/server/cases/priority.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { WEB_DIR } from '../src/server/web.js';
import type { Database } from '../src/store/schema.js';
import { launch } from '../test/helpers/browser.js';
// The same seeded generator as the crash suite: the same data on every run and machine.
import { prng } from '../test/helpers/crash.js';
import { recordFigures } from './figures.js';
import { machineBusySeconds, median, waitQuiet } from './proc.js';

const CASES = 10_000;
const INSTALLATIONS = 1_000;
const HOTFIXES = 8;
const PRODUCT = 'demo';
const ENVS = ['Development', 'QA', 'Pre-Production', 'Production'] as const;
const PAGE_ROWS = 50;
const GOAL_MS = 1000;
// The issue says 300 KB; bytes in thousands, the stricter reading of the two.
const GOAL_BUNDLE_BYTES = 300_000;

interface Args {
  runs: number;
  waitQuiet: number;
  json: boolean;
  check: boolean;
}

const USAGE = `Usage: node dist/bench/dashboard.js [--runs N] [--wait-quiet S] [--json] [--check]

  --runs N          timed page loads per view (default 10, after 1 untimed warm-up round)
  --wait-quiet S    before measuring, wait up to S seconds until other processes use < 0.15 core
  --json            one JSON document on stdout; the table goes to stderr
  --check           exit 1 when a goal is missed (default: exit 0 whatever the figures)`;

function parseArgs(argv: string[]): Args {
  const { values: v } = parseCliArgs({
    args: argv,
    strict: true,
    options: {
      runs: { type: 'string', default: '10' },
      'wait-quiet': { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const a: Args = { runs: Number(v.runs), waitQuiet: Number(v['wait-quiet']), json: v.json, check: v.check };
  if (!Number.isInteger(a.runs) || a.runs < 1 || a.runs > 200) throw new Error('--runs is 1 to 200');
  if (!Number.isFinite(a.waitQuiet) || a.waitQuiet < 0) throw new Error('--wait-quiet takes seconds ≥ 0');
  return a;
}

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Nearest-rank percentile; with 10 samples p95 is the slowest run. */
function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

// ---------------------------------------------------------------------------------------------
// 1. The bundle

interface BundleFile {
  file: string;
  raw: number;
  /** The .gz copy the build wrote (what the server sends with preCompressed), or null when there is none. */
  buildGz: number | null;
  zlib9: number;
  gzip9: number;
}

interface BundleResult {
  firstView: BundleFile[];
  /** Built files the first view does not load (lazy chunks, if any). */
  other: BundleFile[];
  total: { raw: number; buildGz: number; zlib9: number; gzip9: number };
}

function sizeOf(dir: string, file: string): BundleFile {
  const path = join(dir, file);
  const data = readFileSync(path);
  let buildGz: number | null = null;
  try {
    buildGz = statSync(`${path}.gz`).size;
  } catch {
    /* no copy: the server compresses nothing itself, so it would send it raw */
  }
  // The real tool as the baseline, through a shell pipe exactly as a user would type it.
  const g = spawnSync('bash', ['-c', 'gzip -9 -c "$1" | wc -c', 'bench', path], { encoding: 'utf8' });
  if (g.status !== 0) throw new Error(`gzip -9 on ${file}: ${g.stderr}`);
  return {
    file,
    raw: data.length,
    buildGz,
    zlib9: gzipSync(data, { level: 9 }).length,
    gzip9: Number(g.stdout.trim()),
  };
}

function measureBundle(dir: string): BundleResult {
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  // What index.html makes the browser fetch before the app runs: scripts, style sheets, module preloads.
  const refs = new Set<string>();
  for (const m of html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="\/([^"]+)"[^>]*>/g)) {
    const tag = m[0];
    if (tag.startsWith('<script') || /rel="(?:stylesheet|modulepreload)"/.test(tag)) refs.add(m[1]!);
  }
  const firstView = [sizeOf(dir, 'index.html'), ...[...refs].map((f) => sizeOf(dir, f))];
  const assets = readdirSync(join(dir, 'assets'))
    .filter((f) => /\.(js|css)$/.test(f))
    .map((f) => `assets/${f}`);
  const other = assets.filter((f) => !refs.has(f)).map((f) => sizeOf(dir, f));
  const sum = (k: 'raw' | 'zlib9' | 'gzip9') => firstView.reduce((s, f) => s + f[k], 0);
  return {
    firstView,
    other,
    total: {
      raw: sum('raw'),
      buildGz: firstView.reduce((s, f) => s + (f.buildGz ?? f.raw), 0),
      zlib9: sum('zlib9'),
      gzip9: sum('gzip9'),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Seeding: 10,000 cases with every column filled as the case machine would have left it

const PRODUCTS = [PRODUCT, 'billing', 'portal'] as const;
const RELEASES = ['1.0.0', '1.1.0', '2.0.0'] as const;
const COMPONENTS = [
  'api',
  'auth',
  'billing-engine',
  'scheduler',
  'ui',
  'search',
  'importer',
  'reports',
  'storage',
  'notifications',
  'gateway',
  'cache',
];
const TEAMS = ['core', 'platform', 'payments', 'frontend', 'integrations'];
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar'];
const SYMPTOMS = [
  'NullPointerException in',
  'timeout calling',
  'memory leak in',
  'wrong totals from',
  'deadlock between workers of',
  'stale cache entries in',
  '500 on export from',
  'slow query in',
  'login loop after upgrade of',
  'TLS handshake failure in',
];
const CONTEXTS = [
  'after the nightly job',
  'under load',
  'for accounts with more than 10,000 items',
  'when the locale is de-DE',
  'after failover',
  'on the first request after start',
  'with SSO enabled',
  'since level 3',
];
// Where a case in each state has got to, in machine order: the later the state, the more columns it has filled.
const STAGE: Record<string, number> = {
  reported: 0,
  triaged: 1,
  'in-progress': 2,
  testing: 3,
  ready: 4,
  scheduled: 5,
  deployed: 6,
  verified: 7,
  monitoring: 8,
  solved: 9,
  rejected: 1,
  'rolled-back': 6,
  superseded: 4,
};
// Roughly the mix a hotfix team has: most cases closed, a tail of open ones in every state.
const STATE_MIX: [string, number][] = [
  ['solved', 40],
  ['rejected', 6],
  ['superseded', 2],
  ['rolled-back', 1],
  ['reported', 8],
  ['triaged', 8],
  ['in-progress', 10],
  ['testing', 6],
  ['ready', 4],
  ['scheduled', 4],
  ['deployed', 4],
  ['verified', 3],
  ['monitoring', 4],
];

function caseRows(rnd: () => number, now: number): Insertable<Database['cases']>[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const mixTotal = STATE_MIX.reduce((s, [, w]) => s + w, 0);
  const state = () => {
    let r = rnd() * mixTotal;
    for (const [s, w] of STATE_MIX) if ((r -= w) < 0) return s;
    return 'solved';
  };
  const span = 730 * 86_400_000; // two years of cases, ids in creation order
  const rows: Insertable<Database['cases']>[] = [];
  for (let i = 0; i < CASES; i++) {
    const created = new Date(now - span + (span * i) / CASES + rnd() * 3_600_000);
    const st = state();
    const stage = STAGE[st]!;
    const source = pick(['customer', 'customer', 'customer', 'monitoring', 'testing'] as const);
    const severity = pick(['S1', 'S2', 'S2', 'S3', 'S3', 'S3', 'S4'] as const);
    const impact = pick(['all', 'many', 'few', 'few', 'internal'] as const);
    const product = pick(PRODUCTS);
    const component = pick(COMPONENTS);
    const at = (days: number) => new Date(Math.min(now, created.getTime() + days * 86_400_000));
    const hotfix = stage >= 4 ? `HF-${product}-${1 + Math.floor(rnd() * 20)}` : null;
    const counts = (tests: number, failed: number) =>
      JSON.stringify({
        tests,
        failed,
        errors: 0,
        skipped: 1,
        passed: tests - failed - 1,
        failures: failed ? [`core.${component}.Regression#case${i}`] : [],
      });
    const deployedEnvs = stage >= 6 ? ENVS.slice(0, 2 + Math.floor(rnd() * 3)) : [];
    const windowStart = stage >= 5 ? at(6) : null;
    rows.push({
      title: `${pick(SYMPTOMS)} ${component} ${pick(CONTEXTS)}`,
      description: `Seen ${pick(CONTEXTS)}. Steps: open ${component}, run the ${pick(['export', 'import', 'sync', 'report'])} with the customer's data; expected a result within 2 s, got ${pick(['an error page', 'a timeout', 'wrong figures', 'a crash of the worker'])}. Log excerpt attached to the ticket.`,
      source,
      reporter: source === 'customer' ? `support-${pick(PEOPLE)}` : source === 'monitoring' ? 'alertmanager' : 'ci',
      customer_id: source === 'customer' ? `cust-${String(1 + Math.floor(rnd() * 40)).padStart(2, '0')}` : null,
      product,
      release: rnd() < 0.9 ? pick(RELEASES) : null,
      level: rnd() < 0.8 ? Math.floor(rnd() * 12) : null,
      component: rnd() < 0.95 ? component : null,
      impact,
      impact_text:
        impact === 'internal'
          ? 'only the staging farm'
          : `${Math.floor(rnd() * 90) + 1} % of ${pick(['EU', 'US', 'APAC'])} users`,
      severity,
      priority: priorityOf(severity, impact),
      priority_reason: rnd() < 0.05 ? 'raised by the account manager: renewal at risk' : null,
      state: st,
      assignee: stage >= 1 ? pick(PEOPLE) : null,
      team: stage >= 1 ? pick(TEAMS) : null,
      root_cause:
        stage >= 2 && st !== 'rejected'
          ? `${pick(['missing null check', 'unbounded retry', 'N+1 query', 'race on shared map', 'wrong time zone'])} in ${component}`
          : null,
      commits: JSON.stringify(
        stage >= 2 && st !== 'rejected'
          ? [
              {
                sha: ((i * 2654435761) >>> 0).toString(16).padStart(8, '0') + 'c0ffee'.repeat(5) + 'ab',
                subject: `fix(${component}): case ${i + 1}`,
              },
            ]
          : [],
      ),
      hotfix_id: hotfix,
      functional: stage >= 3 && st !== 'rejected' ? counts(40 + Math.floor(rnd() * 200), 0) : null,
      regression: stage >= 3 && st !== 'rejected' ? counts(800 + Math.floor(rnd() * 3000), rnd() < 0.1 ? 1 : 0) : null,
      window_start: windowStart,
      window_end: windowStart ? new Date(windowStart.getTime() + 2 * 3_600_000) : null,
      deployed: JSON.stringify(
        deployedEnvs.map((environment, k) => ({ environment, at: at(7 + k).toISOString(), by: pick(PEOPLE) })),
      ),
      signoff_by: stage >= 7 ? pick(PEOPLE) : null,
      signoff_at: stage >= 7 ? at(10) : null,
      monitor_until: stage >= 8 ? at(24) : null,
      outcome:
        st === 'solved'
          ? 'fixed: no recurrence during monitoring'
          : st === 'rejected'
            ? 'works as designed'
            : st === 'rolled-back'
              ? 'rolled back: regression in production'
              : null,
      release_notes:
        hotfix !== null && st !== 'rejected'
          ? `### ${hotfix}\n\n- ${component}: fixed the ${pick(['crash', 'timeout', 'wrong totals'])} ` +
            `reported in case ${i + 1}.\n`
          : null,
      reopened: rnd() < 0.03 ? 1 : 0,
      created_by: source === 'customer' ? 'support' : 'hfx',
      created_at: created,
      updated_at: at(stage * 3 + rnd() * 2),
    });
  }
  return rows;
}

async function seed(s: RunningServer): Promise<{ seconds: number }> {
  const t0 = performance.now();
  const db = s.store.db;
  const now = Date.now();
  await db
    .insertInto('products')
    .values(PRODUCTS.map((name) => ({ name, title: name })))
    .execute();
  await db
    .insertInto('releases')
    .values(PRODUCTS.flatMap((product) => RELEASES.map((version) => ({ product, version }))))
    .execute();
  await db
    .insertInto('customers')
    .values(
      Array.from({ length: 40 }, (_, i) => ({
        id: `cust-${String(i + 1).padStart(2, '0')}`,
        name: `Customer ${i + 1}`,
      })),
    )
    .execute();
  // The hotfixes the cases point at (20 a product), so a case's hotfix link leads somewhere.
  await sql`insert into archives (id, kind, product, release, level, to_level, security, customer_id, title, severity, sha256, size, digest, signer, manifest, includes, uploaded_by)
    select 'HF-' || p || '-' || g, 'hotfix', p, '1.0.0', 0, null, false, null, 'hotfix ' || g || ' of ' || p, 'S2', md5(p || g) || md5(g || p), 100000 + g, md5('d' || p || g) || md5('d' || g || p), 'vendor',
      jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('path', 'lib/f' || g || '.jar', 'after', md5('a' || p || g) || md5('a' || g || p)))), '[]'::jsonb, 'bench'
    from unnest(${sql.val([...PRODUCTS])}::text[]) p, generate_series(1, 20) g`.execute(db);
  // Batches of 500 (about 17,000 bind parameters each, under PostgreSQL's 65,535), not 10,000 HTTP calls.
  const rows = caseRows(prng(0x5eed), now);
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('cases')
      .values(rows.slice(i, i + 500))
      .execute();
  await sql`insert into case_transitions (case_id, action, from_state, to_state, actor, details, at) select id, 'report', null, 'reported', created_by, '{}'::jsonb, created_at from cases`.execute(
    db,
  );

  // The pipeline of 'demo', as bench/cases.ts builds it: 1,000 installations over 4 environments, each
  // with a content report; environment i runs the first 2 + 2i of 8 hotfixes, so later ones show red.
  await db
    .insertInto('env_pipelines')
    .values(ENVS.map((name, position) => ({ product: PRODUCT, name, position })))
    .execute();
  await sql`insert into installations (id, customer_id, name, product, release, level, channel, hotfixes, reported_at)
    select 'inst-' || g, 'cust-' || lpad((1 + g % 40)::text, 2, '0'), 'inst-' || g, ${PRODUCT}, '1.0.0', 0, 'full', '[]'::jsonb, now() from generate_series(1, ${INSTALLATIONS}) g`.execute(
    db,
  );
  await sql`insert into env_members (installation_id, product, environment)
    select 'inst-' || g, ${PRODUCT}, (${sql.val([...ENVS])}::text[])[1 + g % 4] from generate_series(1, ${INSTALLATIONS}) g`.execute(
    db,
  );
  await sql`insert into env_reports (installation_id, release, level, hotfixes, updates, pack_hash, reported_at)
    select 'inst-' || g, '1.0.0', 0,
      (select jsonb_agg(jsonb_build_object('id', 'HF-demo-' || h, 'digest', md5('d' || 'demo' || h) || md5('d' || h || 'demo')) order by h) from generate_series(1, 2 + 2 * (g % 4)) h),
      '[]'::jsonb, md5('pack' || (g % 4)) || md5('pack' || (g % 4)), now()
    from generate_series(1, ${INSTALLATIONS}) g`.execute(db);
  await sql`insert into env_tags (product, environment, tag, content, pack_hash, actor)
    select ${PRODUCT}, e, '1.0.' || i, 'content-' || i, md5('pack' || (i - 1)) || md5('pack' || (i - 1)), 'bench'
    from unnest(${sql.val([...ENVS])}::text[]) with ordinality as t(e, i)`.execute(db);
  await sql`insert into env_deployments (product, environment, kind, archive_id, actor)
    select ${PRODUCT}, (${sql.val([...ENVS])}::text[])[1 + g % 4], 'hotfix', 'HF-demo-' || (1 + g % ${HOTFIXES}), 'bench' from generate_series(1, 200) g`.execute(
    db,
  );
  await sql`analyze`.execute(db);
  return { seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// 3. Page loads in chromium

interface Load {
  /** performance.now() in the page (0 = navigation start) when the rows were first in the DOM. */
  domMs: number;
  /** performance.now() at the next animation frame after that: the rows' first paint, near enough. */
  frameMs: number;
  /** Wall clock in this process around page.goto + the wait: adds the CDP round trips. */
  wallMs: number;
  /** Bytes the page fetched (encoded body sizes: gzip where the server sent gzip), all requests. */
  bytes: number;
  /** When each request of the page ended, ms from navigation start (the waterfall). */
  ends: Record<string, number>;
  starts: Record<string, number>;
}

// Runs in the page before any of its scripts: signs in (the dashboard reads the token from
// sessionStorage) and stamps the moment the awaited elements appear, without polling from outside.
const initScript = (token: string, selector: string, need: number) => `(() => {
  // As the dashboard stores them at sign-in: the token and whom it is for (a returning user).
  try {
    sessionStorage.setItem('hfx.token', ${JSON.stringify(token)});
    sessionStorage.setItem('hfx.me', ${JSON.stringify(JSON.stringify({ kind: 'user', username: 'admin', role: 'admin' }))});
  } catch {}
  const check = () => {
    if (window.__hfxDom !== undefined || document.querySelectorAll(${JSON.stringify(selector)}).length < ${need}) return;
    window.__hfxDom = performance.now();
    obs.disconnect();
    requestAnimationFrame(() => { window.__hfxFrame = performance.now(); });
  };
  const obs = new MutationObserver(check);
  obs.observe(document, { childList: true, subtree: true });
})();`;

// Both strings run in the page: bench/ is compiled without the DOM's types.
const READ_TIMES = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const key = (u) => { const x = new URL(u); return x.pathname.startsWith('/assets/') ? x.pathname.replace(/-[\\w-]{8}\\./, '.') : x.pathname; };
  return {
    domMs: window.__hfxDom, frameMs: window.__hfxFrame,
    bytes: (nav ? nav.encodedBodySize : 0) + res.reduce((s, e) => s + e.encodedBodySize, 0),
    ends: Object.fromEntries([['document', nav ? nav.responseEnd : 0], ...res.map((e) => [key(e.name), e.responseEnd])]),
    starts: Object.fromEntries([['document', nav ? nav.fetchStart : 0], ...res.map((e) => [key(e.name), e.fetchStart])]),
  };
})()`;

async function load(
  browser: Browser,
  url: string,
  token: string,
  selector: string,
  need: number,
  check?: string,
): Promise<Load> {
  // A new context per load: an empty HTTP cache and storage, as for a user opening the dashboard the first time today.
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
    await ctx.addInitScript({ content: initScript(token, selector, need) });
    const page = await ctx.newPage();
    const t0 = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    // A function, not a string: the dashboard's CSP (no unsafe-eval) refuses waitForFunction's eval of a string.
    await page.waitForFunction(() => (globalThis as { __hfxFrame?: number }).__hfxFrame !== undefined, undefined, {
      timeout: 30_000,
      polling: 'raf',
    });
    const wallMs = performance.now() - t0;
    const t = await page.evaluate<Omit<Load, 'wallMs'>>(READ_TIMES);
    if (check) {
      const got = await page.evaluate<string>(check);
      if (got !== 'ok') throw new Error(`${url}: ${got}`);
    }
    return { ...t, wallMs };
  } finally {
    await ctx.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 4. The baselines: a static page with the same rows, and curl on the API

type Cell = string | number | null | undefined;
const esc = (s: Cell) => String(s ?? '—').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The same 50 rows and columns as the dashboard's table, as one prebuilt HTML document: the least a browser must do to show them. */
function staticPage(rows: Record<string, Cell>[]): string {
  const tr = rows
    .map(
      (c) =>
        `<tr><td>${esc(c.id)}</td><td><a href="/cases/${esc(c.id)}">${esc(c.title)}</a></td><td>${esc(c.product)}${c.release ? ` ${esc(c.release)}` : ''}</td><td>${esc(c.customer_id)}</td><td>${esc(c.severity)}</td><td>${esc(c.priority)}</td><td><span class="badge">${esc(c.state)}</span></td><td>${esc(c.hotfix_id)}</td><td>${esc(new Date(String(c.updated_at)).toLocaleString('en-GB'))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cases</title><link rel="icon" href="data:,">
<style>body{font:14px system-ui,sans-serif;margin:1rem}table{border-collapse:collapse;width:100%}td,th{padding:.3rem .5rem;border-bottom:1px solid #ddd;text-align:left}.badge{padding:0 .4rem;border-radius:.6rem;background:#eee}</style>
</head><body><h1>Cases</h1><table aria-label="Cases"><thead><tr><th>#</th><th>Title</th><th>Product</th><th>Customer</th><th>Severity</th><th>Priority</th><th>State</th><th>Hotfix</th><th>Updated</th></tr></thead><tbody>
${tr}
</tbody></table></body></html>`;
}

async function serveStatic(html: string): Promise<{ url: string; server: Server }> {
  const body = Buffer.from(html);
  // The page only, as the dashboard's index.html (whose icon is also data:): no favicon fetch to count.
  const server = createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('static server has no port');
  return { url: `http://127.0.0.1:${addr.port}/`, server };
}

/**
 * curl's own time_total (connect to last byte), so its process start-up is not counted. Spawned
 * asynchronously: the server answering it runs in this process's event loop.
 */
function curl(url: string, token: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      'curl',
      [
        '-s',
        '-o',
        '/dev/null',
        '--compressed',
        '-H',
        `Authorization: Bearer ${token}`,
        '-w',
        '%{http_code} %{time_total} %{size_download}',
        url,
      ],
      { encoding: 'utf8' },
      (err, stdout, stderr) => {
        const [code = '', total, size] = stdout.trim().split(' ');
        if (err || code !== '200') reject(new Error(`curl ${url}: ${err?.message ?? ''} HTTP ${code} ${stderr}`));
        else resolve({ ms: Number(total) * 1000, bytes: Number(size) });
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------

interface Row {
  label: string;
  ready: string;
  samples: number[];
  median: number;
  p95: number;
  min: number;
  max: number;
  /** Median over the static page's median, when a ratio is meaningful. */
  ratio: number | null;
  goal: boolean | null;
}

const row = (label: string, ready: string, samples: number[], base: number | null, goal: boolean): Row => ({
  label,
  ready,
  samples,
  median: median(samples),
  p95: pct(samples, 95),
  min: Math.min(...samples),
  max: Math.max(...samples),
  ratio: base === null ? null : median(samples) / base,
  goal: goal ? pct(samples, 95) < GOAL_MS : null,
});

const kb = (n: number) => `${(n / 1000).toFixed(1)} KB`;

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const gzipTool = spawnSync('gzip', ['--version'], { encoding: 'utf8' });
  if (gzipTool.error) throw new Error('gzip is not installed');
  if (spawnSync('curl', ['--version']).error) throw new Error('curl is not installed');
  let bundle: BundleResult;
  try {
    bundle = measureBundle(WEB_DIR);
  } catch (e) {
    throw new Error(`no built dashboard in ${WEB_DIR} (run npm run build first): ${(e as Error).message}`);
  }

  process.env.HFX_NOTIFY_WORKER = '0'; // no background deliveries competing with the page loads
  const dir = mkdtempSync(join(process.env.HFX_BENCH_DIR ?? tmpdir(), 'hfx-bench-dashboard-'));
  const adminPassword = 'bench-admin-password-1';
  let s: RunningServer | null = null;
  let browser: Browser | null = null;
  let stat: { url: string; server: Server } | null = null;
  try {
    s = await startServer({ dataDir: dir, adminPassword, port: 0 });
    log(`seeding ${CASES} cases, ${INSTALLATIONS} installations …`);
    const seeded = await seed(s);
    log(`seeded in ${seeded.seconds.toFixed(1)} s`);
    const login = await fetch(`${s.url}/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: adminPassword, name: 'bench' }),
    });
    if (!login.ok) throw new Error(`login answered ${login.status}: ${await login.text()}`);
    const token = ((await login.json()) as { token: string }).token;
    const auth = { headers: { authorization: `Bearer ${token}` } };
    const page1 = await fetch(`${s.url}/v1/cases?limit=${PAGE_ROWS}`, auth);
    const first = (await page1.json()) as { cases: Record<string, Cell>[] };
    if (first.cases.length !== PAGE_ROWS || first.cases[0]!.id !== CASES)
      throw new Error(`the first page is not cases ${CASES}…: ${JSON.stringify(first.cases[0])}`);
    const staticHtml = staticPage(first.cases);
    stat = await serveStatic(staticHtml);

    browser = await launch();
    const version = browser.version();
    const quietLoad = await waitQuiet(a.waitQuiet, log);

    const casesUrl = `${s.url}/cases`;
    const pipeUrl = `${s.url}/pipeline/${PRODUCT}`;
    const CASES_SEL = 'table[aria-label="Cases"] tbody tr';
    const PIPE_SEL = 'ol[aria-label="Environments in pipeline order"] > li';
    // The view must be the real one: the newest case first, all four environments.
    const casesCheck = `document.querySelector('table[aria-label="Cases"] tbody tr td')?.textContent === '${CASES}' ? 'ok' : 'first row is ' + document.querySelector('table[aria-label="Cases"] tbody tr td')?.textContent`;
    const pipeCheck = `[...document.querySelectorAll(${JSON.stringify(`${PIPE_SEL} h2`)})].map((h) => h.textContent).join(',') === ${JSON.stringify(ENVS.join(','))} ? 'ok' : 'environments: ' + [...document.querySelectorAll('ol.board h2')].map((h) => h.textContent).join(',')`;
    const loads = { cases: [] as Load[], pipeline: [] as Load[], static: [] as Load[] };
    const api = { cases: [] as number[], pipeline: [] as number[] };
    const apiBytes = { cases: 0, pipeline: 0 };
    const busy0 = machineBusySeconds();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    log(
      `chromium ${version}: 1 warm-up round, then ${a.runs} rounds of /cases, /pipeline/${PRODUCT}, the static page and curl (interleaved)`,
    );
    // Round 0 is the warm-up (server JIT, PGlite's caches, chromium's own start-up): not counted.
    for (let i = 0; i <= a.runs; i++) {
      const c = await load(browser, casesUrl, token, CASES_SEL, PAGE_ROWS, i === 0 ? casesCheck : undefined);
      const p = await load(browser, pipeUrl, token, PIPE_SEL, ENVS.length, i === 0 ? pipeCheck : undefined);
      const st = await load(browser, stat.url, token, CASES_SEL, PAGE_ROWS);
      const ac = await curl(`${s.url}/v1/cases?limit=${PAGE_ROWS}`, token);
      const ap = await curl(`${s.url}/v1/environments/${PRODUCT}`, token);
      if (i === 0) {
        apiBytes.cases = ac.bytes;
        apiBytes.pipeline = ap.bytes;
        continue;
      }
      loads.cases.push(c);
      loads.pipeline.push(p);
      loads.static.push(st);
      api.cases.push(ac.ms);
      api.pipeline.push(ap.ms);
    }
    const measureSeconds = (performance.now() - t0) / 1000;
    const busy1 = machineBusySeconds();
    const self = process.cpuUsage(cpu0);
    // Everything busy in the measuring window: chromium and curl are part of the work here, so this is not "other load".
    const busyCores = busy0 === null || busy1 === null ? null : (busy1 - busy0) / measureSeconds;
    const serverCores = (self.user + self.system) / 1e6 / measureSeconds;

    const staticMs = median(loads.static.map((l) => l.frameMs));
    const rows: Row[] = [
      row(
        `/cases (dashboard)`,
        `${PAGE_ROWS} rows painted`,
        loads.cases.map((l) => l.frameMs),
        staticMs,
        true,
      ),
      row(
        `/cases (dashboard)`,
        `${PAGE_ROWS} rows in DOM`,
        loads.cases.map((l) => l.domMs),
        median(loads.static.map((l) => l.domMs)),
        false,
      ),
      row(
        `/cases (dashboard)`,
        'wall: goto → seen',
        loads.cases.map((l) => l.wallMs),
        median(loads.static.map((l) => l.wallMs)),
        false,
      ),
      row(
        `/pipeline/${PRODUCT} (dashboard)`,
        `${ENVS.length} columns painted`,
        loads.pipeline.map((l) => l.frameMs),
        staticMs,
        true,
      ),
      row(
        `/pipeline/${PRODUCT} (dashboard)`,
        'wall: goto → seen',
        loads.pipeline.map((l) => l.wallMs),
        median(loads.static.map((l) => l.wallMs)),
        false,
      ),
      row(
        'static 50-row page (node:http)',
        `${PAGE_ROWS} rows painted`,
        loads.static.map((l) => l.frameMs),
        null,
        false,
      ),
      row(
        'static 50-row page (node:http)',
        `${PAGE_ROWS} rows in DOM`,
        loads.static.map((l) => l.domMs),
        null,
        false,
      ),
      row(
        'static 50-row page (node:http)',
        'wall: goto → seen',
        loads.static.map((l) => l.wallMs),
        null,
        false,
      ),
      row(`curl GET /v1/cases?limit=${PAGE_ROWS}`, `time_total (${kb(apiBytes.cases)})`, api.cases, null, false),
      row(`curl GET /v1/environments/${PRODUCT}`, `time_total (${kb(apiBytes.pipeline)})`, api.pipeline, null, false),
    ];
    // Where a view's time goes: when each of its requests started and ended (median ms from navigation start).
    const waterfallOf = (ls: Load[]) =>
      Object.keys(ls[0]!.ends)
        .map((k) => ({
          request: k,
          start: median(ls.map((l) => l.starts[k] ?? NaN)),
          end: median(ls.map((l) => l.ends[k] ?? NaN)),
        }))
        .sort((x, y) => x.start - y.start);
    const waterfall = { cases: waterfallOf(loads.cases), pipeline: waterfallOf(loads.pipeline) };
    const pageBytes = {
      cases: median(loads.cases.map((l) => l.bytes)),
      pipeline: median(loads.pipeline.map((l) => l.bytes)),
      static: median(loads.static.map((l) => l.bytes)),
    };

    const bundleMet = bundle.total.buildGz < GOAL_BUNDLE_BYTES;
    const viewMet = rows.every((r) => r.goal !== false);
    recordFigures('dashboard', [
      {
        row: 'first view bundle, gzipped',
        value: kb(bundle.total.buildGz),
        goal: `< ${kb(GOAL_BUNDLE_BYTES)}`,
        met: bundleMet,
      },
      ...rows
        .filter((r) => r.goal !== null)
        .map((r) => ({
          row: `${r.label}: ${r.ready}, p95`,
          value: `${r.p95.toFixed(0)} ms`,
          goal: `< ${GOAL_MS} ms`,
          met: r.goal,
          otherLoad: quietLoad,
        })),
    ]);
    const lines: string[] = [];
    lines.push(
      `hfx dashboard benchmark — ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, chromium ${version}`,
    );
    lines.push(
      `${CASES} cases, ${INSTALLATIONS} installations in ${ENVS.length} environments (PGlite, seeded in ${seeded.seconds.toFixed(1)} s); load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    lines.push('');
    lines.push('bundle: what the first view loads (index.html and what it names), bytes');
    lines.push('| file | raw | .gz (build, served) | zlib -9 | gzip -9 (baseline) | .gz / gzip -9 |');
    lines.push('|---|---:|---:|---:|---:|---:|');
    for (const f of bundle.firstView)
      lines.push(
        `| ${f.file} | ${f.raw} | ${f.buildGz ?? '— (sent raw)'} | ${f.zlib9} | ${f.gzip9} | ${f.buildGz === null ? '' : (f.buildGz / f.gzip9).toFixed(3)} |`,
      );
    lines.push(
      `| **first view** | ${bundle.total.raw} | ${bundle.total.buildGz} | ${bundle.total.zlib9} | ${bundle.total.gzip9} | ${(bundle.total.buildGz / bundle.total.gzip9).toFixed(3)} |`,
    );
    lines.push(
      `goal: < ${kb(GOAL_BUNDLE_BYTES)} gzipped — ${kb(bundle.total.buildGz)}: ${bundleMet ? 'met' : 'MISSED'}`,
    );
    if (bundle.other.length)
      lines.push(
        `built but not on the first view: ${bundle.other.map((f) => `${f.file} ${f.raw} raw / ${f.buildGz ?? f.raw} gz`).join(', ')}`,
      );
    else lines.push('built but not on the first view: nothing (one chunk: every view is in the first download)');
    lines.push(
      `bytes fetched per cold load (browser, encoded): /cases ${kb(pageBytes.cases)}, /pipeline ${kb(pageBytes.pipeline)}, static page ${kb(pageBytes.static)} (its HTML: ${kb(Buffer.byteLength(staticHtml))}, sent uncompressed)`,
    );
    lines.push('');
    lines.push(
      `first view, cold cache (a new browser context per load), ms from navigation start; ${a.runs} runs after 1 warm-up, interleaved`,
    );
    lines.push('| page | ready when | median | p95 | min | max | ratio to static | goal < 1000 ms p95 |');
    lines.push('|---|---|---:|---:|---:|---:|---:|---|');
    for (const r of rows)
      lines.push(
        `| ${r.label} | ${r.ready} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.min.toFixed(1)} | ${r.max.toFixed(1)} | ${r.ratio === null ? '' : r.ratio.toFixed(2)} | ${r.goal === null ? '' : r.goal ? 'met' : 'MISSED'} |`,
      );
    lines.push('');
    for (const [view, ls, what] of [
      ['/cases', loads.cases, `${PAGE_ROWS} rows`],
      [`/pipeline/${PRODUCT}`, loads.pipeline, `${ENVS.length} columns`],
    ] as const) {
      lines.push(`${view} waterfall (median ms from navigation start: request start → response end):`);
      for (const w of waterfallOf(ls))
        lines.push(`  ${w.request.padEnd(36)} ${w.start.toFixed(1).padStart(7)} → ${w.end.toFixed(1).padStart(7)}`);
      lines.push(
        `  ${`${what} in DOM / painted`.padEnd(36)} ${median(ls.map((l) => l.domMs))
          .toFixed(1)
          .padStart(7)} / ${median(ls.map((l) => l.frameMs)).toFixed(1)}`,
      );
    }
    lines.push('');
    lines.push(
      `'painted': performance.now() in the page at the first animation frame after the rows are in the DOM (0 = navigation start);`,
    );
    lines.push(
      `'wall': this process's clock around page.goto + the wait (adds CDP round trips). p95 of ${a.runs} runs is the ${a.runs < 20 ? 'slowest run' : 'nearest rank'}.`,
    );
    lines.push(
      `machine: other processes used ${quietLoad === null ? '?' : quietLoad.toFixed(2)} cores just before measuring; during it all processes used ${busyCores === null ? '?' : busyCores.toFixed(2)} of ${cpus().length} cores (chromium, curl and this server ${serverCores.toFixed(2)} included)`,
    );
    if (quietLoad !== null && quietLoad > 0.2)
      lines.push(
        `WARNING: other processes were busy (${quietLoad.toFixed(2)} cores) before the run: the times are skewed. Re-run with --wait-quiet 120.`,
      );
    lines.push(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const table = lines.join('\n');
    if (a.json) {
      process.stderr.write(`\n${table}\n`);
      process.stdout.write(
        `${JSON.stringify({ cases: CASES, installations: INSTALLATIONS, runs: a.runs, chromium: version, cores: cpus().length, loadavg: loadavg(), quietLoad, busyCores, seedSeconds: seeded.seconds, bundle, goalBundleBytes: GOAL_BUNDLE_BYTES, goalMs: GOAL_MS, rows, waterfall, pageBytes, apiBytes }, null, 2)}\n`,
      );
    } else process.stdout.write(`\n${table}\n`);
    return a.check && !(bundleMet && viewMet) ? 1 : 0;
  } finally {
    await browser?.close();
    await new Promise<void>((r) => (stat ? stat.server.close(() => r()) : r()));
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench/dashboard: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
