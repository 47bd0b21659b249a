// A long soak of the property test/crash.test.ts samples: SIGKILL `hfx apply` or `hfx revert`
// (a child process) at a random moment, run `hfx recover` (or `--rollback`), and the pack must be
// exactly BEFORE or AFTER the hotfix, `hfx state` must agree and `hfx verify` must be clean.
// Not part of `npm test`: it runs for minutes, and its value is the cases no CI run has time for.
//
//   node dist/bench/crash-soak.js [SECONDS=120] [--cases N] [--seed S] [--lanes L] [--boundaries]
//
// SECONDS bounds the SIGKILL soak (setup and --boundaries come on top); --cases stops earlier.
// --boundaries first stops apply and revert after every single step (HFX_FAULT=kill-after-step:N)
// and checks both `hfx recover` and `hfx recover --rollback` there. Ctrl-C ends the soak after
// the cases in flight and still prints the summary. Exit 1 on any failure, including files left
// in .hfx/; failed packs are kept (their paths are printed).
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CrashCheckError,
  boundaryCase,
  groupLeftovers,
  hashInThisThread,
  inLanes,
  killCase,
  makeRigs,
  median,
  prng,
  timeRuns,
  type KillResult,
  type Op,
  type Rig,
} from '../test/helpers/crash.js';

function usage(msg: string): never {
  process.stderr.write(
    `${msg}\nusage: node dist/bench/crash-soak.js [SECONDS=120] [--cases N] [--seed S] [--lanes L] [--boundaries]\n`,
  );
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({
      options: {
        cases: { type: 'string' },
        seed: { type: 'string' },
        lanes: { type: 'string' },
        boundaries: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (e) {
    return usage((e as Error).message);
  }
})();
if (values.help) usage('A soak of SIGKILL + `hfx recover` on apply and revert.');
const whole = (v: string | undefined, what: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) usage(`${what} must be a whole number, not ${JSON.stringify(v)}`);
  return Number(v);
};
if (positionals.length > 1) usage('one SECONDS at most');
const seconds = whole(positionals[0], 'SECONDS', 120);
const maxCases = values.cases === undefined ? Infinity : whole(values.cases, '--cases', 0);
const seed = whole(values.seed, '--seed', Math.floor(Math.random() * 2 ** 31));
const lanes = Math.max(1, whole(values.lanes, '--lanes', 2));

hashInThisThread();
const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
const log = (s: string) => process.stdout.write(`[${secs().padStart(6)} s] ${s}\n`);

const root = mkdtempSync(join(tmpdir(), 'hfx-soak-'));
log(`seed ${seed}, ${lanes} lane(s), building the pack in ${root}`);
const rigs = await makeRigs(root, seed, lanes);
log(`pack of ${Object.keys(rigs[0]!.before).length} paths; the hotfix is ${rigs[0]!.applySteps.length} steps`);

const failures: string[] = [];
let kept = 0;
/** Moves a failed pack out of the lane's way (the lane restarts from the template) and says where. */
async function keeping<T>(rig: Rig, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    // Ten failed packs are plenty to debug with; more would only fill the disk.
    if (e instanceof CrashCheckError && kept < 10) {
      const dest = join(root, `failed-${++kept}`);
      try {
        renameSync(rig.home, dest);
        e.message = `${e.message.trimEnd()}\n(the pack is kept in ${dest})`;
      } catch {
        /* the case failed before there was a pack to keep */
      }
    }
    throw e;
  }
}

if (values.boundaries) {
  for (const op of ['apply', 'revert'] as const) {
    const total = (op === 'apply' ? rigs[0]!.applySteps : rigs[0]!.revertSteps).length;
    const f = await inLanes(
      rigs,
      Array.from({ length: total }, (_, i) => i + 1),
      async (rig, n) => {
        await keeping(rig, () => boundaryCase(rig, op, n));
      },
    );
    failures.push(...f);
    log(`${op}: killed after each of ${total} steps, recover and recover --rollback checked: ${f.length} failed`);
  }
}

