// The hotfix case as the API speaks it: the states and actions of the process and the table of
// which action leads where (the server's guards are in src/server/cases/machine.ts), the case rows
// and a customer's view of them. The dashboard offers exactly the actions this table allows.
import type { Role } from './roles.js';

/** The states of a case still open (not solved, rejected, rolled back or superseded). */
export const ACTIVE = [
  'reported',
  'triaged',
  'in-progress',
  'testing',
  'ready',
  'scheduled',
  'deployed',
  'verified',
  'monitoring',
] as const;

/**
 * The life of a hotfix case: the open states, then the closed ones. Terminal: solved, rejected,
 * superseded (rolled-back and solved can be reopened).
 */
export const STATES = [...ACTIVE, 'solved', 'rejected', 'rolled-back', 'superseded'] as const;
export type CaseState = (typeof STATES)[number];

export const ACTIONS = [
  'triage',
  'start',
  'evidence',
  'ready',
  'schedule',
  'deploy',
  'verify',
  'monitor',
  'solve',
  'reopen',
  'reject',
  'rollback',
  'supersede',
] as const;
export type CaseAction = (typeof ACTIONS)[number];

/** Conditions checked on the case's facts before a transition; each refusal names one. */
export const GUARDS = [
  'assigned',
  'root-cause',
  'evidence-functional',
  'evidence-regression',
  'tests-pass',
  'archive-linked',
  'window',
  'environment',
  'signoff',
  'monitor-period',
  'present-everywhere',
  'reason',
  'included-by-update',
] as const;
export type Guard = (typeof GUARDS)[number];

export interface Transition {
  to: CaseState;
  guards: readonly Guard[];
  /** The least role that may take the transition. */
  role: Role;
}

const SHIPPED = ['scheduled', 'deployed', 'verified', 'monitoring'] as const;

function build(): Record<CaseState, Partial<Record<CaseAction, Transition>>> {
  const t = Object.fromEntries(STATES.map((s) => [s, {}])) as Record<
    CaseState,
    Partial<Record<CaseAction, Transition>>
  >;
  const add = (from: readonly CaseState[], action: CaseAction, to: CaseState, guards: Guard[], role: Role) => {
    for (const f of from) t[f][action] = { to, guards, role };
  };
  add(['reported'], 'triage', 'triaged', [], 'developer');
  add(['triaged'], 'start', 'in-progress', ['assigned'], 'developer');
  // Evidence moves a case into testing, and may be uploaded again while it is there (a re-run).
  add(
    ['in-progress', 'testing'],
    'evidence',
    'testing',
    ['root-cause', 'evidence-functional', 'evidence-regression'],
    'developer',
  );
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

/** Pass/fail counts parsed from JUnit XML (cases). */
export interface CaseTestCounts {
  tests: number;
  failed: number;
  errors: number;
  skipped: number;
  passed: number;
  failures: string[];
}

export interface CaseRow {
  id: number;
  title: string;
  product: string;
  release: string | null;
  component: string | null;
  customer_id: string | null;
  severity: string;
  priority: string;
  state: string;
  assignee: string | null;
  team: string | null;
  hotfix_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface CaseDetail extends CaseRow {
  description: string;
  source: string;
  reporter: string;
  level: number | null;
  impact: string;
  impact_text: string;
  priority_reason: string | null;
  root_cause: string | null;
  commits: { sha: string; subject?: string }[];
  functional: CaseTestCounts | null;
  regression: CaseTestCounts | null;
  window_start: string | null;
  window_end: string | null;
  deployed: { environment: string; at: string; by: string }[];
  signoff_by: string | null;
  monitor_until: string | null;
  outcome: string | null;
  reopened: number;
  created_by: string;
  transitions: {
    id: number;
    action: string;
    from_state: string | null;
    to_state: string;
    actor: string;
    reason: string | null;
    at: string;
  }[];
  evidence: { id: number; kind: string; counts: CaseTestCounts; uploaded_by: string; at: string }[];
  notifications: {
    event_id: string;
    event: string;
    kind: string;
    target?: string;
    attempts: number;
    delivered_at: string | null;
    failed_at: string | null;
    last_error?: string | null;
  }[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  details: unknown;
}

/**
 * What a customer's own people see of their cases (seed 002, "communicate with users"): where the
 * fix stands, its timeline in plain words, and its release notes. Never the vendor's internal
 * notes: no reasons, root cause, evidence, assignee or actors.
 */
export interface CustomerCase {
  id: number;
  title: string;
  product: string;
  release: string | null;
  severity: string;
  priority: string;
  state: string;
  hotfix: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CustomerCaseDetail extends CustomerCase {
  timeline: { at: string; state: string; what: string }[];
  deployed: { environment: string; at: string }[];
  monitorUntil: string | null;
  releaseNotes: string | null;
}
