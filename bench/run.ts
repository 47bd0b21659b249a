/**
 * hfx benchmark: times the real CLI (`node bin/hfx.js …`, one child process per command) against
 * the tools a user would otherwise reach for (sha256sum, unzip, diff -rq), in the same run, on the
 * same warm page cache, and prints the ratios. See bench/README.md.
 *
 *   npm run bench [-- --quick] [-- --only init,verify,apply,scale,diff] [-- --json] [-- --clean]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseCliArgs } from 'node:util';
import {
  applyPlanTo,
  GEN_VERSION,
  hotfixPlan,
  planPackA,
  planPackB,
  SEED,
  sumBytes,
  writePack,
  type HotfixPlan,
} from './gen.js';
import { envSetting, run, stat, waitQuiet, type RunResult, type Stat } from './proc.js';
import { ratio, recordFigures } from './figures.js';
import { ensureRealTree, REAL_TREE } from './realtree.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HFX = join(REPO, 'bin', 'hfx.js');
const GROUPS = ['init', 'verify', 'apply', 'scale', 'diff', 'state', 'real'] as const;
type Group = (typeof GROUPS)[number];

const PRODUCT = ['--product', 'bench', '--version', '1.0.0', '--level', '0'];
const HF_ID = 'HF-BENCH-1.0.0-0001';

interface Args {
  quick: boolean;
  clean: boolean;
  json: boolean;
  check: boolean;
  runs: number;
  only: Set<Group> | null;
  /** Seconds to wait, before each measure, for other processes to go quiet. */
  waitQuiet: number;
}

const USAGE = `Usage: node dist/bench/run.js [--quick] [--only GROUP[,GROUP…]] [--runs N] [--json] [--check] [--clean]

  --quick        10x smaller packs (2,000 and 20,000 files), for a smoke run
  --only G,…     measure only these groups: ${GROUPS.join(', ')}
  --runs N       timed runs per measure (default 3; the median is reported), after 1 warm-up run
  --json         print every figure as one JSON document on stdout (the table goes to stderr)
  --check        exit 1 when a ratio misses its goal
  --wait-quiet S before each measure, wait up to S seconds until other processes use < 0.15 core
  --clean        delete the work dir ($HFX_BENCH_DIR, default /tmp/hfx-bench) and exit

Data is generated once into $HFX_BENCH_DIR/{full,quick} and reused while its marker matches; the
real tree (group real: two npm installs, ~7,800 files) is built once into $HFX_BENCH_DIR/realtree
and needs the npm registry the first time only.`;

function parseArgs(argv: string[]): Args {
  const { values: v } = parseCliArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      clean: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      runs: { type: 'string', default: '3' },
      'wait-quiet': { type: 'string', default: '0' },
      only: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const a: Args = {
    quick: v.quick,
    clean: v.clean,
    json: v.json,
    check: v.check,
    runs: Number(v.runs),
    only: null,
    waitQuiet: Number(v['wait-quiet']),
  };
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('--runs takes a whole number ≥ 1');
  if (!Number.isFinite(a.waitQuiet) || a.waitQuiet < 0) throw new Error('--wait-quiet takes seconds ≥ 0');
  for (const g of (v.only ?? [])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (!(GROUPS as readonly string[]).includes(g))
      throw new Error(`--only: unknown group ${JSON.stringify(g)} (one of ${GROUPS.join(', ')})`);
    (a.only ??= new Set()).add(g as Group);
  }
  return a;
}

const T0 = Date.now();
function log(msg: string): void {
  process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
}

const ENV: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
delete ENV.HFX_HOME;
delete ENV.HFX_FAULT;

function hfx(args: string[], ok: readonly number[] = [0]): Promise<RunResult> {
  return run([process.execPath, HFX, ...args], { env: ENV, ok, cwd: REPO, label: `hfx ${args.join(' ')}` });
}
const sh = (script: string, args: string[], ok: readonly number[] = [0]) =>
  run(['bash', '-c', script, 'bench', ...args], { env: ENV, ok, label: script });
