import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isHfxError } from '../src/errors.js';
import { parseJUnit } from '../src/server/cases/junit.js';
import {
  ACTIONS,
  emptyFacts,
  failingGuard,
  GUARDS,
  STATES,
  TABLE,
  transition,
  type CaseAction,
  type CaseState,
  type Facts,
  type Guard,
} from '../src/server/cases/machine.js';
import { IMPACTS, PRIORITY, priorityOf, SEVERITIES } from '../src/server/cases/priority.js';
import { hotfixNotes, updateNotes, type NotesArchive } from '../src/server/cases/release-notes.js';
import { signWebhook, verifyWebhook } from '../src/server/notify/sign.js';
import { backoffMs } from '../src/server/notify/outbox.js';

/** The whole table, written out once more by hand: a change to the machine must change this too. */
const EXPECTED: Record<string, string> = {
  'reported triage': 'triaged',
  'triaged start': 'in-progress',
  'in-progress evidence': 'testing',
  'testing evidence': 'testing',
  'testing ready': 'ready',
  'ready schedule': 'scheduled',
  'scheduled deploy': 'deployed',
  'deployed deploy': 'deployed',
  'deployed verify': 'verified',
  'verified monitor': 'monitoring',
  'monitoring solve': 'solved',
  'monitoring reopen': 'in-progress',
  'solved reopen': 'in-progress',
  'rolled-back reopen': 'in-progress',
  'testing reopen': 'in-progress',
  'ready reopen': 'in-progress',
  'reported reject': 'rejected',
  'triaged reject': 'rejected',
  'in-progress reject': 'rejected',
  'scheduled rollback': 'rolled-back',
  'deployed rollback': 'rolled-back',
  'verified rollback': 'rolled-back',
  'monitoring rollback': 'rolled-back',
  ...Object.fromEntries(
    ['reported', 'triaged', 'in-progress', 'testing', 'ready', 'scheduled', 'deployed', 'verified', 'monitoring'].map(
      (s) => [`${s} supersede`, 'superseded'],
    ),
  ),
};

describe('case state machine', () => {
  test('every state × action: the table, or HFX_E_TRANSITION naming what is allowed', () => {
    let allowed = 0;
    for (const s of STATES)
      for (const a of ACTIONS) {
        const want = EXPECTED[`${s} ${a}`];
        if (want) {
          assert.equal(transition(s, a).to, want, `${s} ${a}`);
          allowed++;
        } else {
          assert.throws(
            () => transition(s, a),
            (e: unknown) => isHfxError(e, 'HFX_E_TRANSITION') && JSON.stringify(e.details).includes(s),
            `${s} ${a}`,
          );
        }
      }
    assert.equal(allowed, Object.keys(EXPECTED).length);
    assert.equal(STATES.length * ACTIONS.length, 169);
  });

  test('rejected and superseded are final; every non-final state is reachable from reported', () => {
    for (const s of ['rejected', 'superseded'] as CaseState[]) assert.deepEqual(Object.keys(TABLE[s]), []);
    const seen = new Set<CaseState>(['reported']);
    const todo: CaseState[] = ['reported'];
    while (todo.length) {
      for (const t of Object.values(TABLE[todo.pop()!])) {
        if (!seen.has(t.to)) {
          seen.add(t.to);
          todo.push(t.to);
        }
      }
    }
    assert.deepEqual([...seen].sort(), [...STATES].sort());
  });

  test('each guard refuses on empty facts and holds on the facts it asks for', () => {
    const ok: Facts = {
      assignee: 'ann',
      team: null,
      rootCause: 'cache key',
      functional: { tests: 3, failed: 0 },
      regression: { tests: 9, failed: 0 },
      archiveLinked: true,
      window: { start: new Date(1), end: new Date(2) },
      environment: 'prod',
      signoffBy: 'bob',
      monitorUntil: new Date(),
      everywhere: true,
      missingIn: [],
      override: false,
      reason: 'why',
      includedBy: 'UPD-2',
    };
    for (const g of GUARDS) {
      assert.equal(failingGuard([g], emptyFacts())?.guard, g, g);
      assert.equal(failingGuard([g], ok), null, g);
    }
    const cases: [Guard, Partial<Facts>][] = [
      ['tests-pass', { regression: { tests: 9, failed: 1 } }],
      ['tests-pass', { functional: { tests: 3, failed: 2 } }],
      ['tests-pass', { regression: { tests: 0, failed: 0 } }],
      ['window', { window: { start: new Date(2), end: new Date(1) } }],
      ['assigned', { assignee: '  ' }],
      ['present-everywhere', { everywhere: false }],
      ['present-everywhere', { everywhere: false, override: true, reason: '' }],
    ];
    for (const [g, f] of cases) assert.equal(failingGuard([g], { ...ok, ...f })?.guard, g, `${g} ${JSON.stringify(f)}`);
    assert.equal(
      failingGuard(['present-everywhere'], { ...ok, everywhere: false, override: true, reason: 'customer confirmed' }),
      null,
    );
    assert.match(
      failingGuard(['tests-pass'], { ...ok, regression: { tests: 9, failed: 1 } })!.message,
      /1 regression test/,
    );
  });

  test('roles: developers develop, release managers ship', () => {
    const dev: CaseAction[] = ['triage', 'start', 'evidence', 'ready', 'reopen'];
    for (const s of STATES)
      for (const [a, t] of Object.entries(TABLE[s]))
        assert.equal(t.role, dev.includes(a as CaseAction) ? 'developer' : 'release-manager', `${s} ${a}`);
  });
});

