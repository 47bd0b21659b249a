// Shared by test/crash.test.ts and bench/crash-soak.ts: a pack big enough that applying a
// ~210-path hotfix takes measurable time, a way to interrupt `hfx apply`/`hfx revert` in a
// child process (injected fault or a real SIGKILL), and one strict check of what is left
// after `hfx recover`.
import { spawn } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import { cpSync, existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addTrust, diffTrees, initHome, keygen, layout, readRecord } from '../../src/engine/index.js';
import type { Step } from '../../src/engine/home/tx.js';
import { revertSteps } from '../../src/engine/ops/revert.js';
import { hfx } from './cli.js';
import { snapshot, writeTree, type Spec } from './fixtures.js';

/**
 * The test process runs `hfx verify` in-process on ~160 packs, and each call would start two hash
 * workers (about 0.2 s of CPU each on a small machine): most of the crash tests' own CPU. With
 * one core reported, the hash pool hashes in this thread with the same hash-core code, so every
 * answer is the same. Children are untouched: the code under test runs as shipped.
 */
export function hashInThisThread(): void {
  (os as { availableParallelism: () => number }).availableParallelism = () => 1;
  syncBuiltinESMExports();
}

export const BIN = fileURLToPath(new URL('../../../bin/hfx.js', import.meta.url));
export const HOTFIX_ID = 'HF-crash-0001';

export type Snap = Record<string, string>;
export type Outcome = 'BEFORE' | 'AFTER';
export type Op = 'apply' | 'revert';
export type RecoverMode = 'forward' | 'rollback';

/** Seeded, so a seed gives the same pack, hotfix and kill-delay fractions again (the instant a kill lands cannot be replayed). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function filler(rand: () => number, tag: string, min: number, max: number): string {
  const size = min + Math.floor(rand() * (max - min));
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789 ';
  let s = `// ${tag}\n`;
  while (s.length < size) {
    let line = '';
    for (let i = 0; i < 72; i++) line += alphabet.charAt(Math.floor(rand() * alphabet.length));
    s += line + '\n';
  }
  return s;
}

const DIRS = 16;
const PER_DIR = 30;
const dirName = (d: number) => `lib/m${String(d).padStart(2, '0')}`;
const fileName = (d: number, f: number) => `${dirName(d)}/f${String(f).padStart(3, '0')}.js`;

/** The pack before the hotfix: ~530 paths, executables, a link, a directory that will go away. */
export function packSpec(seed: number): Spec {
  const rand = prng(seed);
  const spec: Spec = {
    'bin/run.sh': { content: '#!/bin/sh\nexec java -jar lib/core.jar "$@"\n', mode: 0o755 },
    'bin/tool.sh': { content: '#!/bin/sh\necho tool\n', mode: 0o755 },
    'conf/app.conf': 'port = 9443\n',
    'conf/log.conf': 'level = info\n',
    'conf/overrides': 'none\n',
    'docs/README-1': 'release notes 1\n',
    'docs/README-2': 'release notes 2\n',
    'docs/current': { symlink: 'README-1' },
    'docs/latest': { symlink: 'README-1' },
    'docs/api/v1.html': '<h1>v1</h1>\n',
    'docs/api/v2.html': '<h1>v2</h1>\n',
  };
  for (let d = 0; d < DIRS; d++)
    for (let f = 0; f < PER_DIR; f++) spec[fileName(d, f)] = filler(rand, `${fileName(d, f)} v1`, 1024, 6144);
  for (let i = 0; i < 8; i++) spec[`plugins/legacy/p${i}.jar`] = filler(rand, `legacy ${i}`, 512, 2048);
  for (let i = 0; i < 4; i++) spec[`plugins/legacy/res/r${i}.txt`] = filler(rand, `legacy res ${i}`, 128, 512);
  for (let i = 0; i < 5; i++) spec[`plugins/core/c${i}.jar`] = filler(rand, `core ${i}`, 512, 2048);
  return spec;
}

