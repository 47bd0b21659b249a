import { sql, type Kysely, type Transaction, type Updateable } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import { audit } from '../audit.js';
import { rank, type Actor } from '../auth.js';
import { fixPresence } from '../environments/presence.js';
import { enqueue } from '../notify/outbox.js';
import { caseData, HANDLERS, type ActionInput, type CaseRow, type Step } from './actions.js';
import { failing, parseJUnit } from './junit.js';
import { emptyFacts, failingGuard, transition, type CaseAction, type CaseState } from './machine.js';
import { priorityOf, type Impact, type Priority } from './priority.js';

export interface Intake {
  title: string;
  description?: string;
  source: 'customer' | 'monitoring' | 'testing';
  reporter: string;
  customer?: string;
  product: string;
  release?: string;
  level?: number;
  component?: string;
  impact: Impact;
  impactText?: string;
  severity: 'S1' | 'S2' | 'S3' | 'S4';
}

const SYSTEM: Actor = { name: 'hfx', role: 'admin' };

export async function createCase(db: Kysely<Database>, actor: Actor, b: Intake): Promise<CaseRow> {
  if (b.customer) {
    const c = await db.selectFrom('customers').select('id').where('id', '=', b.customer).executeTakeFirst();
    if (!c) throw new HfxError('HFX_E_NOT_FOUND', `no customer ${b.customer}`);
  }
  const row = await db.transaction().execute(async (tx) => {
    const r = await tx
      .insertInto('cases')
      .values({
        title: b.title,
        description: b.description ?? '',
        source: b.source,
        reporter: b.reporter,
        customer_id: b.customer ?? null,
        product: b.product,
        release: b.release ?? null,
        level: b.level ?? null,
        component: b.component ?? null,
        impact: b.impact,
        impact_text: b.impactText ?? '',
        severity: b.severity,
        priority: priorityOf(b.severity, b.impact),
        priority_reason: null,
        state: 'reported',
        created_by: actor.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await logTransition(tx, r.id, {
      action: 'report',
      from: null,
      to: 'reported',
      actor: actor.name,
      reason: null,
      details: { source: b.source },
    });
    await audit(tx, actor.name, 'create', 'case', String(r.id), { ...b, priority: r.priority });
    if (r.severity === 'S1' || r.severity === 'S2') {
      await enqueue(tx, {
        eventId: `case.created:${r.id}`,
        event: 'case.created',
        customer: r.customer_id,
        subject: `[hfx] ${r.severity} case #${r.id}: ${r.title}`,
        text: `A new ${r.severity} (${r.priority}) case was reported for ${r.product}${r.component ? ` (${r.component})` : ''}.\n\n${r.description}\n\nImpact (${r.impact}): ${r.impact_text}\nReported by ${r.reporter} via ${r.source}.\n`,
        data: caseData(r),
      });
    }
    return r;
  });
  // A recurrence: a case being monitored on the same product and component goes back to development.
  if (row.component) {
    const watched = await db
      .selectFrom('cases')
      .select('id')
      .where('state', '=', 'monitoring')
      .where('product', '=', row.product)
      .where('component', '=', row.component)
      .where('id', '<>', row.id)
      .execute();
    for (const w of watched)
      await act(db, SYSTEM, w.id, 'reopen', {
        reason: `recurrence: new case #${row.id} on ${row.product}/${row.component}`,
      });
  }
  return row;
}

export async function overridePriority(
  db: Kysely<Database>,
  actor: Actor,
  id: number,
  priority: Priority,
  reason: string,
): Promise<CaseRow> {
  if (!reason.trim())
    throw new HfxError('HFX_E_GUARD', 'overriding the priority needs a reason', { details: { guard: 'reason' } });
  return db.transaction().execute(async (tx) => {
    const c = await lock(tx, id);
    if (['solved', 'rejected', 'superseded'].includes(c.state))
      throw new HfxError('HFX_E_TRANSITION', `a ${c.state} case's priority does not change`);
    const r = await moveCase(
      tx,
      id,
      { priority, priority_reason: reason },
      {
        action: 'priority',
        from: c.state,
        to: c.state,
        actor: actor.name,
        reason,
        details: { from: c.priority, to: priority, computed: priorityOf(c.severity, c.impact) },
      },
    );
    await audit(tx, actor.name, 'priority', 'case', String(id), { from: c.priority, to: priority, reason });
    return r;
  });
}

/** A step in a case's history, as case_transitions keeps it (the customer's timeline is told from these). */
interface LoggedStep {
  action: string;
  from: string | null;
  to: string;
  actor: string;
  reason: string | null;
  details: unknown;
}

async function logTransition(tx: Transaction<Database>, id: number, t: LoggedStep): Promise<void> {
  await tx
    .insertInto('case_transitions')
    .values({
      case_id: id,
      action: t.action,
      from_state: t.from,
      to_state: t.to,
      actor: t.actor,
      reason: t.reason,
      details: JSON.stringify(t.details),
    })
    .execute();
}

/** Changes a locked case (updated_at too) and logs the step that changed it, in the caller's transaction. */
async function moveCase(
  tx: Transaction<Database>,
  id: number,
  set: Updateable<Database['cases']>,
  t: LoggedStep,
): Promise<CaseRow> {
  const r = await tx
    .updateTable('cases')
    .set({ ...set, updated_at: sql`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await logTransition(tx, id, t);
  return r;
}

async function lock(tx: Transaction<Database>, id: number): Promise<CaseRow> {
  const c = await tx.selectFrom('cases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!c) throw new HfxError('HFX_E_NOT_FOUND', `no case ${id}`);
  return c;
}

/**
 * Takes one action on a case: the table says whether the state allows it and which role and guards
 * it needs; the action's handler (actions.ts) reads its inputs into the case as it would be after
 * the action, on which the guards are checked; then the case, its transition, the audit entry and
 * the notifications commit in one transaction. Any refusal changes nothing.
 */
export async function act(
  db: Kysely<Database>,
  actor: Actor,
  id: number,
  action: CaseAction,
  b: ActionInput,
): Promise<CaseRow> {
  // Parsing evidence is done before anything is read: malformed XML is refused as it is.
  const functional = b.functional !== undefined ? parseJUnit(b.functional) : undefined;
  const regression = b.regression !== undefined ? parseJUnit(b.regression) : undefined;
  const pre = await db
    .selectFrom('cases')
    .select(['product', 'hotfix_id', 'state'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!pre) throw new HfxError('HFX_E_NOT_FOUND', `no case ${id}`);
  // Presence is asked outside the transaction (it reads other modules' tables), and checked again below by state.
  const presence =
    action === 'solve' && pre.hotfix_id
      ? await fixPresence(db, { product: pre.product, hotfixId: pre.hotfix_id })
      : null;
  const handler = HANDLERS[action];
  return db.transaction().execute(async (tx) => {
    const c = await lock(tx, id);
    const t = transition(c.state as CaseState, action);
    if (rank(actor.role) < rank(t.role))
      throw new HfxError('HFX_E_FORBIDDEN', `${action} needs the ${t.role} role; you are ${actor.role}`);
    if (b.override && actor.role !== 'admin')
      throw new HfxError('HFX_E_FORBIDDEN', 'only an admin may override a guard');
    const s: Step = {
      tx,
      actor,
      action,
      c,
      b,
      functional,
      regression,
      presence,
      set: {},
      details: {},
      f: {
        ...emptyFacts(),
        assignee: c.assignee,
        team: c.team,
        rootCause: c.root_cause,
        functional: c.functional ? { tests: c.functional.tests, failed: failing(c.functional) } : null,
        regression: c.regression ? { tests: c.regression.tests, failed: failing(c.regression) } : null,
        window: c.window_start && c.window_end ? { start: c.window_start, end: c.window_end } : null,
        signoffBy: c.signoff_by,
        monitorUntil: c.monitor_until,
        reason: b.reason ?? null,
        override: b.override === true,
      },
    };
    await handler.prepare?.(s);
    const bad = failingGuard(t.guards, s.f);
    if (bad)
      throw new HfxError('HFX_E_GUARD', `cannot ${action} case ${id}: ${bad.message}`, {
        details: { guard: bad.guard },
      });
    await handler.complete?.(s);
    const r = await moveCase(
      tx,
      id,
      { ...s.set, state: t.to },
      { action, from: c.state, to: t.to, actor: actor.name, reason: b.reason ?? null, details: s.details },
    );
    await handler.record?.(s);
    await audit(tx, actor.name, action, 'case', String(id), {
      from: c.state,
      to: t.to,
      reason: b.reason ?? null,
      ...s.details,
      ...pick(b),
    });
    await handler.notify?.(s, r);
    return r;
  });
}

/** The action's inputs as the audit log keeps them: the JUnit XML is stored as evidence, not logged. */
function pick(b: ActionInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'functional' && k !== 'regression'));
}

/**
 * A case being monitored is reopened when an installation reverts its hotfix after monitoring
 * began (the other recurrence, a new case on the same component, is handled at intake).
 */
export async function checkReverts(db: Kysely<Database>): Promise<number> {
  const hits = await db
    .selectFrom('cases')
    .innerJoin('installation_events', 'installation_events.archive_id', 'cases.hotfix_id')
    .innerJoin('installations', 'installations.id', 'installation_events.installation_id')
    .select(['cases.id', 'installation_events.installation_id', 'installation_events.reason'])
    .where('cases.state', '=', 'monitoring')
    .where('installation_events.kind', '=', 'reverted')
    // A customer's case is reopened by its own installations (or the vendor's), never by another customer's.
    .where((e) =>
      e.or([
        e('cases.customer_id', 'is', null),
        e('installations.customer_id', 'is', null),
        e('installations.customer_id', '=', e.ref('cases.customer_id')),
      ]),
    )
    .where('installation_events.at', '>=', (e) =>
      e
        .selectFrom('case_transitions')
        .select((x) => x.fn.max('case_transitions.at').as('m'))
        .whereRef('case_transitions.case_id', '=', 'cases.id')
        .where('case_transitions.to_state', '=', 'monitoring'),
    )
    .execute();
  const done = new Set<number>();
  for (const h of hits) {
    if (done.has(h.id)) continue;
    done.add(h.id);
    try {
      await act(db, SYSTEM, h.id, 'reopen', {
        reason: `recurrence: installation ${h.installation_id} reverted the hotfix${h.reason ? ` (${h.reason})` : ''}`,
      });
    } catch (e) {
      if (!(e instanceof HfxError && e.code === 'HFX_E_TRANSITION')) throw e;
    }
  }
  return done.size;
}