describe('priority', () => {
  test('severity × impact, as documented in docs/cases.md', () => {
    const doc = ['S1 P1 P1 P2 P2', 'S2 P1 P2 P2 P3', 'S3 P2 P3 P3 P4', 'S4 P3 P4 P4 P4'];
    for (const row of doc) {
      const [s, ...ps] = row.split(' ');
      IMPACTS.forEach((i, n) => assert.equal(priorityOf(s as 'S1', i), ps[n], `${s!} ${i}`));
    }
    assert.deepEqual(Object.keys(PRIORITY), [...SEVERITIES]);
    // Monotonic: worse severity or wider impact never lowers the priority.
    for (let s = 1; s < 4; s++)
      for (const i of IMPACTS) assert.ok(priorityOf(SEVERITIES[s - 1]!, i) <= priorityOf(SEVERITIES[s]!, i));
    for (const s of SEVERITIES)
      for (let i = 1; i < 4; i++) assert.ok(priorityOf(s, IMPACTS[i - 1]!) <= priorityOf(s, IMPACTS[i]!));
  });
});

export const JUNIT_PASS = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="regression" tests="3">
  <testsuite name="core" tests="2"><testcase classname="core.Cache" name="hit"/><testcase classname="core.Cache" name="miss" time="0.1"></testcase></testsuite>
  <testsuite name="api"><testcase name="login"><system-out>ok</system-out></testcase><testcase name="slow"><skipped/></testcase></testsuite>
</testsuites>`;
export const JUNIT_FAIL = `<testsuite name="regression" tests="2" failures="0">
  <testcase classname="a.B" name="ok"/>
  <testcase classname="a.B" name="broken"><failure message="expected 1">stack</failure></testcase>
  <testcase classname="a.B" name="crash"><error type="NPE"/></testcase>
