import type { Selectable, Transaction, Updateable } from 'kysely';
import { HfxError } from '../../errors.js';
import type { CaseTestCounts, Database } from '../../store/schema.js';
import type { Actor } from '../auth.js';
import { enqueue } from '../notify/outbox.js';
import { failing, type TestCounts } from './junit.js';
import type { CaseAction, Facts } from './machine.js';
import { hotfixNotes, type NotesArchive, type NotesCase } from './release-notes.js';
import type { Presence } from '../../wire/environments.js';

export type CaseRow = Selectable<Database['cases']>;

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

/** One action under way, inside its transaction: what it starts from and what its handler makes of it. */
export interface Step {
  tx: Transaction<Database>;
  actor: Actor;
  action: CaseAction;
  /** The case as locked, before the action. */
  c: CaseRow;
  b: ActionInput;
  /** JUnit evidence, parsed before anything was read. */
  functional: TestCounts | undefined;
  regression: TestCounts | undefined;
  /** Where the fix is, asked before the transaction (for solve). */
  presence: Presence | null;
  /** The case's new values. */
  set: Updateable<Database['cases']>;
  /** What the transition row and the audit entry record. */
  details: Record<string, unknown>;
  /** What the guards look at: the case as it would be after the action. */
  f: Facts;
}

/**
 * What one action does beyond its transition (machine.ts says which states allow it, which role
 * and which guards it needs). Each hook is optional; act() runs them in this order.
 */
export interface ActionHandler {
  /** Reads the action's inputs into the new values, the facts and the details; may refuse. Before the guards. */
  prepare?(s: Step): Promise<void> | void;
  /** Once the guards hold, before the case is written. */
  complete?(s: Step): Promise<void>;
  /** Rows of the action's own, after the case and its transition are written. */
  record?(s: Step): Promise<void>;
  /** Who is told (through the outbox, so in the same transaction), given the case as written. */
  notify?(s: Step, r: CaseRow): Promise<void>;
}

const counts = (t: CaseTestCounts) => ({
  tests: t.tests,
  failed: t.failed,
  errors: t.errors,
  skipped: t.skipped,
  passed: t.passed,
});

function parseDate(s: string | undefined, what: string): Date | null {
  if (s === undefined) return null;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new HfxError('HFX_E_USAGE', `${what} is not a date: ${s}`);
  return d;
}

/** The data every case event carries to webhooks. */
export function caseData(r: CaseRow): Record<string, unknown> {
  return {
    case: r.id,
    title: r.title,
    product: r.product,
    release: r.release,
    component: r.component,
    severity: r.severity,
    priority: r.priority,
    state: r.state,
    customer: r.customer_id,
    hotfix: r.hotfix_id,
  };
}

const placeOf = (r: CaseRow) => `${r.product}${r.release ? ` ${r.release}` : ''}`;

function notesCase(c: CaseRow): NotesCase {
  return { ...c, functional: c.functional, regression: c.regression };
}
export function notesArchive(a: Selectable<Database['archives']>): NotesArchive {
  return {
    ...a,
    manifest: (typeof a.manifest === 'string' ? JSON.parse(a.manifest) : a.manifest) as NotesArchive['manifest'],
  };
}

