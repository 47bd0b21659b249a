/**
 * Update levels: a chain of 10 updates applied at once against the same 10 applied one by one,
 * and the time of one update on a 20k-file pack against a 200k-file pack (it should not grow
 * with the pack). Run: `node dist/bench/updates.js [--quick] [--json]`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ratio, recordFigures } from './figures.js';
import { median, run } from './proc.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const root = join(process.env.HFX_BENCH_DIR ?? '/tmp/hfx-bench', quick ? 'updates-quick' : 'updates');
const HFX = ['node', join(import.meta.dirname, '..', '..', 'bin', 'hfx.js')];
const CHAIN = 10;
const PER_UPDATE = 50;
const RUNS = 3;

function log(s: string): void {
  process.stderr.write(s + '\n');
}

/** A pack of `files` small files in 100 dirs; deterministic. */
function makePack(dir: string, files: number): void {
  for (let d = 0; d < 100; d++) mkdirSync(join(dir, `d${d}`), { recursive: true });
  for (let i = 0; i < files; i++)
    writeFileSync(join(dir, `d${i % 100}`, `f${i}.txt`), `file ${i}\n`.repeat(20 + (i % 50)));
}

async function hfx(...a: string[]) {
  return run([...HFX, ...a]);
}

/** Levels 1..10 as hard-linked copies with 50 files rewritten each, and an update archive per step. */
async function prepare(name: string, files: number): Promise<{ home: string; updates: string }> {
  const base = join(root, name);
  const home = join(base, 'pack');
  const updates = join(base, 'updates');
  if (existsSync(join(base, '.done'))) return { home, updates };
  rmSync(base, { recursive: true, force: true });
  mkdirSync(updates, { recursive: true });
  log(`generating ${name}: ${files} files and ${CHAIN} updates`);
  makePack(join(base, 'level-0'), files);
  for (let k = 1; k <= CHAIN; k++) {
    const prev = join(base, `level-${k - 1}`);
    const next = join(base, `level-${k}`);
    execFileSync('cp', ['-al', prev, next]);
    for (let j = 0; j < PER_UPDATE; j++) {
      const i = (k * 7919 + j * 104729) % files;
      const p = join(next, `d${i % 100}`, `f${i}.txt`);
      rmSync(p); // a new inode, so the earlier level keeps its content
      writeFileSync(p, `file ${i} at level ${k}\n`.repeat(30));
    }
    await hfx(
      'diff',
      prev,
      next,
      '-o',
      join(updates, `U-${k}.zip`),
      '--kind',
      'update',
      '--from-level',
      String(k - 1),
      '--to-level',
      String(k),
      '--product',
      'bench',
      '--version',
      '1.0.0',
      '--id',
      `U-${k}`,
      '--title',
      `update ${k}`,
    );
  }
  execFileSync('cp', ['-a', join(base, 'level-0'), home]);
  await hfx('init', '--home', home, '--product', 'bench', '--version', '1.0.0', '--level', '0');
  writeFileSync(join(base, '.done'), '');
  return { home, updates };
}

async function backToZero(home: string): Promise<void> {
  for (;;) {
    const r = await run([...HFX, 'update', '--revert', '--home', home], { ok: [0, 8] });
    if (r.code !== 0) return;
  }
}

async function main(): Promise<void> {
  const small = await prepare('pack-20k', quick ? 2000 : 20000);
  const large = await prepare('pack-200k', quick ? 20000 : 200000);
  const atOnce: number[] = [];
  const oneByOne: number[] = [];
  const single = { small: [] as number[], large: [] as number[] };
  for (let r = 0; r < RUNS + 1; r++) {
    const a = await hfx('update', '--from', small.updates, '--allow-unsigned', '--home', small.home);
    await backToZero(small.home);
    let sum = 0;
    for (let k = 1; k <= CHAIN; k++)
      sum += (await hfx('update', join(small.updates, `U-${k}.zip`), '--allow-unsigned', '--home', small.home)).wall;
    await backToZero(small.home);
    const s = await hfx('update', join(small.updates, 'U-1.zip'), '--allow-unsigned', '--home', small.home);
    await backToZero(small.home);
    const l = await hfx('update', join(large.updates, 'U-1.zip'), '--allow-unsigned', '--home', large.home);
    await backToZero(large.home);
    if (r === 0) continue; // warm-up round
    atOnce.push(a.wall);
    oneByOne.push(sum);
    single.small.push(s.wall);
    single.large.push(l.wall);
  }
  for (const h of [small.home, large.home]) {
    const v = await run([...HFX, 'verify', '--home', h], { ok: [0, 7] });
    if (v.code !== 0) throw new Error(`${h} does not verify after the bench`);
  }
  const rows = [
    {
      measure: `chain of ${CHAIN} updates at once / one by one (20k pack)`,
      hfx: median(atOnce),
      baseline: median(oneByOne),
      goal: '< 1',
    },
    {
      measure: 'one update on 200k files / on 20k files',
      hfx: median(single.large),
      baseline: median(single.small),
      goal: '≤ 1.2',
    },
  ].map((x) => ({ ...x, ratio: x.hfx / x.baseline }));
  recordFigures(
    'updates',
    rows.map((x) => ({
      row: x.measure,
      value: ratio(x.hfx, x.baseline, 's'),
      goal: x.goal,
      met: x.goal === '< 1' ? x.ratio < 1 : x.ratio <= 1.2,
    })),
  );
  if (json) process.stdout.write(JSON.stringify({ quick, rows }, null, 2) + '\n');
  log('\nmeasure                                              a (s)   b (s)   a/b    goal');
  for (const x of rows)
    log(
      `${x.measure.padEnd(52)} ${x.hfx.toFixed(3).padStart(6)}  ${x.baseline.toFixed(3).padStart(6)}  ${x.ratio.toFixed(2).padStart(5)}  ${x.goal}`,
    );
}

await main();
