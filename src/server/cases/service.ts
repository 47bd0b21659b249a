import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { HfxError } from '../../errors.js';
import type { CaseTestCounts, Database, Role } from '../../store/schema.js';
import { rank } from '../auth.js';
import { audit } from '../routes/audit.js';
import { enqueue } from '../notify/outbox.js';
import { failing, parseJUnit } from './junit.js';
import { emptyFacts, failingGuard, transition, type CaseAction, type CaseState, type Facts } from './machine.js';
import { presenceOf } from './presence.js';
import { priorityOf, type Impact, type Priority } from './priority.js';
import { hotfixNotes, type NotesArchive, type NotesCase } from './release-notes.js';

export type CaseRow = Selectable<Database['cases']>;
type Db = Kysely<Database> | Transaction<Database>;

export interface Actor {
  name: string;
  role: Role;
}

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

/** What an action may carry; each action reads the fields it needs. */
export interface ActionInput {
  reason?: string;
  assignee?: string;
  team?: string;
  rootCause?: string;
  commits?: { sha: string; subject?: string }[];
  functional?: string;
  regression?: string;
  hotfix?: string;
  windowStart?: string;
  windowEnd?: string;
  stakeholders?: string[];
  environment?: string;
  signoffBy?: string;
  monitorDays?: number;
  override?: boolean;
  update?: string;
}

const SYSTEM: Actor = { name: 'hfx', role: 'admin' };

export async function createCase(db: Kysely<Database>, actor: Actor, b: Intake): Promise<CaseRow> {
  if (b.customer) {
    const c = await db.selectFrom('customers').select('id').where('id', '=', b.customer).executeTakeFirst();
    if (!c) throw new HfxError('HFX_E_NOT_FOUND', `no customer ${b.customer}`);
  }
  const row = await db.transaction().execute(async (tx) => {
    const r = await tx.insertInto('cases').values({
      title: b.title, description: b.description ?? '', source: b.source, reporter: b.reporter, customer_id: b.customer ?? null,
      product: b.product, release: b.release ?? null, level: b.level ?? null, component: b.component ?? null,
      impact: b.impact, impact_text: b.impactText ?? '', severity: b.severity, priority: priorityOf(b.severity, b.impact),
      priority_reason: null, state: 'reported', created_by: actor.name,
    }).returningAll().executeTakeFirstOrThrow();
    await tx.insertInto('case_transitions').values({ case_id: r.id, action: 'report', from_state: null, to_state: 'reported', actor: actor.name, reason: null, details: JSON.stringify({ source: b.source }) }).execute();
    await audit(tx, actor.name, 'create', 'case', String(r.id), { ...b, priority: r.priority });
    if (r.severity === 'S1' || r.severity === 'S2') {
      await enqueue(tx, {
        eventId: `case.created:${r.id}`, event: 'case.created', customer: r.customer_id,
        subject: `[hfx] ${r.severity} case #${r.id}: ${r.title}`,
        text: `A new ${r.severity} (${r.priority}) case was reported for ${r.product}${r.component ? ` (${r.component})` : ''}.\n\n${r.description}\n\nImpact (${r.impact}): ${r.impact_text}\nReported by ${r.reporter} via ${r.source}.\n`,
        data: caseData(r),
      });
    }
    return r;
  });
  // A recurrence: a case being monitored on the same product and component goes back to development.
  if (row.component) {
    const watched = await db.selectFrom('cases').select('id').where('state', '=', 'monitoring').where('product', '=', row.product)
      .where('component', '=', row.component).where('id', '<>', row.id).execute();
    for (const w of watched) await act(db, SYSTEM, w.id, 'reopen', { reason: `recurrence: new case #${row.id} on ${row.product}/${row.component}` });
  }
  return row;
}

function caseData(r: CaseRow): Record<string, unknown> {
  return { case: r.id, title: r.title, product: r.product, release: r.release, component: r.component, severity: r.severity, priority: r.priority, state: r.state, customer: r.customer_id, hotfix: r.hotfix_id };
}