const syncAll = () => run(['sync']);

/** A dir the benchmark owns: it carries this file, so --clean and regeneration never delete anything else. */
const OWNER = '.hfx-bench';

interface DataInfo {
  generator: number;
  seed: string;
  scale: number;
  createdAt: string;
  generateSeconds: number;
  packA: { files: number; dirs: number; bytes: number };
  packB: { files: number; dirs: number; bytes: number };
  hotfix: {
    modified: number;
    added: number;
    addedDirs: number;
    deleted: number;
    payloadBytes: number;
    touchedBytes: number;
  };
}

function owned(dir: string): boolean {
  return !existsSync(dir) || existsSync(join(dir, OWNER)) || readdirSync(dir).length === 0;
}

function wipe(dir: string): void {
  if (!owned(dir)) throw new Error(`${dir} exists and was not made by the benchmark (no ${OWNER}); not deleting it`);
  rmSync(dir, { recursive: true, force: true });
}

let generatedNow = false;

async function ensureData(W: string, scale: number, hf: HotfixPlan): Promise<DataInfo> {
  const marker = join(W, 'data.json');
  if (existsSync(marker)) {
    try {
      const info = JSON.parse(readFileSync(marker, 'utf8')) as DataInfo;
      if (info.generator === GEN_VERSION && info.seed === SEED && info.scale === scale) {
        log(`reusing the data in ${W} (made ${info.createdAt}); --clean to regenerate`);
        return info;
      }
      log(`the data in ${W} is from another generator/scale: regenerating`);
    } catch {
      log(`unreadable ${marker}: regenerating`);
    }
  }
  const t = Date.now();
  wipe(W);
  mkdirSync(W, { recursive: true });
  writeFileSync(join(W, OWNER), 'made by hfx bench/run.ts; delete with --clean\n');
  const a = planPackA(scale);
  const b = planPackB(scale);
  log(`writing pack A: ${a.files.length} files, ${(sumBytes(a.files) / 1e9).toFixed(2)} GB …`);
  writePack(join(W, 'packA'), a, (d, n) => log(`  pack A ${d}/${n}`));
  log(`writing pack B: ${b.files.length} files, ${(sumBytes(b.files) / 1e6).toFixed(0)} MB …`);
  writePack(join(W, 'packB'), b, (d, n) => log(`  pack B ${d}/${n}`));
  // The changed tree is a real copy (cp -a): with hard links, diff -rq would skip identical inodes unread.
  log('copying pack A to packA-new (real copy) and applying the hotfix changes …');
  await run(['cp', '-a', join(W, 'packA'), join(W, 'packA-new')]);
  applyPlanTo(join(W, 'packA-new'), hf);
  mkdirSync(join(W, 'keys'));
  await hfx(['keygen', '--out', join(W, 'keys', 'vendor')]);
  log('sync (flushing the generated data to disk) …');
  await syncAll();
  const payload = sumBytes([...hf.modified, ...hf.added]);
  const info: DataInfo = {
    generator: GEN_VERSION,
    seed: SEED,
    scale,
    createdAt: new Date().toISOString(),
    generateSeconds: (Date.now() - t) / 1000,
    packA: { files: a.files.length, dirs: a.dirs.length, bytes: sumBytes(a.files) },
    packB: { files: b.files.length, dirs: b.dirs.length, bytes: sumBytes(b.files) },
    hotfix: {
      modified: hf.modified.length,
      added: hf.added.length,
      addedDirs: hf.addedDirs.length,
      deleted: hf.deleted.length,
      payloadBytes: payload,
      touchedBytes: payload + sumBytes(hf.originals),
    },
  };
  writeFileSync(marker, JSON.stringify(info, null, 2) + '\n');
  generatedNow = true;
  log(`data ready in ${info.generateSeconds.toFixed(0)} s`);
  return info;
}

interface StateJson {
  hotfixes: { id: string }[];
  pending: { kind: string } | null;
}

