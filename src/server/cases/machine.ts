import { HfxError } from '../../errors.js';
import type { Role } from '../../store/schema.js';

/** The life of a hotfix case. Terminal: solved, rejected, superseded (rolled-back and solved can be reopened). */
export const STATES = ['reported', 'triaged', 'in-progress', 'testing', 'ready', 'scheduled', 'deployed', 'verified', 'monitoring', 'solved', 'rejected', 'rolled-back', 'superseded'] as const;
export type CaseState = (typeof STATES)[number];

export const ACTIONS = ['triage', 'start', 'evidence', 'ready', 'schedule', 'deploy', 'verify', 'monitor', 'solve', 'reopen', 'reject', 'rollback', 'supersede'] as const;
export type CaseAction = (typeof ACTIONS)[number];

/** Conditions checked on the case's facts before a transition; each refusal names one. */
export const GUARDS = ['assigned', 'root-cause', 'evidence-functional', 'evidence-regression', 'tests-pass', 'archive-linked', 'window', 'environment', 'signoff', 'monitor-period', 'present-everywhere', 'reason', 'included-by-update'] as const;
export type Guard = (typeof GUARDS)[number];

export interface Transition {
  to: CaseState;
  guards: readonly Guard[];
  /** The least role that may take the transition. */
  role: Role;
}

const ACTIVE = ['reported', 'triaged', 'in-progress', 'testing', 'ready', 'scheduled', 'deployed', 'verified', 'monitoring'] as const;
const SHIPPED = ['scheduled', 'deployed', 'verified', 'monitoring'] as const;

function build(): Record<CaseState, Partial<Record<CaseAction, Transition>>> {
  const t = Object.fromEntries(STATES.map((s) => [s, {}])) as Record<CaseState, Partial<Record<CaseAction, Transition>>>;
  const add = (from: readonly CaseState[], action: CaseAction, to: CaseState, guards: Guard[], role: Role) => {
    for (const f of from) t[f][action] = { to, guards, role };
  };
  add(['reported'], 'triage', 'triaged', [], 'developer');
  add(['triaged'], 'start', 'in-progress', ['assigned'], 'developer');
  // Evidence moves a case into testing, and may be uploaded again while it is there (a re-run).
  add(['in-progress', 'testing'], 'evidence', 'testing', ['root-cause', 'evidence-functional', 'evidence-regression'], 'developer');
  add(['testing'], 'ready', 'ready', ['tests-pass', 'archive-linked'], 'developer');
  add(['ready'], 'schedule', 'scheduled', ['window'], 'release-manager');
  // Deployed once per environment: deploy again while deployed to add the next one.
  add(['scheduled', 'deployed'], 'deploy', 'deployed', ['environment'], 'release-manager');
  add(['deployed'], 'verify', 'verified', ['signoff'], 'release-manager');
  add(['verified'], 'monitor', 'monitoring', ['monitor-period'], 'release-manager');
  add(['monitoring'], 'solve', 'solved', ['present-everywhere'], 'release-manager');
  // A recurrence (or a decision) sends the fix back to development.
  add(['monitoring', 'solved', 'rolled-back', 'testing', 'ready'], 'reopen', 'in-progress', ['reason'], 'developer');
  add(['reported', 'triaged', 'in-progress'], 'reject', 'rejected', ['reason'], 'release-manager');
  add(SHIPPED, 'rollback', 'rolled-back', ['reason'], 'release-manager');
  add(ACTIVE, 'supersede', 'superseded', ['included-by-update'], 'release-manager');
  return t;
}

export const TABLE: Readonly<Record<CaseState, Partial<Record<CaseAction, Transition>>>> = build();

/** The transition for `action` in `state`, or HFX_E_TRANSITION. Pure. */
export function transition(state: CaseState, action: CaseAction): Transition {
  const t = TABLE[state]?.[action];
  if (!t) {
    const can = Object.keys(TABLE[state] ?? {});
    throw new HfxError('HFX_E_TRANSITION', `a ${state} case cannot ${action}`, { hint: can.length ? `From ${state}: ${can.join(', ')}.` : `${state} is final.`, details: { state, action, allowed: can } });
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
  return { assignee: null, team: null, rootCause: null, functional: null, regression: null, archiveLinked: false, window: null, environment: null, signoffBy: null, monitorUntil: null, everywhere: false, missingIn: [], override: false, reason: null, includedBy: null };
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
    case 'assigned': return has(f.assignee) || has(f.team) ? null : 'an assignee or a team is needed';
    case 'root-cause': return has(f.rootCause) ? null : 'the root cause must be recorded before testing';
    case 'evidence-functional': return f.functional ? null : 'functional test results (JUnit XML) are needed';
    case 'evidence-regression': return f.regression ? null : 'regression test results (JUnit XML) are needed';
    case 'tests-pass':
      if (!f.functional || !f.regression) return 'functional and regression results are needed';
      if (f.regression.failed > 0) return `${f.regression.failed} regression test(s) fail`;
      if (f.functional.failed > 0) return `${f.functional.failed} functional test(s) fail`;
      if (f.functional.tests === 0 || f.regression.tests === 0) return 'test results without any test case prove nothing';
      return null;
    case 'archive-linked': return f.archiveLinked ? null : 'a signed hotfix archive uploaded to the server must be linked';
    case 'window': return f.window && f.window.end > f.window.start ? null : 'a deployment window (start before end) is needed';
    case 'environment': return has(f.environment) ? null : 'the environment deployed to is needed';
    case 'signoff': return has(f.signoffBy) ? null : 'a stakeholder sign-off by a named user is needed';
    case 'monitor-period': return f.monitorUntil ? null : 'a monitoring period is needed';
    case 'present-everywhere':
      if (f.everywhere || (f.override && has(f.reason))) return null;
      return `the fix is not present in every environment${f.missingIn.length ? `: missing in ${f.missingIn.join(', ')}` : ''} (propagate it there, or an admin may override with a reason)`;
    case 'reason': return has(f.reason) ? null : 'a reason is needed';
    case 'included-by-update': return has(f.includedBy) ? null : 'an update level that includes the hotfix is needed';
  }
}
