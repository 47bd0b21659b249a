/**
 * `npm run bench`: every benchmark script, one after the other, then one table of every figure
 * with its goal. A script that fails does not stop the others; it is named at the end.
 *
 *   node dist/bench/all.js [--quick] [--wait-quiet S] [--only run,server,…] [--check]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { figuresTable, FIGURES_ENV, readFigures } from './figures.js';
import { envSetting, waitQuiet } from './proc.js';

interface Script {
  name: string;
  /** The arguments it takes from ours. */
  args: (quick: boolean, quiet: string) => string[];
  /** It waits for a quiet machine itself (--wait-quiet); otherwise we wait before starting it. */
  waitsItself: boolean;
}

const SCRIPTS: Script[] = [
  { name: 'run', args: (q, w) => [...(q ? ['--quick'] : []), '--wait-quiet', w], waitsItself: true },
  { name: 'updates', args: (q) => (q ? ['--quick'] : []), waitsItself: false },
  { name: 'server', args: (q) => (q ? ['--quick'] : []), waitsItself: false },
  { name: 'cases', args: () => [], waitsItself: false },
  { name: 'image', args: () => [], waitsItself: false },
  { name: 'oci', args: (q, w) => [...(q ? ['--quick'] : []), '--wait-quiet', w], waitsItself: true },
  { name: 'dashboard', args: (_q, w) => ['--wait-quiet', w], waitsItself: true },
];

const USAGE = `Usage: npm run bench [-- --quick] [-- --wait-quiet S] [-- --only NAME[,NAME…]] [-- --check]

Runs ${SCRIPTS.map((s) => s.name).join(', ')} (each is dist/bench/NAME.js and can run alone),
then prints every figure with its goal. The table is also written to $HFX_BENCH_DIR/figures.json.

  --quick         the smaller sizes, where a script has them (about 10 minutes in all)
  --wait-quiet S  before each script (and each group of run.js), wait up to S seconds for other
                  processes to use < 0.15 core; give 120 or more on a shared machine
  --only N,…      only these scripts
  --check         exit 1 when a goal is missed`;

function runScript(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit', env });
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

async function main(): Promise<number> {
  const { values: v } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'wait-quiet': { type: 'string', default: '0' },
      only: { type: 'string' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (v.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const quiet = Number(v['wait-quiet']);
  if (!Number.isFinite(quiet) || quiet < 0) throw new Error('--wait-quiet takes seconds ≥ 0');
  const only = v.only?.split(',').map((x) => x.trim());
  for (const n of only ?? [])
    if (!SCRIPTS.some((s) => s.name === n))
      throw new Error(`--only: unknown script ${JSON.stringify(n)} (one of ${SCRIPTS.map((s) => s.name).join(', ')})`);
  const dir = resolve(envSetting('HFX_BENCH_DIR') ?? '/tmp/hfx-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `figures-${process.pid}.jsonl`);
  rmSync(file, { force: true });
  const env = { ...process.env, [FIGURES_ENV]: file };
  const started = Date.now();
  const failed: string[] = [];
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  for (const s of SCRIPTS) {
    if (only && !only.includes(s.name)) continue;
    if (!s.waitsItself && quiet > 0) await waitQuiet(quiet, log);
    log(`${s.name}: node dist/bench/${s.name}.js ${s.args(v.quick, String(quiet)).join(' ')}`);
    const code = await runScript(join(import.meta.dirname, `${s.name}.js`), s.args(v.quick, String(quiet)), env);
    if (code !== 0) failed.push(`${s.name} (exit ${code})`);
  }
  const figures = readFigures(file);
  rmSync(file, { force: true });
  const minutes = (Date.now() - started) / 60_000;
  const count = (m: boolean | null) => figures.filter((f) => f.met === m).length;
  const out = [
    '',
    `every figure of this run${v.quick ? ' (--quick)' : ''}, ${minutes.toFixed(0)} min; [#16]: a goal of issue 16`,
    '',
    figuresTable(figures),
    '',
    `${count(true)} met, ${count(false)} missed, ${count(null)} information`,
    ...(failed.length ? [`scripts that exited non-zero: ${failed.join(', ')} (their output is above)`] : []),
  ];
  process.stdout.write(out.join('\n') + '\n');
  writeFileSync(
    join(dir, 'figures.json'),
    JSON.stringify({ date: new Date().toISOString(), quick: v.quick, minutes, failed, figures }, null, 2) + '\n',
  );
  if (failed.length) return 1;
  return v.check && count(false) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