/** Brings a pack back to its baseline: finishes any interrupted operation, reverts every hotfix. Adopts it if needed. */
async function normalize(pack: string, pub: string): Promise<void> {
  if (!existsSync(join(pack, '.hfx', 'state.json'))) {
    rmSync(join(pack, '.hfx'), { recursive: true, force: true });
    log(`hfx init ${pack} (untimed; the pack was not adopted yet)`);
    await hfx(['init', '--home', pack, ...PRODUCT]);
    await hfx(['trust', 'add', pub, '--home', pack]);
    return;
  }
  await hfx(['recover', '--home', pack]);
  const s = JSON.parse((await hfx(['state', '--home', pack, '--json'])).stdout) as StateJson;
  if (s.pending?.kind === 'conflict') await hfx(['apply', '--abort', '--home', pack]);
  if (s.hotfixes.length > 0) {
    log(`reverting ${s.hotfixes.map((h) => h.id).join(', ')} left applied in ${pack}`);
    await hfx(['revert', '--all', '--home', pack]);
  }
}

interface Row {
  id: string;
  measure: string;
  hfx: number;
  baseline: number;
  ratio: number;
  goal: number | null;
  pass: boolean | null;
  /** The larger of the two measures' other-process load (cores): figures are trustworthy only near 0. */
  otherLoad: number | null;
  /** MB read from the disk (not the page cache) by one run of each side, medians: hfx, baseline. */
  diskReadMB: [number | null, number | null];
  note: string;
}

function fmtS(s: number): string {
  return s < 10 ? s.toFixed(3) : s.toFixed(2);
}

