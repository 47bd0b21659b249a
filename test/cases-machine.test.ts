// The case transition table (src/server/cases/machine.ts) on its own: laws that hold for the whole
// table, so a transition added or changed later is checked without a test of its own. The HTTP
// suites (cases.test.ts, cases-server.test.ts) walk particular cases through the server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isHfxError } from '../src/errors.js';
import {
  ACTIONS,
  GUARDS,
  STATES,
  TABLE,
  emptyFacts,
  failingGuard,
  transition,
  type CaseAction,
  type CaseState,
  type Facts,
  type Guard,
} from '../src/server/cases/machine.js';
import { ROLES } from '../src/store/schema.js';

/** Where a case's life ends (docs/cases.md); solved may still be reopened by a recurrence. */
const FINAL: readonly CaseState[] = ['solved', 'rejected', 'superseded'];

const edges = (): { from: CaseState; action: CaseAction; to: CaseState; guards: readonly Guard[]; role: string }[] =>
  (Object.entries(TABLE) as [CaseState, (typeof TABLE)[CaseState]][]).flatMap(([from, row]) =>
    (Object.entries(row) as [CaseAction, { to: CaseState; guards: readonly Guard[]; role: string }][]).map(
      ([action, t]) => ({ from, action, ...t }),
    ),
  );

/** The states reachable from `start` by any sequence of transitions (guards aside: see the facts test). */
function reachable(start: CaseState): Set<CaseState> {
  const seen = new Set<CaseState>([start]);
  const queue = [start];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    for (const t of Object.values(TABLE[s])) {
      if (!seen.has(t.to)) {
        seen.add(t.to);
        queue.push(t.to);
      }
    }
  }
  return seen;
}

/** Facts under which every guard holds. */
const ALL_KNOWN: Facts = {
  assignee: 'alice',
  team: 'core',
  rootCause: 'a null check',
  functional: { tests: 3, failed: 0 },
  regression: { tests: 40, failed: 0 },
  archiveLinked: true,
  window: { start: new Date('2026-03-01T20:00:00Z'), end: new Date('2026-03-01T22:00:00Z') },
  environment: 'Production',
  signoffBy: 'bob',
  monitorUntil: new Date('2026-03-08T00:00:00Z'),
  everywhere: true,
  missingIn: [],
  override: false,
  reason: 'recurrence',
  includedBy: 'U-1.8',
};

const text = fc.option(fc.constantFrom('', '  ', 'alice', 'core'), { nil: null });
const results = fc.option(fc.record({ tests: fc.nat(4), failed: fc.nat(2) }), { nil: null });
const day = fc.integer({ min: 0, max: 6 }).map((n) => new Date(Date.UTC(2026, 2, 1 + n)));
const facts: fc.Arbitrary<Facts> = fc.record({
  assignee: text,
  team: text,
  rootCause: text,
  functional: results,
  regression: results,
  archiveLinked: fc.boolean(),
  window: fc.option(fc.record({ start: day, end: day }), { nil: null }),
  environment: text,
  signoffBy: text,
  monitorUntil: fc.option(day, { nil: null }),
  everywhere: fc.boolean(),
  missingIn: fc.subarray(['QA', 'Production']),
  override: fc.boolean(),
  reason: text,
  includedBy: text,
});

