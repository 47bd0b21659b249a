// Crash safety of apply and revert, from outside the process: the CLI runs as a child and is
// stopped either at an exact transaction step (HFX_FAULT) or by a real SIGKILL at a random
// moment; then `hfx recover` must leave the pack exactly BEFORE or exactly AFTER the hotfix,
// with `hfx state` and `hfx verify` agreeing. Knobs (for a longer local run):
// HFX_CRASH_SEED, HFX_CRASH_CASES (default 100), HFX_CRASH_BOUNDARIES (per operation, default 12).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  boundaryCase,
  ensureAt,
  groupLeftovers,
  hashInThisThread,
  inLanes,
  killCase,
  killFractions,
  makeRigs,
  median,
  opArgs,
  pickBoundaries,
  prng,
  runChild,
  settled,
  startOf,
  timeRuns,
  type KillResult,
  type Op,
  type Rig,
} from './helpers/crash.js';

const SEED = Number(process.env.HFX_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const KILL_CASES = Number(process.env.HFX_CRASH_CASES ?? 100);
const BOUNDARIES = Number(process.env.HFX_CRASH_BOUNDARIES ?? 12);
// Two lanes, each with its own copy of the pack: a child is mostly one busy thread, so a
// second lane is what keeps both cores of a small CI machine working.
const LANES = 2;

/** All failed cases in one message: which ones, and the first few in full. */
function report(what: string, failures: string[]): string {
  return `${failures.length} ${what} failed:\n${failures.slice(0, 3).join('\n---\n')}${
    failures.length > 3
      ? `\n--- and ${failures.length - 3} more: ${failures
          .slice(3)
          .map((f) => f.split(': ')[0])
          .join('; ')}`
      : ''
  }`;
}

/** Leftovers are checked in a subtest of their own, so they neither hide nor are hidden by a wrong tree. */
async function noLeftovers(t: TestContext, rigs: Rig[], from: number[]): Promise<void> {
  const found = rigs.flatMap((r, i) => r.leftovers.slice(from[i]));
  await t.test('recovery leaves nothing behind in .hfx (journal, staging, lock, temp files, orphan records)', () => {
    const kinds = groupLeftovers(found)
      .map(([k, n]) => `  ${n}× ${k}`)
      .join('\n');
    const first = String(found[0]);
    assert.equal(found.length, 0, `${found.length} leftover(s) in .hfx after recovery:\n${kinds}\nfirst: ${first}`);
  });
}

describe('crash safety of apply and revert', { concurrency: false }, () => {
  let root: string;
  let rigs: Rig[] = [];

  before(async () => {
    hashInThisThread();
    root = mkdtempSync(join(tmpdir(), 'hfx-crash-'));
    rigs = await makeRigs(root, SEED, LANES);
  });
  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const op of ['apply', 'revert'] as const) {
    test(`${op}: killed after step N, recover finishes it and recover --rollback undoes it`, async (t) => {
      const steps = op === 'apply' ? rigs[0]!.applySteps : rigs[0]!.revertSteps;
      // The rig is only worth its name if the hotfix makes a transaction of about 200 steps.
      assert.ok(steps.length >= 200, `only ${steps.length} steps`);
      const picks = pickBoundaries(steps, BOUNDARIES);
      assert.ok(picks.includes(1) && picks.includes(steps.length));
      const mark = rigs.map((r) => r.leftovers.length);
      const done: number[] = [];
      const failures = await inLanes(rigs, picks, async (rig, n) => {
        await boundaryCase(rig, op, n);
        done.push(n);
      });
      t.diagnostic(`${op}: ${steps.length} steps; stopped after steps ${picks.join(', ')}; ${failures.length} failed`);
      await noLeftovers(t, rigs, mark);
      assert.deepEqual(failures, [], report(`of ${picks.length} ${op} step boundaries`, failures));
      assert.deepEqual(
        done.sort((a, b) => a - b),
        picks,
      );
    });
  }

  test(`SIGKILL at random moments of ${KILL_CASES} child runs: recover leaves exactly BEFORE or AFTER`, async (t) => {
    const mark = rigs.map((r) => r.leftovers.length);
    // Durations are measured with every lane busy, as the kill cases will be.
    const times: Record<Op, number[]> = { apply: [], revert: [] };
    await Promise.all(
      rigs.map(async (rig) => {
        times.apply.push(...(await timeRuns(rig, 'apply', 1)));
        times.revert.push(...(await timeRuns(rig, 'revert', 1)));
      }),
    );
    const T: Record<Op, number> = { apply: median(times.apply), revert: median(times.revert) };
    const rand = prng(SEED);
    const fractions = killFractions(KILL_CASES, rand);
    const results: KillResult[] = [];
    const failures = await inLanes(rigs, fractions, async (rig, f, i) => {
      // Each case starts where the last one left its lane: apply on a pack without the hotfix,
      // revert on one with it, so no case pays for an extra uninterrupted run to get ready.
      const op: Op = rig.at === 'BEFORE' ? 'apply' : 'revert';
      results.push(await killCase(rig, op, f * T[op], i % 2 === 0 ? 'forward' : 'rollback', ` case ${i}`));
    });
    const count = (p: (r: KillResult) => boolean) => results.filter(p).length;
    const summary = {
      seed: SEED,
      msApply: Math.round(T.apply),
      msRevert: Math.round(T.revert),
      apply: count((r) => r.op === 'apply'),
      revert: count((r) => r.op === 'revert'),
      killed: count((r) => r.killed),
      before: count((r) => r.outcome === 'BEFORE'),
      after: count((r) => r.outcome === 'AFTER'),
      recovered: Object.fromEntries(
        ['none', 'cleaned', 'completed', 'rolled-back'].map((a) => [a, count((r) => r.action === a)]),
      ),
    };
    t.diagnostic(JSON.stringify({ ...summary, failed: failures.length }));
    await noLeftovers(t, rigs, mark);
    assert.deepEqual(failures, [], report(`of ${KILL_CASES} SIGKILL cases`, failures));
    assert.equal(results.length, KILL_CASES);
    // The delays must have spanned the run: some kills landed, some runs got to the end, and
    // both operations were exercised; otherwise the cases above proved little.
    assert.ok(summary.killed > 0 && summary.killed < KILL_CASES, `killed ${summary.killed} of ${KILL_CASES}`);
    assert.ok(summary.apply > 0 && summary.revert > 0, `apply ${summary.apply}, revert ${summary.revert}`);
    assert.ok(summary.before > 0 && summary.after > 0, `BEFORE ${summary.before}, AFTER ${summary.after}`);
  });

  test('fail-after-step: a failure inside the transaction is undone in-process, with a clear error', async (t) => {
    const rig = rigs[0]!;
    const mark = rigs.map((r) => r.leftovers.length);
    for (const [op, n] of [
      ['apply', Math.floor(rig.applySteps.length / 2)],
      ['revert', rig.revertSteps.length],
    ] as const) {
      await ensureAt(rig, startOf(op));
      rig.broken = true;
      const c = await runChild(opArgs(rig, op), { fault: `fail-after-step:${n}` });
      assert.equal(c.signal, null);
      assert.equal(c.code, 1, c.stdout + c.stderr);
      const out = JSON.parse(c.stdout) as { ok: boolean; error: { code: string; message: string } };
      assert.equal(out.ok, false);
      assert.equal(out.error.code, 'HFX_E_IO');
      assert.match(out.error.message, new RegExp(`^${op} HF-crash-0001 failed at .*injected fault`));
      // No recover here: the failing command itself must already have put everything back.
      rig.at = await settled(rig, rig.home, `${op} fail-after-step:${n}`);
      assert.equal(rig.at, startOf(op));
      rig.broken = false;
    }
    await noLeftovers(t, rigs, mark);
  });
});