function table(rows: Row[]): string {
  const head = ['measure', 'hfx s', 'baseline s', 'ratio', 'goal', 'result', 'other load', 'disk MB'];
  const mb = (x: number | null) => (x === null ? '?' : x.toFixed(0));
  const body = rows.map((r) => [
    r.measure,
    fmtS(r.hfx),
    fmtS(r.baseline),
    r.ratio.toFixed(2),
    r.goal === null ? '—' : `≤ ${r.goal}`,
    r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL',
    r.otherLoad === null ? '?' : r.otherLoad.toFixed(2),
    `${mb(r.diskReadMB[0])}/${mb(r.diskReadMB[1])}`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}

/** Which hfx was measured: the commit, and how many files under src/ differ from it. */
function gitDescribe(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean).length;
    return dirty ? `${head} + ${dirty} changed path(s) under src/` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function gb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const base = resolve(envSetting('HFX_BENCH_DIR') ?? '/tmp/hfx-bench');
  if (args.clean) {
    for (const sub of ['full', 'quick']) wipe(join(base, sub));
    if (existsSync(base) && readdirSync(base).length === 0) rmdirSync(base);
    log(`removed the benchmark data in ${base}`);
    return 0;
  }
  const scale = args.quick ? 0.1 : 1;
  const W = join(base, args.quick ? 'quick' : 'full');
  const want = (g: Group) => args.only === null || args.only.has(g);
  const hf = hotfixPlan(scale);
  const data = await ensureData(W, scale, hf);

  const packA = join(W, 'packA');
  const packB = join(W, 'packB');
  const packANew = join(W, 'packA-new');
  const key = join(W, 'keys', 'vendor.key');
  const pub = join(W, 'keys', 'vendor.pub');
  const zip = join(W, 'hotfix.zip');
  const unzipDir = join(W, 'unzip');
  const outDir = join(W, 'out');
  const kA = `${(data.packA.files / 1000).toFixed(0)}k`;
  const kB = `${(data.packB.files / 1000).toFixed(0)}k`;

  // ---- preparation (untimed) ----
  log('preparing: packs at baseline, hotfix archive, unzip target …');
  await normalize(packA, pub);
  await normalize(packB, pub);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir);
  const diffArgs = (out: string) => [
    'diff',
    packA,
    packANew,
    '-o',
    out,
    ...PRODUCT,
    '--id',
    HF_ID,
    '--title',
    'bench hotfix',
    '--sign',
    key,
    '--json',
  ];
  const made = JSON.parse((await hfx(diffArgs(zip))).stdout) as {
    added: number;
    modified: number;
    deleted: number;
    payloadBytes: number;
  };
  log(
    `hotfix.zip: ${made.modified} modified, ${made.added} added, ${made.deleted} deleted, ${gb(made.payloadBytes)} payload`,
  );
  if (want('apply')) {
    // unzip writes payload/<path> under -d DIR, so DIR/payload is the copy of the pack: every
    // payload file lands on its real path. Hard links make the copy cheap; the files the
    // archive overwrites are real copies (unzip 6.0 unlinks before writing anyway).
    rmSync(unzipDir, { recursive: true, force: true });
    mkdirSync(unzipDir);
    await run(['cp', '-al', packA, join(unzipDir, 'payload')]);
    rmSync(join(unzipDir, 'payload', '.hfx'), { recursive: true, force: true });
    for (const f of hf.modified)
      await run(['cp', '--remove-destination', '-p', join(packA, f.path), join(unzipDir, 'payload', f.path)]);
  }

  // The real tree: an npm-installed node_modules, adopted as a pack, with the next typescript
  // release as the hotfix (see realtree.ts).
  let real: {
    tree: ReturnType<typeof ensureRealTree>;
    pack: string;
    zip: string;
    unzip: string;
    changes: number;
    diffArgs: (out: string) => string[];
  } | null = null;
  if (want('real')) {
    const tree = ensureRealTree(base, log);
    const pack = join(W, 'real-pack');
    const rzip = join(W, 'real-hotfix.zip');
    const runzip = join(W, 'real-unzip');
    if (!existsSync(join(pack, '.hfx', 'state.json'))) {
      rmSync(pack, { recursive: true, force: true });
      await run(['cp', '-a', tree.old, pack]);
    }
    await normalize(pack, pub);
    const diffArgs = (out: string) => [
      'diff',
      tree.old,
      tree.new,
      '-o',
      out,
      ...PRODUCT,
      '--id',
      'HF-BENCH-REAL-0001',
      '--title',
      `${REAL_TREE.old} to ${REAL_TREE.new}`,
      '--sign',
      key,
      '--json',
    ];
    rmSync(rzip, { force: true });
    const rm = JSON.parse((await hfx(diffArgs(rzip))).stdout) as {
      added: number;
      modified: number;
      deleted: number;
      payloadBytes: number;
    };
    log(
      `real-hotfix.zip (${REAL_TREE.old} → ${REAL_TREE.new}): ${rm.modified} modified, ${rm.added} added, ${rm.deleted} deleted, ${gb(rm.payloadBytes)} payload`,
    );
    rmSync(runzip, { recursive: true, force: true });
    mkdirSync(runzip);
    await run(['cp', '-al', pack, join(runzip, 'payload')]);
    rmSync(join(runzip, 'payload', '.hfx'), { recursive: true, force: true });
    const listed = (await run(['unzip', '-Z1', rzip])).stdout.split('\n').filter((n) => n.startsWith('payload/'));
    for (const n of listed) {
      const dest = join(runzip, n);
      if (existsSync(dest))
        await run(['cp', '--remove-destination', '-p', dest, `${dest}.tmp-copy`]).then(() =>
          run(['mv', '-f', `${dest}.tmp-copy`, dest]),
        );
    }
    real = { tree, pack, zip: rzip, unzip: runzip, changes: rm.added + rm.modified + rm.deleted, diffArgs };
  }

  // ---- measurements ----
  // Each group runs its commands interleaved: one untimed warm-up round (every command once),
  // then `runs` timed rounds (every command once per round, in order). The tool and its baseline
  // thus see the same cache, whatever the machine does meanwhile (this VM pages out file pages
  // that were not touched for ~60 s). `sync` (untimed) before every run, so no command pays for
  // flushing an earlier one's writes.
  const figures: Record<string, Stat> = {};
  interface Task {
    name: string;
    cmd: () => Promise<RunResult>;
    before?: () => Promise<void>;
    /** Checks the run's output (synchronously) or does untimed work after it. */
    after?: (r: RunResult) => void | Promise<void>;
  }
  const group = async (gname: string, tasks: Task[], onError?: () => Promise<void>): Promise<Record<string, Stat>> => {
    await waitQuiet(args.waitQuiet, log);
    log(`${gname}: ${tasks.map((t) => t.name).join(', ')} — 1 warm-up round + ${args.runs} timed rounds, interleaved`);
    const results = new Map<string, RunResult[]>(tasks.map((t) => [t.name, []]));
    try {
      for (let round = 0; round <= args.runs; round++) {
        for (const t of tasks) {
          await t.before?.();
          await syncAll();
          const r = await t.cmd();
          await t.after?.(r);
          if (round > 0) results.get(t.name)!.push(r);
        }
      }
    } catch (e) {
      await onError?.().catch(() => undefined);
      throw e;
    }
    const out: Record<string, Stat> = {};
    for (const t of tasks) {
      const s = stat(results.get(t.name)!);
      out[t.name] = figures[`${gname} / ${t.name}`] = s;
      log(
        `  ${t.name}: median ${fmtS(s.median)} s (runs ${s.samples.map(fmtS).join(', ')}; cpu ${s.cpu === null ? '?' : fmtS(s.cpu)} s; read from disk ${s.diskReadMB === null ? '?' : s.diskReadMB.toFixed(0)} MB; other load ${s.otherLoad?.toFixed(2) ?? '?'} cores)`,
      );
    }
    return out;
  };

  const expectChanges = made.added + made.modified + made.deleted;
  const applyTasks = (which: 'A' | 'B'): Task[] => {
    const pack = which === 'A' ? packA : packB;
    return [
      {
        name: `hfx apply ${which}`,
        cmd: () => hfx(['apply', zip, '--home', pack, '--json']),
        after: (r) => {
          const n = (JSON.parse(r.stdout) as { changes: unknown[] }).changes.length;
          if (n !== expectChanges)
            throw new Error(`apply on pack ${which} made ${n} changes, expected ${expectChanges}`);
        },
      },
      { name: `hfx revert ${which}`, cmd: () => hfx(['revert', '--home', pack]) },
    ];
  };

  const SHA = 'find "$1" -path "$1/.hfx" -prune -o -type f -print0 | xargs -0 sha256sum > /dev/null';
  const shaTask = (pack: string): Task => ({ name: 'sha256sum', cmd: () => sh(SHA, [pack]) });

  const rows: Row[] = [];
  const row = (id: string, measure: string, h: Stat, b: Stat, goal: number | null, note: string) => {
    const loads = [h.otherLoad, b.otherLoad].filter((x): x is number => x !== null);
    rows.push({
      id,
      measure,
      hfx: h.median,
      baseline: b.median,
      ratio: h.median / b.median,
      goal,
      pass: goal === null ? null : h.median / b.median <= goal,
      otherLoad: loads.length ? Math.max(...loads) : null,
      diskReadMB: [h.diskReadMB, b.diskReadMB],
      note,
    });
  };
  const label = (w: 'A' | 'B') =>
    w === 'A' ? `${kA} files, ${gb(data.packA.bytes)}` : `${kB} files, ${gb(data.packB.bytes)}`;

  if (want('init')) {
    for (const w of ['A', 'B'] as const) {
      const pack = w === 'A' ? packA : packB;
      const g = await group(`init ${w}`, [
        shaTask(pack),
        {
          name: 'hfx init',
          before: () => rm(join(pack, '.hfx'), { recursive: true, force: true }),
          cmd: () => hfx(['init', '--home', pack, ...PRODUCT]),
          // untimed: later measures need it
          after: async () => {
            await hfx(['trust', 'add', pub, '--home', pack]);
          },
        },
      ]);
      row(
        `init-${w}`,
        `init ${label(w)} / sha256sum`,
        g['hfx init']!,
        g.sha256sum!,
        w === 'B' ? 0.6 : 1.0,
        'find | xargs -0 sha256sum over the same files (.hfx excluded)',
      );
    }
  }
  if (want('verify')) {
    for (const w of ['A', 'B'] as const) {
      const pack = w === 'A' ? packA : packB;
      const g = await group(`verify ${w}`, [
        shaTask(pack),
        { name: 'hfx verify', cmd: () => hfx(['verify', '--home', pack]) },
      ]);
      row(
        `verify-${w}`,
        `verify ${label(w)} / sha256sum`,
        g['hfx verify']!,
        g.sha256sum!,
        w === 'B' ? 0.6 : 1.0,
        'find | xargs -0 sha256sum over the same files (.hfx excluded)',
      );
    }
  }
  if (want('apply')) {
    const g = await group(
      'apply vs unzip',
      [
        { name: 'unzip -oq', cmd: () => run(['unzip', '-oq', zip, 'payload/*', '-d', unzipDir]) },
        { name: 'unzip -oq + sync', cmd: () => sh('unzip -oq "$1" "payload/*" -d "$2" && sync', [zip, unzipDir]) },
        ...applyTasks('A'),
      ],
      () => normalize(packA, pub),
    );
    row(
      'apply-unzip',
      `apply ${kA} / unzip -oq`,
      g['hfx apply A']!,
      g['unzip -oq']!,
      1.2,
      'unzip of the same archive into a copy of pack A (payload/ = the pack)',
    );
    row(
      'apply-unzip-sync',
      `apply ${kA} / unzip -oq + sync`,
      g['hfx apply A']!,
      g['unzip -oq + sync']!,
      null,
      'hfx fsyncs what it writes; unzip does not, so this row adds a sync',
    );
  }
  if (want('scale')) {
    const g = await group('apply scale', [...applyTasks('A'), ...applyTasks('B')], async () => {
      await normalize(packA, pub);
      await normalize(packB, pub);
    });
    row(
      'apply-scale',
      `apply ${kB} / apply ${kA}`,
      g['hfx apply B']!,
      g['hfx apply A']!,
      1.2,
      'the same archive on both packs',
    );
    row(
      'revert-scale',
      `revert ${kB} / revert ${kA}`,
      g['hfx revert B']!,
      g['hfx revert A']!,
      1.2,
      'the same archive on both packs',
    );
  }
  if (want('diff')) {
    const g = await group('diff', [
      { name: 'diff -rq', cmd: () => run(['diff', '-rq', '--exclude=.hfx', packA, packANew], { ok: [1] }) },
      {
        name: 'hfx diff',
        before: () => rm(join(outDir, 'diff.zip'), { force: true }),
        cmd: () => hfx(diffArgs(join(outDir, 'diff.zip'))),
      },
    ]);
    row(
      'diff',
      `diff ${kA} vs changed copy / diff -rq`,
      g['hfx diff']!,
      g['diff -rq']!,
      0.8,
      'packA-new is a real copy (cp -a): GNU diff skips files with the same inode unread',
    );
  }
  if (want('state')) {
    const g = await group('state', [
      { name: 'node -e 0', cmd: () => run([process.execPath, '-e', '0']) },
      { name: 'hfx state', cmd: () => hfx(['state', '--home', packA]) },
    ]);
    row(
      'state',
      `hfx state (pack A) / node -e 0`,
      g['hfx state']!,
      g['node -e 0']!,
      2.0,
      'start-up: what a command costs beyond Node itself',
    );
  }
  if (real) {
    const rk = `${(real.tree.files / 1000).toFixed(1)}k`;
    const ga = await group(
      'real: apply vs unzip',
      [
        { name: 'unzip -oq', cmd: () => run(['unzip', '-oq', real.zip, 'payload/*', '-d', real.unzip]) },
        {
          name: 'hfx apply',
          cmd: () => hfx(['apply', real.zip, '--home', real.pack, '--json']),
          after: (r) => {
            const n = (JSON.parse(r.stdout) as { changes: unknown[] }).changes.length;
            if (n !== real.changes)
              throw new Error(`apply on the real tree made ${n} changes, expected ${real.changes}`);
            return Promise.resolve();
          },
        },
        { name: 'hfx revert', cmd: () => hfx(['revert', '--home', real.pack]) },
      ],
      () => normalize(real.pack, pub),
    );
    row(
      'real-apply',
      `real ${rk}: apply ${REAL_TREE.new} / unzip -oq`,
      ga['hfx apply']!,
      ga['unzip -oq']!,
      1.2,
      'the release as a hotfix on an installed node_modules; unzip into a copy of it',
    );
    const gd = await group('real: diff', [
      { name: 'diff -rq', cmd: () => run(['diff', '-rq', real.tree.old, real.tree.new], { ok: [1] }) },
      {
        name: 'hfx diff',
        before: () => {
          rmSync(join(outDir, 'real-diff.zip'), { force: true });
          return Promise.resolve();
        },
        cmd: () => hfx(real.diffArgs(join(outDir, 'real-diff.zip'))),
      },
    ]);
    row(
      'real-diff',
      `real ${rk}: diff old vs new / diff -rq`,
      gd['hfx diff']!,
      gd['diff -rq']!,
      0.8,
      'two npm installs: every file a separate copy',
    );
    const gs = await group('real: state', [
      { name: 'node -e 0', cmd: () => run([process.execPath, '-e', '0']) },
      { name: 'hfx state', cmd: () => hfx(['state', '--home', real.pack]) },
    ]);
    row(
      'real-state',
      `real ${rk}: hfx state / node -e 0`,
      gs['hfx state']!,
      gs['node -e 0']!,
      2.0,
      "start-up on the real tree's installation",
    );
  }

  // ---- the packs must be back at their baseline ----
  log('final check: hfx verify on both packs, no hotfix applied');
  const final: Record<string, string> = {};
  let clean = true;
  for (const [n, pack] of [['A', packA], ['B', packB], ...(real ? [['real', real.pack] as const] : [])] as const) {
    const s = JSON.parse((await hfx(['state', '--home', pack, '--json'])).stdout) as StateJson;
    const v = await hfx(['verify', '--home', pack, '--json'], [0, 7]);
    const ok = v.code === 0 && s.hotfixes.length === 0 && s.pending === null;
    final[n] = ok
      ? 'verify ok, no hotfix applied'
      : `NOT at baseline: verify exit ${v.code}, ${s.hotfixes.length} hotfix(es), pending ${JSON.stringify(s.pending)}`;
    clean &&= ok;
  }

  const abs: [string, Stat | undefined][] = [
    [`hfx diff (pack A ${kA} vs changed copy)`, figures['diff / hfx diff']],
    ['hfx apply (real tree)', figures['real: apply vs unzip / hfx apply']],
    ['hfx diff (real tree)', figures['real: diff / hfx diff']],
    [`hfx apply (pack A, ${kA})`, figures['apply scale / hfx apply A'] ?? figures['apply vs unzip / hfx apply A']],
    [`hfx revert (pack A, ${kA})`, figures['apply scale / hfx revert A'] ?? figures['apply vs unzip / hfx revert A']],
    [`hfx apply (pack B, ${kB})`, figures['apply scale / hfx apply B']],
    [`hfx revert (pack B, ${kB})`, figures['apply scale / hfx revert B']],
  ];
  const totalSeconds = (Date.now() - T0) / 1000;
  const c = cpus();
  const meta = {
    date: new Date().toISOString(),
    quick: args.quick,
    runs: args.runs,
    warmup: 1,
    cache:
      'warm: one untimed round of every command of a group first (the page cache cannot be dropped here); tool and baseline interleaved; sync before each timed run',
    node: process.version,
    cpu: `${c.length} × ${c[0]?.model ?? '?'}`,
    memoryGB: +(totalmem() / 1e9).toFixed(1),
    freeMemoryGB: +(freemem() / 1e9).toFixed(1),
    workDir: W,
    hfx: gitDescribe(),
    totalSeconds,
  };
  const lines: string[] = [];
  lines.push('');
  lines.push(`hfx benchmark${args.quick ? ' (--quick)' : ''} — hfx ${meta.hfx}; ${meta.cpu}, node ${meta.node}`);
  lines.push(
    `pack A: ${data.packA.files} files in ${data.packA.dirs} dirs, ${gb(data.packA.bytes)}; pack B: ${data.packB.files} files in ${data.packB.dirs} dirs, ${gb(data.packB.bytes)}`,
  );
  lines.push(
    `hotfix: ${made.modified} modified, ${made.added} added (incl. ${data.hotfix.addedDirs} dir), ${made.deleted} deleted; ${gb(made.payloadBytes)} payload, signed`,
  );
  if (real)
    lines.push(
      `real tree: ${real.tree.files} files, ${gb(real.tree.bytes)} (npm install of ${[...REAL_TREE.common, REAL_TREE.old].join(' ')}); hotfix: ${REAL_TREE.old} → ${REAL_TREE.new}, ${real.changes} changes`,
    );
  lines.push(
    `each figure: median of ${args.runs} timed runs after 1 untimed warm-up run (the page cache cannot be dropped here, so figures are warm-cache),`,
  );
  lines.push('tool and baseline interleaved round by round; sync before each run');
  lines.push('');
  if (rows.length) {
    lines.push(table(rows));
    lines.push(
      `('other load': cores other processes used meanwhile; 'disk MB': read from disk instead of the page cache, hfx/baseline, per run)`,
    );
  }
  const worst = Math.max(0, ...Object.values(figures).map((f) => f.otherLoad ?? 0));
  if (worst > 0.2) {
    lines.push('');
    lines.push(
      `WARNING: other processes used up to ${worst.toFixed(2)} of ${c.length} cores during the timed runs ('other load'): the figures`,
    );
    lines.push('         above are skewed by that contention. Re-run on a quiet machine (or with --wait-quiet 120).');
  }
  const absShown = abs.filter(([, s]) => s);
  if (absShown.length) {
    lines.push('');
    lines.push("absolute (median wall s; median cpu s of the command; other processes' load in cores):");
    for (const [n, s] of absShown)
      lines.push(
        `  ${n.padEnd(40)} ${fmtS(s!.median).padStart(8)}   cpu ${s!.cpu === null ? '?' : fmtS(s!.cpu)}   other load ${s!.otherLoad?.toFixed(2) ?? '?'}`,
      );
  }
  lines.push('');
  lines.push(
    `after the run: pack A ${String(final.A)}; pack B ${String(final.B)}${final.real ? `; real tree pack ${final.real}` : ''}`,
  );
  lines.push(
    `total ${totalSeconds.toFixed(0)} s${generatedNow ? ` (of which data generation ${data.generateSeconds.toFixed(0)} s)` : ' (data reused)'}`,
  );
  const text = lines.join('\n') + '\n';
  // The rows issue 16 set goals for: init and verify of pack B, apply, diff, state and the real tree.
  const ISSUE_16 = new Set([
    'init-B',
    'verify-B',
    'apply-unzip',
    'diff',
    'state',
    'real-apply',
    'real-diff',
    'real-state',
  ]);
  recordFigures(
    'run',
    rows.map((r) => ({
      row: r.measure,
      value: ratio(r.hfx, r.baseline, 's'),
      goal: r.goal === null ? '' : `≤ ${r.goal}`,
      met: r.pass,
      ...(ISSUE_16.has(r.id) ? { issue: 16 } : {}),
      otherLoad: r.otherLoad,
    })),
  );
  const result = { ok: clean, meta, data, hotfix: made, figures, rows, final };
  writeFileSync(join(W, 'results.json'), JSON.stringify(result, null, 2) + '\n');
  if (args.json) {
    process.stderr.write(text);
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else process.stdout.write(text);
  if (!clean) {
    log('a pack is not back at its baseline: see above');
    return 1;
  }
  if (args.check && rows.some((r) => r.pass === false)) return 1;
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