/**
 * Turns a copy of the pack into the fixed pack: modified, added and removed files, a new and a
 * removed directory tree, a file and a directory mode change, a retargeted link, and three type
 * changes (file → directory, directory → file, link → file), which put one path in two steps.
 */
export function applyFix(dir: string, seed: number): void {
  const rand = prng(seed ^ 0x5eed);
  const spec: Spec = {};
  const del: string[] = [];
  for (let d = 0; d < DIRS; d++) {
    for (let f = 0; f < PER_DIR; f++) {
      const i = d * PER_DIR + f;
      if (i % 5 === 0) spec[fileName(d, f)] = filler(rand, `${fileName(d, f)} v2`, 1024, 6144);
      else if (i % 16 === 3) del.push(fileName(d, f));
    }
    for (let f = PER_DIR; f < PER_DIR + 3; f++)
      spec[fileName(d, f)] = filler(rand, `${fileName(d, f)} new`, 1024, 4096);
  }
  for (let i = 0; i < 8; i++) spec[`lib/mnew/n${i}.js`] = filler(rand, `mnew ${i}`, 512, 2048);
  for (let i = 0; i < 4; i++) spec[`lib/mnew/sub/s${i}.js`] = filler(rand, `mnew sub ${i}`, 256, 1024);
  for (const p of del) rmSync(join(dir, p));
  rmSync(join(dir, 'plugins/legacy'), { recursive: true });
  rmSync(join(dir, 'conf/overrides'));
  rmSync(join(dir, 'docs/current'));
  rmSync(join(dir, 'docs/latest'));
  rmSync(join(dir, 'docs/api'), { recursive: true });
  spec['conf/overrides/a.conf'] = 'a = 1\n';
  spec['conf/overrides/b.conf'] = 'b = 2\n';
  spec['docs/current'] = { symlink: 'README-2' };
  spec['docs/latest'] = 'latest is now a file\n';
  spec['docs/api'] = 'the API docs moved online\n';
  spec['bin/tool.sh'] = { content: '#!/bin/sh\necho tool\n', mode: 0o700 };
  spec.conf = { dir: 0o750 };
  writeTree(dir, spec);
}

export interface Rig {
  /** A label for messages (one rig per lane). */
  name: string;
  /** The pack every child process of this lane works on. */
  home: string;
  /** A second pack at a known state (see `ensureAt`), or null. */
  twin: string | null;
  at: Outcome;
  twinAt: Outcome | null;
  /** A checked copy of the pack at BEFORE, shared by the lanes, to start over after a failed case. */
  template: string;
  /** Set when a case failed: the pack is in an unknown state and is replaced before the next case. */
  broken: boolean;
  archive: string;
  before: Snap;
  after: Snap;
  applySteps: Step[];
  revertSteps: Step[];
  /**
   * Files hfx left in .hfx/ that it should have removed (orphan record, journal, staging area,
   * lock, temp files), one message per occurrence. Kept apart from the hard failures so that
   * such leftovers, which do not change the pack, neither hide nor are hidden by a wrong tree.
   */
  leftovers: string[];
}

/**
 * Builds the pack, adopts and trusts, makes the signed hotfix, proves that an uninterrupted
 * apply and revert give AFTER and BEFORE, and gives each of `lanes` rigs its own copy.
 */