const times: Record<Op, number[]> = { apply: [], revert: [] };
await Promise.all(
  rigs.map(async (rig) => {
    times.apply.push(...(await timeRuns(rig, 'apply', 2)));
    times.revert.push(...(await timeRuns(rig, 'revert', 2)));
  }),
);
const T: Record<Op, number> = { apply: median(times.apply), revert: median(times.revert) };
log(`uninterrupted runs (median, all lanes busy): apply ${T.apply.toFixed(0)} ms, revert ${T.revert.toFixed(0)} ms`);

let deadline = performance.now() + seconds * 1000;
process.on('SIGINT', () => {
  if (deadline === 0) process.exit(130);
  deadline = 0;
  log('interrupted: finishing the cases in flight (Ctrl-C again to quit now)');
});
const rand = prng(seed);
const results: KillResult[] = [];
const ticker = setInterval(() => log(`${results.length} cases, ${failures.length} failed`), 10_000);
ticker.unref();
const soakStart = performance.now();
const soakFailures = await inLanes(
  rigs,
  (i) => (i < maxCases && performance.now() < deadline ? i : undefined),
  async (rig, i) => {
    const op: Op = rig.at === 'BEFORE' ? 'apply' : 'revert';
    const r = rand();
    // Mostly anywhere in the run; now and then at spawn, or well past the end.
    const frac = r < 0.02 ? 0 : r < 0.06 ? 2 + 2 * rand() : 1.1 * rand();
    results.push(
      await keeping(rig, () => killCase(rig, op, frac * T[op], i % 2 === 0 ? 'forward' : 'rollback', ` case ${i}`)),
    );
  },
);
clearInterval(ticker);
failures.push(...soakFailures);
const soakSecs = (performance.now() - soakStart) / 1000;

const count = (p: (r: KillResult) => boolean) => results.filter(p).length;
/** The gist of a failure: hfx's own error message when there is one, else its first line. */
const firstError = (f: string): string =>
  /"message": "([^"]*)"/.exec(f)?.[1] ?? f.split('\n')[0]!.split(': ').slice(1).join(': ');
const leftovers = rigs.flatMap((r) => r.leftovers);
const lines = [
  '',
  `hfx crash soak: ${results.length} SIGKILL cases in ${soakSecs.toFixed(1)} s (seed ${seed}, ${lanes} lane(s))`,
  `  ops:       apply ${count((r) => r.op === 'apply')}, revert ${count((r) => r.op === 'revert')}; recovered with recover ${count((r) => r.mode === 'forward')}, recover --rollback ${count((r) => r.mode === 'rollback')}`,
  `  ended:     BEFORE ${count((r) => r.outcome === 'BEFORE')}, AFTER ${count((r) => r.outcome === 'AFTER')}`,
  `  killed:    ${count((r) => r.killed)} (recover did: nothing ${count((r) => r.killed && r.action === 'none')}, cleaned up ${count((r) => r.action === 'cleaned')}, completed ${count((r) => r.action === 'completed')}, rolled back ${count((r) => r.action === 'rolled-back')}); ran to the end: ${count((r) => !r.killed)}`,
  `  failures:  ${failures.length}`,
  ...failures.slice(0, 3).map((f) => `    - ${f.replace(/\n/g, '\n      ')}`),
  ...(failures.length > 3
    ? ['    all failed cases:', ...failures.map((f) => `      ${f.split(': ')[0] ?? f}: ${firstError(f)}`)]
    : []),
  `  leftovers in .hfx after recovery: ${leftovers.length}`,
  ...groupLeftovers(leftovers).map(([k, n]) => `    ${n}× ${k}`),
  ...leftovers.slice(0, 1).map((l) => `    first: ${l}`),
];
process.stdout.write(lines.join('\n') + '\n');
const bad = failures.length + leftovers.length > 0;
if (kept === 0) rmSync(root, { recursive: true, force: true });
else process.stdout.write(`failed packs kept under ${root}\n`);
process.exit(bad ? 1 : 0);