describe('cases: the transition table', () => {
  test('every transition goes from a known state by a known action to a known state, with known guards and role', () => {
    const all = edges();
    assert.ok(all.length > 0);
    for (const e of all) {
      assert.ok(STATES.includes(e.from), `${e.from} is not a state`);
      assert.ok(ACTIONS.includes(e.action), `${e.action} (from ${e.from}) is not an action`);
      assert.ok(STATES.includes(e.to), `${e.from} --${e.action}--> ${e.to}: not a state`);
      assert.ok(
        (ROLES as readonly string[]).includes(e.role),
        `${e.from} --${e.action}--> needs role ${e.role}, not a role`,
      );
      for (const g of e.guards) assert.ok(GUARDS.includes(g), `${e.from} --${e.action}--> guard ${g} is not a guard`);
    }
  });

  test('every state has a row, every action is taken somewhere, every state but reported is entered somewhere', () => {
    assert.deepEqual(Object.keys(TABLE).sort(), [...STATES].sort());
    const all = edges();
    for (const a of ACTIONS)
      assert.ok(
        all.some((e) => e.action === a),
        `no state allows ${a}`,
      );
    for (const s of STATES)
      if (s !== 'reported')
        assert.ok(
          all.some((e) => e.to === s),
          `no transition enters ${s}`,
        );
  });

  test('every state is reachable from reported', () => {
    assert.deepEqual([...reachable('reported')].sort(), [...STATES].sort());
  });

  test('from every state that is not final, a final state is reachable', () => {
    for (const s of STATES) {
      if (FINAL.includes(s)) continue;
      const r = reachable(s);
      assert.ok(
        FINAL.some((f) => r.has(f)),
        `from ${s} no final state is reachable (reaches ${[...r].join(', ')})`,
      );
    }
  });

  test('rejected and superseded are final: nothing leaves them', () => {
    assert.deepEqual(Object.keys(TABLE.rejected), []);
    assert.deepEqual(Object.keys(TABLE.superseded), []);
  });

  test('transition() answers the table: its transition, or HFX_E_TRANSITION naming the actions the state allows', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATES), fc.constantFrom(...ACTIONS), (state, action) => {
        const want = TABLE[state][action];
        if (want) {
          assert.deepEqual(transition(state, action), want);
          return;
        }
        assert.throws(
          () => transition(state, action),
          (e: unknown) => {
            assert.ok(isHfxError(e, 'HFX_E_TRANSITION'));
            assert.deepEqual((e.details as { allowed: string[] }).allowed, Object.keys(TABLE[state]));
            return true;
          },
        );
      }),
      { numRuns: STATES.length * ACTIONS.length * 4 },
    );
  });

  test('any sequence of actions from reported stays among the states and can still end', () => {
    const ends = new Map(STATES.map((s) => [s, FINAL.includes(s) || FINAL.some((f) => reachable(s).has(f))]));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ACTIONS), { maxLength: 40 }), (actions) => {
        let state: CaseState = 'reported';
        for (const action of actions) {
          let next: CaseState = state;
          try {
            next = transition(state, action).to;
          } catch (e) {
            if (!isHfxError(e, 'HFX_E_TRANSITION')) throw e;
          }
          assert.ok(STATES.includes(next));
          state = next;
          assert.ok(ends.get(state), `stuck in ${state} after ${actions.join(' ')}`);
        }
      }),
    );
  });
});

describe('cases: guards', () => {
  test('every transition can be taken: its guards hold together when everything is known', () => {
    for (const e of edges()) assert.equal(failingGuard(e.guards, ALL_KNOWN), null, `${e.from} --${e.action}-->`);
  });

  test('every guard refuses when nothing is known', () => {
    for (const g of GUARDS) {
      const bad = failingGuard([g], emptyFacts());
      assert.equal(bad?.guard, g);
      assert.ok(bad.message.length > 0);
    }
  });

  test("the refusal names the first guard, in the table's order, that does not hold", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray([...GUARDS]), facts, (guards, f) => {
        const first = guards.find((g) => failingGuard([g], f) !== null);
        assert.equal(failingGuard(guards, f)?.guard, first);
      }),
    );
  });

  test('solving needs the fix everywhere, or an admin override with a reason that is not blank', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const holds = failingGuard(['present-everywhere'], f) === null;
        assert.equal(holds, f.everywhere || (f.override && f.reason !== null && f.reason.trim() !== ''));
      }),
    );
  });

  test('tests pass only with both results, no failure, and at least one test in each', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const holds = failingGuard(['tests-pass'], f) === null;
        const ok = (r: Facts['functional']) => r !== null && r.failed === 0 && r.tests > 0;
        assert.equal(holds, ok(f.functional) && ok(f.regression));
      }),
    );
  });
});