export async function makeRigs(root: string, seed = 1, lanes = 1): Promise<Rig[]> {
  const template = join(root, 'template');
  const fixed = join(root, 'fixed');
  writeTree(template, packSpec(seed));
  cpSync(template, fixed, { recursive: true, verbatimSymlinks: true });
  applyFix(fixed, seed);
  const k = keygen(join(root, 'vendor'));
  await initHome({ home: template, product: 'demo', version: '1.0.0', level: 0 });
  addTrust(layout(template), k.publicKey);
  const archive = join(root, `${HOTFIX_ID}.zip`);
  await diffTrees({
    oldDir: template,
    newDir: fixed,
    out: archive,
    product: 'demo',
    version: '1.0.0',
    level: 0,
    id: HOTFIX_ID,
    title: 'crash rig',
    signKey: k.privateKey,
    createdAt: '2026-01-01T00:00:00.000Z',
  });
  const first: Rig = {
    name: 'lane0',
    home: join(root, 'lane0'),
    twin: null,
    at: 'BEFORE',
    twinAt: null,
    template,
    // No pack yet: ensureAt starts a broken lane from the template.
    broken: true,
    archive,
    before: snapshot(template),
    // AFTER is the fixed tree itself, not what hfx makes of it, so a wrong apply cannot define "right".
    after: snapshot(fixed),
    applySteps: [],
    revertSteps: [],
    leftovers: [],
  };
  rmSync(fixed, { recursive: true, force: true });
  await ensureAt(first, 'AFTER');
  const l = layout(first.home);
  const rec = await readRecord(l, HOTFIX_ID);
  first.applySteps = rec.record.steps;
  first.revertSteps = revertSteps([rec], relative(l.home, l.trash));
  await ensureAt(first, 'BEFORE');
  const rigs = [first];
  for (let i = 1; i < lanes; i++) {
    const r: Rig = { ...first, name: `lane${i}`, home: join(root, `lane${i}`), broken: true, leftovers: [] };
    await ensureAt(r, 'BEFORE');
    rigs.push(r);
  }
  return rigs;
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Our SIGKILL ended the child (it had not exited on its own). */
  killed: boolean;
}

/** Runs `node bin/hfx.js ARGS` in a child; with `killAfterMs`, SIGKILLs it that long after spawning. */
export function runChild(args: string[], opts: { fault?: string; killAfterMs?: number } = {}): Promise<ChildRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.HFX_FAULT;
  delete env.HFX_HOME;
  if (opts.fault) env.HFX_FAULT = opts.fault;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    let exited = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = () => {
      if (!exited) sent = child.kill('SIGKILL');
    };
    let timer: NodeJS.Timeout | undefined;
    if (opts.killAfterMs !== undefined) {
      if (opts.killAfterMs <= 0) kill();
      else timer = setTimeout(kill, opts.killAfterMs);
    }
    child.on('error', reject);
    child.on('exit', () => {
      exited = true;
      clearTimeout(timer);
    });
    // 'close' comes after the child is reaped: until then its pid still counts as alive, and
    // `hfx recover` would take the dead child's lock for a live one.
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, killed: sent && signal === 'SIGKILL' }),
    );
  });
}

export function opArgs(rig: Rig, op: Op): string[] {
  return op === 'apply'
    ? ['apply', rig.archive, '--home', rig.home, '--json']
    : ['revert', '--home', rig.home, '--json'];
}

/** Where an uninterrupted `op` starts and ends. */
export const startOf = (op: Op): Outcome => (op === 'apply' ? 'BEFORE' : 'AFTER');
export const endOf = (op: Op): Outcome => (op === 'apply' ? 'AFTER' : 'BEFORE');

export class CrashCheckError extends Error {
  override name = 'CrashCheckError';
}

function fail(what: string): never {
  throw new CrashCheckError(what);
}

/** The first differences between two snapshots, for a readable failure. */
export function snapDiff(a: Snap, b: Snap, limit = 8): string {
  const out: string[] = [];
  let n = 0;
  for (const p of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[p] === b[p]) continue;
    if (n++ < limit) out.push(`  ${p}: ${a[p] ?? '(none)'} ≠ ${b[p] ?? '(none)'}`);
  }
  if (n > limit) out.push(`  … ${n - limit} more`);
  return out.join('\n');
}