export async function overridePriority(db: Kysely<Database>, actor: Actor, id: number, priority: Priority, reason: string): Promise<CaseRow> {
  if (!reason.trim()) throw new HfxError('HFX_E_GUARD', 'overriding the priority needs a reason', { details: { guard: 'reason' } });
  return db.transaction().execute(async (tx) => {
    const c = await lock(tx, id);
    if (['solved', 'rejected', 'superseded'].includes(c.state)) throw new HfxError('HFX_E_TRANSITION', `a ${c.state} case's priority does not change`);
    const r = await tx.updateTable('cases').set({ priority, priority_reason: reason, updated_at: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await tx.insertInto('case_transitions').values({ case_id: id, action: 'priority', from_state: c.state, to_state: c.state, actor: actor.name, reason, details: JSON.stringify({ from: c.priority, to: priority, computed: priorityOf(c.severity, c.impact) }) }).execute();
    await audit(tx, actor.name, 'priority', 'case', String(id), { from: c.priority, to: priority, reason });
    return r;
  });
}

async function lock(tx: Transaction<Database>, id: number): Promise<CaseRow> {
  const c = await tx.selectFrom('cases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!c) throw new HfxError('HFX_E_NOT_FOUND', `no case ${id}`);
  return c;
}

function parseDate(s: string | undefined, what: string): Date | null {
  if (s === undefined) return null;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new HfxError('HFX_E_USAGE', `${what} is not a date: ${s}`);
  return d;
}

/**
 * Takes one action on a case: the table says whether the state allows it and which role and guards
 * it needs; the guards are checked on the case as it would be after the action's inputs; then the
 * case, its transition, the audit entry and the notifications commit in one transaction. Any
 * refusal changes nothing.
 */
export async function act(db: Kysely<Database>, actor: Actor, id: number, action: CaseAction, b: ActionInput): Promise<CaseRow> {
  // Parsing evidence is done before anything is read: malformed XML is refused as it is.
  const functional = b.functional !== undefined ? parseJUnit(b.functional) : undefined;
  const regression = b.regression !== undefined ? parseJUnit(b.regression) : undefined;
  const pre = await db.selectFrom('cases').select(['product', 'hotfix_id', 'state']).where('id', '=', id).executeTakeFirst();
  if (!pre) throw new HfxError('HFX_E_NOT_FOUND', `no case ${id}`);
  // Presence is asked outside the transaction (it reads other modules' tables), and checked again below by state.
  const presence = action === 'solve' && pre.hotfix_id ? await presenceOf(db, pre.product, pre.hotfix_id) : null;
  return db.transaction().execute(async (tx) => {
    const c = await lock(tx, id);
    const t = transition(c.state as CaseState, action);
    if (rank(actor.role) < rank(t.role)) throw new HfxError('HFX_E_FORBIDDEN', `${action} needs the ${t.role} role; you are ${actor.role}`);
    if (b.override && actor.role !== 'admin') throw new HfxError('HFX_E_FORBIDDEN', 'only an admin may override a guard');
    const set: Partial<Record<keyof CaseRow, unknown>> = {};
    const details: Record<string, unknown> = {};
    const f: Facts = {
      ...emptyFacts(),
      assignee: c.assignee, team: c.team, rootCause: c.root_cause,
      functional: c.functional ? { tests: c.functional.tests, failed: failing(c.functional) } : null,
      regression: c.regression ? { tests: c.regression.tests, failed: failing(c.regression) } : null,
      window: c.window_start && c.window_end ? { start: c.window_start, end: c.window_end } : null,
      signoffBy: c.signoff_by, monitorUntil: c.monitor_until, reason: b.reason ?? null, override: b.override === true,
    };
    switch (action) {
      case 'start':
        if (b.assignee !== undefined) (set.assignee = b.assignee), (f.assignee = b.assignee);
        if (b.team !== undefined) (set.team = b.team), (f.team = b.team);
        if (b.rootCause !== undefined) (set.root_cause = b.rootCause), (f.rootCause = b.rootCause);
        if (b.commits !== undefined) set.commits = JSON.stringify(b.commits);
        break;
      case 'evidence': {
        if (b.rootCause !== undefined) (set.root_cause = b.rootCause), (f.rootCause = b.rootCause);
        if (b.commits !== undefined) set.commits = JSON.stringify(b.commits);
        if (functional) (set.functional = JSON.stringify(functional)), (f.functional = { tests: functional.tests, failed: failing(functional) }), (details['functional'] = counts(functional));
        if (regression) (set.regression = JSON.stringify(regression)), (f.regression = { tests: regression.tests, failed: failing(regression) }), (details['regression'] = counts(regression));
        break;
      }
      case 'ready': {
        const hotfix = b.hotfix ?? c.hotfix_id;
        if (hotfix) {
          const a = await tx.selectFrom('archives').select(['id', 'kind', 'product', 'signer', 'customer_id']).where('id', '=', hotfix).executeTakeFirst();
          // Another customer's hotfix is never linked: the case's contacts would be told of it.
          f.archiveLinked = !!a && a.kind === 'hotfix' && a.product === c.product && a.signer !== null && (a.customer_id === null || a.customer_id === c.customer_id);
          set.hotfix_id = hotfix;
          details['hotfix'] = hotfix;
        }
        break;
      }
      case 'schedule': {
        const start = parseDate(b.windowStart, 'windowStart');
        const end = parseDate(b.windowEnd, 'windowEnd');
        f.window = start && end ? { start, end } : null;
        set.window_start = start;
        set.window_end = end;
        details['window'] = { start, end };
        details['stakeholders'] = b.stakeholders ?? [];
        break;
      }
      case 'deploy': {
        f.environment = b.environment ?? null;
        const list = [...(c.deployed as unknown as { environment: string; at: string; by: string }[])];
        if (b.environment && list.some((d) => d.environment === b.environment)) throw new HfxError('HFX_E_GUARD', `already deployed to ${b.environment}`, { details: { guard: 'environment' } });
        list.push({ environment: b.environment ?? '', at: new Date().toISOString(), by: actor.name });
        set.deployed = JSON.stringify(list);
        details['environment'] = b.environment;
        break;
      }
      case 'verify':
        if (b.signoffBy !== undefined) {
          const u = await tx.selectFrom('users').select('username').where('username', '=', b.signoffBy).executeTakeFirst();
          if (!u) throw new HfxError('HFX_E_GUARD', `sign-off by ${b.signoffBy}: no such user`, { details: { guard: 'signoff' } });
          f.signoffBy = b.signoffBy;
          set.signoff_by = b.signoffBy;
          set.signoff_at = new Date();
        }
        break;
      case 'monitor':
        if (b.monitorDays !== undefined) {
          f.monitorUntil = new Date(Date.now() + b.monitorDays * 86400_000);
          set.monitor_until = f.monitorUntil;
        }
        break;
      case 'solve':
        f.everywhere = presence?.everywhere === true;
        f.missingIn = presence?.environments.filter((e) => !e.present).map((e) => e.name) ?? [];
        details['presence'] = presence;
        if (f.override && !f.everywhere) details['override'] = true;
        set.outcome = f.everywhere ? 'present everywhere' : `admin override: ${b.reason ?? ''}`;
        break;
      case 'reopen':
        set.reopened = c.reopened + 1;
        set.outcome = `reopened: ${b.reason ?? ''}`;
        break;
      case 'rollback':
        set.outcome = `rolled back: ${b.reason ?? ''}`;
        break;
      case 'supersede': {
        if (b.update && c.hotfix_id) {
          const u = await tx.selectFrom('archives').select(['id', 'kind', 'includes']).where('id', '=', b.update).executeTakeFirst();
          if (u && u.kind === 'update' && (u.includes as unknown as string[]).includes(c.hotfix_id)) f.includedBy = u.id;
        }
        set.outcome = `superseded by ${b.update ?? ''}`;
        details['update'] = b.update;
        break;
      }
      default:
        break;
    }
    const bad = failingGuard(t.guards, f);
    if (bad) throw new HfxError('HFX_E_GUARD', `cannot ${action} case ${id}: ${bad.message}`, { details: { guard: bad.guard } });
    if (action === 'ready' && c.functional && c.regression) {
      const a = await tx.selectFrom('archives').selectAll().where('id', '=', set.hotfix_id as string).executeTakeFirstOrThrow();
      set.release_notes = hotfixNotes(notesCase({ ...c, root_cause: c.root_cause }), notesArchive(a));
    }
    const r = await tx.updateTable('cases').set({ ...(set as object), state: t.to, updated_at: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await tx.insertInto('case_transitions').values({ case_id: id, action, from_state: c.state, to_state: t.to, actor: actor.name, reason: b.reason ?? null, details: JSON.stringify(details) }).execute();
    if (action === 'evidence') {
      for (const [kind, xml, parsed] of [['functional', b.functional, functional], ['regression', b.regression, regression]] as const) {
        if (xml !== undefined && parsed) await tx.insertInto('case_evidence').values({ case_id: id, kind, counts: JSON.stringify(parsed), xml, uploaded_by: actor.name }).execute();
      }
    }
    await audit(tx, actor.name, action, 'case', String(id), { from: c.state, to: t.to, reason: b.reason ?? null, ...details, ...pick(b) });
    await notify(tx, action, r, details, b);
    return r;
  });
}

const counts = (t: CaseTestCounts) => ({ tests: t.tests, failed: t.failed, errors: t.errors, skipped: t.skipped, passed: t.passed });
function pick(b: ActionInput): Record<string, unknown> {
  const { functional: _f, regression: _r, ...rest } = b;
  return rest;
}

async function notify(tx: Transaction<Database>, action: CaseAction, r: CaseRow, details: Record<string, unknown>, b: ActionInput): Promise<void> {
  const where = `${r.product}${r.release ? ` ${r.release}` : ''}`;
  if (action === 'ready') {
    await enqueue(tx, {
      eventId: `case.ready:${r.id}:${r.hotfix_id}`, event: 'case.ready', customer: r.customer_id,
      subject: `[hfx] Hotfix ${r.hotfix_id} is ready (case #${r.id})`,
      text: `Hotfix ${r.hotfix_id} for ${where} is ready: ${r.title}\n\nRelease notes: /v1/cases/${r.id}/release-notes.md\nApply: hfx apply ${r.hotfix_id} --server --home PACK\n`,
      data: caseData(r),
    });
  } else if (action === 'schedule' && b.stakeholders?.length) {
    // Stakeholders of the window are told at once, by e-mail, whatever they subscribed to.
    const payload = JSON.stringify({ id: `case.scheduled:${r.id}`, event: 'case.scheduled', subject: `[hfx] Deployment of case #${r.id} scheduled`, text: `Hotfix ${r.hotfix_id} for ${where} is scheduled from ${r.window_start?.toISOString()} to ${r.window_end?.toISOString()}.\n`, data: caseData(r) });
    await tx.insertInto('notify_outbox').values(b.stakeholders.map((s) => ({ event_id: `case.scheduled:${r.id}:${r.window_start?.toISOString()}`, event: 'case.scheduled', kind: 'email' as const, target: s, secret: null, payload })))
      .onConflict((c) => c.columns(['event_id', 'kind', 'target']).doNothing()).execute();
  } else if (action === 'deploy') {
    await enqueue(tx, {
      eventId: `case.deployed:${r.id}:${String(details['environment'])}`, event: 'case.deployed', customer: r.customer_id,
      subject: `[hfx] Hotfix ${r.hotfix_id} deployed to ${String(details['environment'])} (case #${r.id})`,
      text: `Hotfix ${r.hotfix_id} for ${where} was deployed to ${String(details['environment'])}.\n`,
      data: { ...caseData(r), environment: details['environment'] },
    });
  } else if (action === 'solve') {
    await enqueue(tx, {
      eventId: `case.solved:${r.id}:${r.reopened}`, event: 'case.solved', customer: r.customer_id,
      subject: `[hfx] Case #${r.id} solved: ${r.title}`,
      text: `Case #${r.id} (${where}) is solved: ${r.outcome}.\n`,
      data: caseData(r),
    });
  }
}

export function notesCase(c: CaseRow): NotesCase {
  return { ...c, functional: c.functional, regression: c.regression };
}
export function notesArchive(a: Selectable<Database['archives']>): NotesArchive {
  return { ...a, includes: a.includes as unknown as string[], manifest: (typeof a.manifest === 'string' ? JSON.parse(a.manifest) : a.manifest) as NotesArchive['manifest'] };
}

/**
 * A case being monitored is reopened when an installation reverts its hotfix after monitoring
 * began (the other recurrence, a new case on the same component, is handled at intake).
 */
export async function checkReverts(db: Kysely<Database>): Promise<number> {
  const hits = await db.selectFrom('cases').innerJoin('installation_events', 'installation_events.archive_id', 'cases.hotfix_id')
    .innerJoin('installations', 'installations.id', 'installation_events.installation_id')
    .select(['cases.id', 'installation_events.installation_id', 'installation_events.reason'])
    .where('cases.state', '=', 'monitoring').where('installation_events.kind', '=', 'reverted')
    // A customer's case is reopened by its own installations (or the vendor's), never by another customer's.
    .where((e) => e.or([e('cases.customer_id', 'is', null), e('installations.customer_id', 'is', null), e('installations.customer_id', '=', e.ref('cases.customer_id'))]))
    .where('installation_events.at', '>=', (e) => e.selectFrom('case_transitions').select((x) => x.fn.max('case_transitions.at').as('m'))
      .whereRef('case_transitions.case_id', '=', 'cases.id').where('case_transitions.to_state', '=', 'monitoring'))
    .execute();
  const done = new Set<number>();
  for (const h of hits) {
    if (done.has(h.id)) continue;
    done.add(h.id);
    try {
      await act(db, SYSTEM, h.id, 'reopen', { reason: `recurrence: installation ${h.installation_id} reverted the hotfix${h.reason ? ` (${h.reason})` : ''}` });
    } catch (e) {
      if (!(e instanceof HfxError && e.code === 'HFX_E_TRANSITION')) throw e;
    }
  }
  return done.size;
}