export const HANDLERS: Readonly<Record<CaseAction, ActionHandler>> = {
  triage: {},
  start: {
    prepare({ b, set, f }) {
      if (b.assignee !== undefined) {
        set.assignee = b.assignee;
        f.assignee = b.assignee;
      }
      if (b.team !== undefined) {
        set.team = b.team;
        f.team = b.team;
      }
      if (b.rootCause !== undefined) {
        set.root_cause = b.rootCause;
        f.rootCause = b.rootCause;
      }
      if (b.commits !== undefined) set.commits = JSON.stringify(b.commits);
    },
  },
  evidence: {
    prepare({ b, set, f, details, functional, regression }) {
      if (b.rootCause !== undefined) {
        set.root_cause = b.rootCause;
        f.rootCause = b.rootCause;
      }
      if (b.commits !== undefined) set.commits = JSON.stringify(b.commits);
      if (functional) {
        set.functional = JSON.stringify(functional);
        f.functional = { tests: functional.tests, failed: failing(functional) };
        details.functional = counts(functional);
      }
      if (regression) {
        set.regression = JSON.stringify(regression);
        f.regression = { tests: regression.tests, failed: failing(regression) };
        details.regression = counts(regression);
      }
    },
    // The XML itself is kept beside the counts: a re-run's evidence is another row, not a replacement.
    async record({ tx, actor, c, b, functional, regression }) {
      for (const [kind, xml, parsed] of [
        ['functional', b.functional, functional],
        ['regression', b.regression, regression],
      ] as const) {
        if (xml !== undefined && parsed)
          await tx
            .insertInto('case_evidence')
            .values({ case_id: c.id, kind, counts: JSON.stringify(parsed), xml, uploaded_by: actor.name })
            .execute();
      }
    },
  },
  ready: {
    async prepare({ tx, c, b, set, f, details }) {
      const hotfix = b.hotfix ?? c.hotfix_id;
      if (!hotfix) return;
      const a = await tx
        .selectFrom('archives')
        .select(['id', 'kind', 'product', 'signer', 'customer_id'])
        .where('id', '=', hotfix)
        .executeTakeFirst();
      // Another customer's hotfix is never linked: the case's contacts would be told of it.
      f.archiveLinked =
        !!a &&
        a.kind === 'hotfix' &&
        a.product === c.product &&
        a.signer !== null &&
        (a.customer_id === null || a.customer_id === c.customer_id);
      set.hotfix_id = hotfix;
      details.hotfix = hotfix;
    },
    // The guard archive-linked held, so set.hotfix_id names an archive the server holds.
    async complete({ tx, c, set }) {
      if (!c.functional || !c.regression || !set.hotfix_id) return;
      const a = await tx.selectFrom('archives').selectAll().where('id', '=', set.hotfix_id).executeTakeFirstOrThrow();
      set.release_notes = hotfixNotes(notesCase(c), notesArchive(a));
    },
    async notify({ tx }, r) {
      await enqueue(tx, {
        eventId: `case.ready:${r.id}:${String(r.hotfix_id)}`,
        event: 'case.ready',
        customer: r.customer_id,
        subject: `[hfx] Hotfix ${String(r.hotfix_id)} is ready (case #${r.id})`,
        text: `Hotfix ${String(r.hotfix_id)} for ${placeOf(r)} is ready: ${r.title}\n\nRelease notes: /v1/cases/${r.id}/release-notes.md\nApply: hfx apply ${String(r.hotfix_id)} --server --home PACK\n`,
        data: caseData(r),
      });
    },
  },
  schedule: {
    prepare({ b, set, f, details }) {
      const start = parseDate(b.windowStart, 'windowStart');
      const end = parseDate(b.windowEnd, 'windowEnd');
      f.window = start && end ? { start, end } : null;
      set.window_start = start;
      set.window_end = end;
      details.window = { start, end };
      details.stakeholders = b.stakeholders ?? [];
    },
    // Stakeholders of the window are told at once, by e-mail, whatever they subscribed to.
    async notify({ tx, b }, r) {
      if (!b.stakeholders?.length) return;
      const payload = JSON.stringify({
        id: `case.scheduled:${r.id}`,
        event: 'case.scheduled',
        subject: `[hfx] Deployment of case #${r.id} scheduled`,
        text: `Hotfix ${String(r.hotfix_id)} for ${placeOf(r)} is scheduled from ${String(r.window_start?.toISOString())} to ${String(r.window_end?.toISOString())}.\n`,
        data: caseData(r),
      });
      await tx
        .insertInto('notify_outbox')
        .values(
          b.stakeholders.map((s) => ({
            event_id: `case.scheduled:${r.id}:${String(r.window_start?.toISOString())}`,
            event: 'case.scheduled',
            kind: 'email' as const,
            target: s,
            secret: null,
            payload,
          })),
        )
        .onConflict((c) => c.columns(['event_id', 'kind', 'target']).doNothing())
        .execute();
    },
  },
  deploy: {
    prepare({ actor, c, b, set, f, details }) {
      f.environment = b.environment ?? null;
      const list = [...c.deployed];
      if (b.environment && list.some((d) => d.environment === b.environment))
        throw new HfxError('HFX_E_GUARD', `already deployed to ${b.environment}`, {
          details: { guard: 'environment' },
        });
      list.push({ environment: b.environment ?? '', at: new Date().toISOString(), by: actor.name });
      set.deployed = JSON.stringify(list);
      details.environment = b.environment;
    },
    async notify({ tx, details }, r) {
      await enqueue(tx, {
        eventId: `case.deployed:${r.id}:${String(details.environment)}`,
        event: 'case.deployed',
        customer: r.customer_id,
        subject: `[hfx] Hotfix ${String(r.hotfix_id)} deployed to ${String(details.environment)} (case #${r.id})`,
        text: `Hotfix ${String(r.hotfix_id)} for ${placeOf(r)} was deployed to ${String(details.environment)}.\n`,
        data: { ...caseData(r), environment: details.environment },
      });
    },
  },
  verify: {
    async prepare({ tx, b, set, f }) {
      if (b.signoffBy === undefined) return;
      const u = await tx.selectFrom('users').select('username').where('username', '=', b.signoffBy).executeTakeFirst();
      if (!u)
        throw new HfxError('HFX_E_GUARD', `sign-off by ${b.signoffBy}: no such user`, {
          details: { guard: 'signoff' },
        });
      f.signoffBy = b.signoffBy;
      set.signoff_by = b.signoffBy;
      set.signoff_at = new Date();
    },
  },
  monitor: {
    prepare({ b, set, f }) {
      if (b.monitorDays === undefined) return;
      f.monitorUntil = new Date(Date.now() + b.monitorDays * 86400_000);
      set.monitor_until = f.monitorUntil;
    },
  },
  solve: {
    prepare({ b, set, f, details, presence }) {
      f.everywhere = presence?.everywhere === true;
      f.missingIn = presence?.environments.filter((e) => !e.present).map((e) => e.name) ?? [];
      details.presence = presence;
      if (f.override && !f.everywhere) details.override = true;
      set.outcome = f.everywhere ? 'present everywhere' : `admin override: ${b.reason ?? ''}`;
    },
    async notify({ tx }, r) {
      await enqueue(tx, {
        eventId: `case.solved:${r.id}:${r.reopened}`,
        event: 'case.solved',
        customer: r.customer_id,
        subject: `[hfx] Case #${r.id} solved: ${r.title}`,
        text: `Case #${r.id} (${placeOf(r)}) is solved: ${String(r.outcome)}.\n`,
        data: caseData(r),
      });
    },
  },
  reopen: {
    prepare({ c, b, set }) {
      set.reopened = c.reopened + 1;
      set.outcome = `reopened: ${b.reason ?? ''}`;
    },
  },
  reject: {},
  rollback: {
    prepare({ b, set }) {
      set.outcome = `rolled back: ${b.reason ?? ''}`;
    },
  },
  supersede: {
    async prepare({ tx, c, b, set, f, details }) {
      if (b.update && c.hotfix_id) {
        const u = await tx
          .selectFrom('archives')
          .select(['id', 'kind', 'includes'])
          .where('id', '=', b.update)
          .executeTakeFirst();
        if (u?.kind === 'update' && u.includes.includes(c.hotfix_id)) f.includedBy = u.id;
      }
      set.outcome = `superseded by ${b.update ?? ''}`;
      details.update = b.update;
    },
  },
};