function equalSnap(a: Snap, b: Snap): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function walkRel(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    out.push(p);
    if (d.isDirectory()) out.push(...walkRel(dir, p));
  }
  return out;
}

/**
 * After recovery the pack must be exactly BEFORE or exactly AFTER, and everything hfx says
 * about it must agree: `state` lists the hotfix iff the tree is AFTER, nothing is pending,
 * `verify` is clean. Those are thrown. Leftovers in .hfx/ (a journal, staging area, lock,
 * temp file, or a record of a hotfix that is not applied) go to `rig.leftovers`.
 */
export async function settled(rig: Rig, dir: string, context: string): Promise<Outcome> {
  const snap = snapshot(dir);
  const outcome: Outcome | null = equalSnap(snap, rig.before) ? 'BEFORE' : equalSnap(snap, rig.after) ? 'AFTER' : null;
  if (outcome === null) {
    fail(
      `${context}: the tree is neither BEFORE nor AFTER\nvs BEFORE:\n${snapDiff(snap, rig.before)}\nvs AFTER:\n${snapDiff(snap, rig.after)}`,
    );
  }
  const st = await hfx(['state', '--home', dir, '--json']);
  if (st.code !== 0) fail(`${context}: hfx state exited ${st.code}: ${st.stdout}${st.stderr}`);
  const ids = (st.json.hotfixes as { id: string }[]).map((h) => h.id);
  const want = outcome === 'AFTER' ? [HOTFIX_ID] : [];
  if (JSON.stringify(ids) !== JSON.stringify(want))
    fail(`${context}: the tree is ${outcome} but hfx state lists ${JSON.stringify(ids)}`);
  if (st.json.pending !== null)
    fail(`${context}: hfx state still reports a pending operation: ${JSON.stringify(st.json.pending)}`);
  const v = await hfx(['verify', '--home', dir, '--json']);
  if (v.code !== 0 || v.json?.ok !== true)
    fail(`${context}: hfx verify exited ${v.code} on a ${outcome} tree: ${v.stdout.slice(0, 2000)}${v.stderr}`);
  if (v.json.pending !== null) fail(`${context}: hfx verify reports pending: ${v.json.pending}`);

  const l = layout(dir);
  const left: string[] = [];
  for (const [p, what] of [
    [l.journal, 'journal'],
    [l.tx, 'staging area'],
    [l.lock, 'lock'],
  ] as const) {
    if (existsSync(p)) left.push(`the ${what} .hfx/${basename(p)}`);
  }
  const records = existsSync(l.applied) ? readdirSync(l.applied).sort() : [];
  if (JSON.stringify(records) !== JSON.stringify(want)) {
    const extra = records
      .filter((r) => !want.includes(r))
      .map((r) => `.hfx/applied/${r}/{${readdirSync(join(l.applied, r)).sort().join(',')}}`);
    left.push(
      `on a ${outcome} tree .hfx/applied holds ${JSON.stringify(records)}${extra.length ? ` (${extra.join(' ')})` : ''}`,
    );
  }
  const temps = walkRel(l.dir).filter((p) => /\.tmp-\d+$/.test(p));
  if (temps.length) left.push(`temp files ${temps.map((p) => `.hfx/${p}`).join(', ')}`);
  for (const x of left) rig.leftovers.push(`${context}: ${x}`);
  // Garbage that is reported is then removed, so that each report is one occurrence and later
  // cases start clean. Both are garbage by definition: a dead process's temp file, and the
  // record of a hotfix the state does not list.
  for (const p of temps) rmSync(join(l.dir, p), { force: true });
  for (const r of records) if (!want.includes(r)) rmSync(join(l.applied, r), { recursive: true, force: true });
  return outcome;
}

