import { HfxError } from '../../errors.js';

export {
  ACTIONS,
  GUARDS,
  STATES,
  TABLE,
  type CaseAction,
  type CaseState,
  type Guard,
  type Transition,
} from '../../wire/cases.js';
import type { CaseAction, CaseState, Guard } from '../../wire/cases.js';
import { TABLE, type Transition } from '../../wire/cases.js';

/** The table's row for a state read from the database, which its type cannot vouch for. */
const rowOf = (state: string): Partial<Record<CaseAction, Transition>> | undefined =>
  (TABLE as Partial<Record<string, Partial<Record<CaseAction, Transition>>>>)[state];

/** The transition for `action` in `state`, or HFX_E_TRANSITION. Pure. */
export function transition(state: CaseState, action: CaseAction): Transition {
  const t = rowOf(state)?.[action];
  if (!t) {
    const can = Object.keys(rowOf(state) ?? {});
    throw new HfxError('HFX_E_TRANSITION', `a ${state} case cannot ${action}`, {
      hint: can.length ? `From ${state}: ${can.join(', ')}.` : `${state} is final.`,
      details: { state, action, allowed: can },
    });
  }
  return t;
}

/** What the guards look at; the route gathers it from the database. */
export interface Facts {
  assignee: string | null;
  team: string | null;
  rootCause: string | null;
  functional: { tests: number; failed: number } | null;
  regression: { tests: number; failed: number } | null;
  archiveLinked: boolean;
  window: { start: Date; end: Date } | null;
  environment: string | null;
  signoffBy: string | null;
  monitorUntil: Date | null;
  everywhere: boolean;
  /** The environments that lack the fix, named in the refusal. */
  missingIn: string[];
  /** An admin chose to override the presence check, with a reason. */
  override: boolean;
  reason: string | null;
  includedBy: string | null;
}

export function emptyFacts(): Facts {
  return {
    assignee: null,
    team: null,
    rootCause: null,
    functional: null,
    regression: null,
    archiveLinked: false,
    window: null,
    environment: null,
    signoffBy: null,
    monitorUntil: null,
    everywhere: false,
    missingIn: [],
    override: false,
    reason: null,
    includedBy: null,
  };
}

const has = (s: string | null) => s !== null && s.trim() !== '';

/** The first guard that does not hold, with why; null when all hold. Pure. */
export function failingGuard(guards: readonly Guard[], f: Facts): { guard: Guard; message: string } | null {
  for (const g of guards) {
    const m = check(g, f);
    if (m) return { guard: g, message: m };
  }
  return null;
}

function check(g: Guard, f: Facts): string | null {
  switch (g) {
    case 'assigned':
      return has(f.assignee) || has(f.team) ? null : 'an assignee or a team is needed';
    case 'root-cause':
      return has(f.rootCause) ? null : 'the root cause must be recorded before testing';
    case 'evidence-functional':
      return f.functional ? null : 'functional test results (JUnit XML) are needed';
    case 'evidence-regression':
      return f.regression ? null : 'regression test results (JUnit XML) are needed';
    case 'tests-pass':
      if (!f.functional || !f.regression) return 'functional and regression results are needed';
      if (f.regression.failed > 0) return `${f.regression.failed} regression test(s) fail`;
      if (f.functional.failed > 0) return `${f.functional.failed} functional test(s) fail`;
      if (f.functional.tests === 0 || f.regression.tests === 0)
        return 'test results without any test case prove nothing';
      return null;
    case 'archive-linked':
      return f.archiveLinked ? null : 'a signed hotfix archive uploaded to the server must be linked';
    case 'window':
      return f.window && f.window.end > f.window.start ? null : 'a deployment window (start before end) is needed';
    case 'environment':
      return has(f.environment) ? null : 'the environment deployed to is needed';
    case 'signoff':
      return has(f.signoffBy) ? null : 'a stakeholder sign-off by a named user is needed';
    case 'monitor-period':
      return f.monitorUntil ? null : 'a monitoring period is needed';
    case 'present-everywhere':
      if (f.everywhere || (f.override && has(f.reason))) return null;
      return `the fix is not present in every environment${f.missingIn.length ? `: missing in ${f.missingIn.join(', ')}` : ''} (propagate it there, or an admin may override with a reason)`;
    case 'reason':
      return has(f.reason) ? null : 'a reason is needed';
    case 'included-by-update':
      return has(f.includedBy) ? null : 'an update level that includes the hotfix is needed';
  }
}