</testsuite>`;

describe('JUnit XML', () => {
  test('counts come from test cases (nested suites, skipped, failures, errors), not attributes', () => {
    assert.deepEqual(parseJUnit(JUNIT_PASS), { tests: 4, failed: 0, errors: 0, skipped: 1, passed: 3, failures: [] });
    assert.deepEqual(parseJUnit(JUNIT_FAIL), {
      tests: 3,
      failed: 1,
      errors: 1,
      skipped: 0,
      passed: 1,
      failures: ['a.B.broken', 'a.B.crash'],
    });
    assert.equal(parseJUnit('<testsuites/>').tests, 0);
    assert.equal(
      parseJUnit('<testsuites><testsuite><testsuite><testcase name="deep"/></testsuite></testsuite></testsuites>')
        .tests,
      1,
    );
  });
  test('malformed XML, other roots, entity tricks and huge input are HFX_E_JUNIT', () => {
    for (const bad of [
      '',
      'not xml',
      '<testsuite><testcase></testsuite>',
      '<html><body/></html>',
      '<a/><b/>',
      '<testsuite name="x>',
      '<!DOCTYPE x [<!ENTITY a "aaaa">]><testsuite>&a;</testsuite><x/>',
      'x'.repeat(21 * 1024 * 1024),
    ]) {
      assert.throws(
        () => parseJUnit(bad),
        (e: unknown) => isHfxError(e, 'HFX_E_JUNIT'),
        bad.slice(0, 40),
      );
    }
  });
});

describe('release notes and webhooks', () => {
  const a: NotesArchive = {
    id: 'HF-1.0.0-0-0001',
    kind: 'hotfix',
    product: 'demo',
    release: '1.0.0',
    level: 0,
    to_level: null,
    security: false,
    title: 'Fix core',
    severity: 'S1',
    sha256: 'ab'.repeat(32),
    signer: 'k1',
    includes: [],
    manifest: {
      description: 'Core no longer leaks.',
      entries: [
        { path: 'lib/core.jar', op: 'modify' },
        { path: 'lib/cache.jar', op: 'add' },
      ],
      source: { commits: [{ sha: 'deadbeefcafe0000', subject: 'fix leak' }] },
    },
  };
  const c = {
    id: 7,
    title: 'Core leaks memory',
    description: 'OOM after a day',
    product: 'demo',
    release: '1.0.0',
    component: 'core',
    severity: 'S1',
    priority: 'P1',
    impact: 'all',
    impact_text: 'outage',
    root_cause: 'unbounded cache',
    customer_id: 'acme',
    functional: { tests: 4, failed: 0, errors: 0 },
    regression: { tests: 10, failed: 0, errors: 0 },
  };
  test('a hotfix: issue, fix, files from the manifest, how to apply and revert', () => {
    const md = hotfixNotes(c, a);
    for (const s of [
      '# HF-1.0.0-0-0001: Core leaks memory',
      '## Issue',
      'OOM after a day',
      'Root cause: unbounded cache',
      '`deadbeefcafe` fix leak',
      '| `lib/core.jar` | changed |',
      '| `lib/cache.jar` | added |',
      'hfx apply HF-1.0.0-0-0001.zip --home PACK',
      'hfx revert HF-1.0.0-0-0001 --home PACK',
      'regression 10/10 passed',
      `\`${'ab'.repeat(32)}\``,
    ])
      assert.ok(md.includes(s), s);
  });
  test('an update level lists the hotfixes it includes', () => {
    const md = updateNotes(
      { ...a, id: 'UPD-1', kind: 'update', to_level: 1, security: true, includes: ['HF-1.0.0-0-0001', 'HF-X'] },
      [{ id: 'HF-1.0.0-0-0001', title: 'Fix core', severity: 'S1' }],
    );
    for (const s of [
      'update level 1 (security)',
      '| HF-1.0.0-0-0001 | Fix core | S1 |',
      '| HF-X | — | — |',
      'hfx update UPD-1.zip --home PACK',
      'hfx update --revert',
    ])
      assert.ok(md.includes(s), s);
  });
  test('webhook signatures verify, and fail on any change; backoff grows', () => {
    const sig = signWebhook('s3cret-s3cret-s3cret', '1700000000', '{"a":1}');
    assert.match(sig, /^sha256=[0-9a-f]{64}$/);
    assert.ok(verifyWebhook('s3cret-s3cret-s3cret', '1700000000', '{"a":1}', sig));
    assert.ok(!verifyWebhook('s3cret-s3cret-s3cret', '1700000001', '{"a":1}', sig));
    assert.ok(!verifyWebhook('other', '1700000000', '{"a":1}', sig));
    assert.ok(backoffMs(1) < backoffMs(5) && backoffMs(30) <= 3600_000 * 1.2);
  });
});