export async function recover(
  dir: string,
  mode: RecoverMode,
  context: string,
): Promise<{ action: string; operation?: string }> {
  const r = await hfx(['recover', '--home', dir, '--json', ...(mode === 'rollback' ? ['--rollback'] : [])]);
  if (r.code !== 0)
    fail(`${context}: hfx recover${mode === 'rollback' ? ' --rollback' : ''} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.json as { action: string; operation?: string };
}

/**
 * Puts rig.home at `want` for the next case: it may already be there, the twin may be (the two
 * swap names), or an uninterrupted in-process apply/revert takes it there. A pack left broken by
 * a failed case is first replaced by a copy of the template. The tree is
 * snapshotted again either way, so no case starts from a state it only assumes.
 */
export async function ensureAt(rig: Rig, want: Outcome): Promise<void> {
  if (rig.broken) {
    dropTwin(rig);
    rmSync(rig.home, { recursive: true, force: true });
    cpSync(rig.template, rig.home, { recursive: true, verbatimSymlinks: true });
    rig.at = 'BEFORE';
    rig.broken = false;
  }
  if (rig.at !== want && rig.twin !== null && rig.twinAt === want) {
    const tmp = `${rig.home}.swap`;
    renameSync(rig.home, tmp);
    renameSync(rig.twin, rig.home);
    renameSync(tmp, rig.twin);
    [rig.at, rig.twinAt] = [want, rig.at];
  }
  if (rig.at !== want) {
    const op: Op = want === 'AFTER' ? 'apply' : 'revert';
    const r = await hfx(opArgs(rig, op));
    if (r.code !== 0) fail(`${rig.name}: uninterrupted in-process ${op} exited ${r.code}: ${r.stdout}${r.stderr}`);
    rig.at = await settled(rig, rig.home, `${rig.name} in-process ${op}`);
    if (rig.at !== want) fail(`${rig.name}: an uninterrupted ${op} left the pack ${rig.at}`);
    return;
  }
  const snap = snapshot(rig.home);
  if (!equalSnap(snap, want === 'AFTER' ? rig.after : rig.before))
    fail(
      `${rig.name}: the pack should be ${want} before the next case:\n${snapDiff(snap, want === 'AFTER' ? rig.after : rig.before)}`,
    );
}

function dropTwin(rig: Rig): void {
  if (rig.twin) rmSync(rig.twin, { recursive: true, force: true });
  rig.twin = null;
  rig.twinAt = null;
}

/** The kind of each step, to find where the transaction changes from one kind of rename to another. */
function kindOf(s: Step): string {
  if (s.kind === 'chmod') return 'chmod';
  return s.source === null ? 'take-away' : s.save === null ? 'put' : 'replace';
}

/**
 * Step boundaries (N = steps done, 1..total) worth stopping at: the first and the last; where the
 * transaction goes from one kind of rename to the next (all of one kind done, none of the next);
 * both halves of every type change (a path taken away, then put back as something else: after
 * each of its two steps); and an even spread for the rest of `budget`.
 */
export function pickBoundaries(steps: readonly Step[], budget: number): number[] {
  const total = steps.length;
  const pick = new Set<number>();
  const add = (n: number) => {
    if (n >= 1 && n <= total) pick.add(n);
  };
  add(1);
  add(total);
  const seen = new Set<string>();
  steps.forEach((s, i) => {
    if (i > 0 && kindOf(s) !== kindOf(steps[i - 1]!)) add(i);
    if (seen.has(s.target)) add(i + 1);
    else if (steps.some((o, j) => j > i && o.target === s.target)) add(i + 1);
    seen.add(s.target);
  });
  const rest = Math.max(0, budget - pick.size);
  for (let k = 1; k <= rest; k++) add(Math.round((k * total) / (rest + 1)));
  return [...pick].sort((a, b) => a - b);
}

export interface BoundaryResult {
  n: number;
  forward: Outcome;
  rollback: Outcome;
}

/**
 * Kills `op` right after step N (HFX_FAULT=kill-after-step:N) and copies the interrupted pack;
 * then `hfx recover` must finish it (end state) and, on the copy, `hfx recover --rollback` must
 * undo it (start state). Both packs are kept: either can start the next case.
 */
export async function boundaryCase(rig: Rig, op: Op, n: number): Promise<BoundaryResult> {
  const ctx = `${rig.name} ${op} kill-after-step:${n}`;
  await ensureAt(rig, startOf(op));
  dropTwin(rig);
  rig.broken = true;
  const c = await runChild(opArgs(rig, op), { fault: `kill-after-step:${n}` });
  if (c.signal !== 'SIGKILL') {
    const how = `exit ${String(c.code)}, signal ${String(c.signal)}`;
    fail(`${ctx}: the child was not killed (${how}): ${c.stdout}${c.stderr}`);
  }
  const j = JSON.parse(readFileSync(layout(rig.home).journal, 'utf8')) as { operation: string; steps: unknown[] };
  const total = (op === 'apply' ? rig.applySteps : rig.revertSteps).length;
  if (j.operation !== op || j.steps.length !== total)
    fail(`${ctx}: the journal is a ${j.operation} of ${j.steps.length} steps, expected ${op} of ${total}`);
  const st = await hfx(['state', '--home', rig.home, '--json']);
  if (st.json?.pending?.kind !== 'interrupted' || st.json.pending.operation !== op)
    fail(`${ctx}: hfx state does not report the interrupted ${op}: ${st.stdout}`);
  const twin = `${rig.home}.twin`;
  rmSync(twin, { recursive: true, force: true });
  cpSync(rig.home, twin, { recursive: true, verbatimSymlinks: true });
  rig.twin = twin;
  rig.twinAt = null;

  const fr = await recover(rig.home, 'forward', ctx);
  if (fr.action !== 'completed' || fr.operation !== op)
    fail(`${ctx}: hfx recover reported ${JSON.stringify(fr)}, expected it to complete the ${op}`);
  const forward = await settled(rig, rig.home, `${ctx}, recover`);
  rig.at = forward;
  if (forward !== endOf(op)) fail(`${ctx}: hfx recover left the pack ${forward}, expected ${endOf(op)}`);

  const rb = await recover(twin, 'rollback', ctx);
  if (rb.action !== 'rolled-back')
    fail(`${ctx}: hfx recover --rollback reported ${JSON.stringify(rb)}, expected rolled-back`);
  const rollback = await settled(rig, twin, `${ctx}, recover --rollback`);
  rig.twinAt = rollback;
  if (rollback !== startOf(op))
    fail(`${ctx}: hfx recover --rollback left the pack ${rollback}, expected ${startOf(op)}`);
  rig.broken = false;
  return { n, forward, rollback };
}

export interface KillResult {
  op: Op;
  mode: RecoverMode;
  delayMs: number;
  /** SIGKILL landed before the child was done. */
  killed: boolean;
  /** What `hfx recover` did: none, cleaned, completed, rolled-back. */
  action: string;
  outcome: Outcome;
}

/**
 * A real SIGKILL `delayMs` after spawning `op`, then `hfx recover` (or `--rollback`): the pack
 * must be exactly BEFORE or AFTER, and the outcome must fit what happened (a run that finished
 * or a completed recovery gives the end state, an undone one the start state).
 */
export async function killCase(rig: Rig, op: Op, delayMs: number, mode: RecoverMode, label = ''): Promise<KillResult> {
  const ctx = `${rig.name}${label} ${op} SIGKILL@${delayMs.toFixed(1)}ms recover ${mode}`;
  await ensureAt(rig, startOf(op));
  dropTwin(rig);
  rig.broken = true;
  const c = await runChild(opArgs(rig, op), { killAfterMs: delayMs });
  if (!c.killed && c.code !== 0) {
    const how = `exited ${String(c.code)} (signal ${String(c.signal)})`;
    fail(`${ctx}: the child ${how} without being killed: ${c.stdout}${c.stderr}`);
  }
  const r = await recover(rig.home, mode, ctx);
  const outcome = await settled(rig, rig.home, `${ctx} → ${r.action}`);
  rig.at = outcome;
  const expect = !c.killed || r.action === 'completed' ? endOf(op) : r.action === 'rolled-back' ? startOf(op) : null;
  if (expect !== null && outcome !== expect)
    fail(
      `${ctx}: ${c.killed ? 'killed' : 'not killed'}, recover → ${r.action}, yet the pack is ${outcome}, expected ${expect}`,
    );
  if (!c.killed && r.action !== 'none')
    fail(`${ctx}: the ${op} finished, yet recover found something to do: ${r.action}`);
  rig.broken = false;
  return { op, mode, delayMs, killed: c.killed, action: r.action, outcome };
}

/** Wall times of uninterrupted child runs of `op`; they also check that such a run lands at the end state. */
export async function timeRuns(rig: Rig, op: Op, runs: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    await ensureAt(rig, startOf(op));
    const c = await runChild(opArgs(rig, op));
    if (c.code !== 0) fail(`${rig.name}: uninterrupted ${op} exited ${String(c.code)}: ${c.stdout}${c.stderr}`);
    ms.push(c.ms);
    rig.at = await settled(rig, rig.home, `${rig.name} uninterrupted ${op}`);
    if (rig.at !== endOf(op)) fail(`${rig.name}: uninterrupted ${op} left the pack ${rig.at}`);
  }
  return ms;
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `n` fractions of a run's duration: the first exactly 0 (kill at spawn); a few (4%, at least 2)
 * at 2–4×, well past the end even when the machine is busier than while measuring; the rest one
 * per equal slice of [0, 1.1), so the whole run is covered, its end included, instead of
 * wherever random draws cluster. Shuffled, but for the first.
 */
export function killFractions(n: number, rand: () => number): number[] {
  const tail = Math.min(n - 1, Math.max(2, Math.round(n * 0.04)));
  const body = n - tail;
  const out = [0];
  for (let k = 1; k < body; k++) out.push(((k + rand()) / body) * 1.1);
  for (let k = 0; k < tail; k++) out.push(2 + 2 * rand());
  for (let i = out.length - 1; i > 1; i--) {
    const j = 1 + Math.floor(rand() * i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Runs `work` on every lane at once (children are mostly one busy thread, so a second lane is
 * what keeps a second core working). `items` is a list, or a function giving the i-th item and
 * undefined when there are no more. A failed case (CrashCheckError) is recorded in the returned
 * list and its lane goes on with a fresh pack; any other error stops every lane and is thrown.
 */
export async function inLanes<T>(
  rigs: Rig[],
  items: readonly T[] | ((index: number) => T | undefined),
  work: (rig: Rig, item: T, index: number) => Promise<void>,
): Promise<string[]> {
  let next = 0;
  let stop = false;
  const failures: string[] = [];
  const take = (i: number): T | undefined => (typeof items === 'function' ? items(i) : items[i]);
  const lanes = await Promise.allSettled(
    rigs.map(async (rig) => {
      while (!stop) {
        const i = next++;
        const item = take(i);
        if (item === undefined) return;
        try {
          await work(rig, item, i);
        } catch (e) {
          rig.broken = true;
          if (e instanceof CrashCheckError) failures.push(e.message);
          else {
            stop = true;
            throw e;
          }
        }
      }
    }),
  );
  for (const l of lanes) if (l.status === 'rejected') throw l.reason;
  return failures;
}

/** Leftover messages grouped by kind (numbers and the case prefix stripped), most frequent first. */
export function groupLeftovers(found: readonly string[]): [string, number][] {
  const kinds = new Map<string, number>();
  for (const f of found) {
    const k = f.replace(/^.*?: (?=the |on a |temp )/, '').replace(/\d+/g, 'N');
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]);
}
