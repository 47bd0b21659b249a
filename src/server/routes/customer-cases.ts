import { HfxError } from '../../errors.js';
import type { Ctx } from '../app.js';
import type { CaseRow } from '../cases/actions.js';
import type { CaseAction } from '../cases/machine.js';
import { requireAny } from '../auth.js';
import { SERIAL_ID } from './schemas.js';
import type { CustomerCase, CustomerCaseDetail } from '../../wire/cases.js';
import { routePlugin } from './plugin.js';

/** Each step as a customer is told it. */
const SAID: Record<CaseAction | 'report' | 'priority', string> = {
  report: 'reported',
  priority: 'priority changed',
  triage: 'triaged',
  start: 'a fix is being developed',
  evidence: 'the fix is being tested',
  ready: 'the fix is ready',
  schedule: 'the deployment is scheduled',
  deploy: 'deployed',
  verify: 'verified',
  monitor: 'being monitored',
  solve: 'solved',
  reopen: 'reopened',
  reject: 'closed without a fix',
  rollback: 'rolled back',
  supersede: 'included in an update',
};

function iso(d: Date | string): string;
function iso(d: Date | string | null): string | null;
function iso(d: Date | string | null): string | null {
  return d === null ? null : new Date(d).toISOString();
}

/** How a step is told; a step the table does not name (one added later) by the state it led to. */
const said = (action: string): string | undefined => (SAID as Partial<Record<string, string>>)[action];

export function customerCaseRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  const COLS = [
    'id',
    'title',
    'product',
    'release',
    'severity',
    'priority',
    'state',
    'hotfix_id',
    'created_at',
    'updated_at',
  ] as const;
  const view = (c: Pick<CaseRow, (typeof COLS)[number]>): CustomerCase => ({
    id: c.id,
    title: c.title,
    product: c.product,
    release: c.release,
    severity: c.severity,
    priority: c.priority,
    state: c.state,
    hotfix: c.hotfix_id,
    createdAt: iso(c.created_at),
    updatedAt: iso(c.updated_at),
  });
  return routePlugin((app) => {
    app.get(
      '/v1/customer/cases',
      {
        config: { allow: 'customer-user' },
        schema: { summary: "Your customer's cases, newest first (a customer's user)" },
      },
      async (req): Promise<{ cases: CustomerCase[] }> => {
        const p = requireAny(req);
        if (p.kind !== 'customer') throw new HfxError('HFX_E_FORBIDDEN', "this is for a customer's own people");
        const rows = await db
          .selectFrom('cases')
          .select([...COLS])
          .where('customer_id', '=', p.customerId)
          .orderBy('id', 'desc')
          .limit(500)
          .execute();
        return { cases: rows.map(view) };
      },
    );

    app.get<{ Params: { id: number } }>(
      '/v1/customer/cases/:id',
      {
        config: { allow: 'customer-user' },
        schema: {
          summary: "One of your customer's cases: status, timeline, release notes (a customer's user)",
          params: { type: 'object', properties: { id: SERIAL_ID }, required: ['id'] },
        },
      },
      async (req): Promise<CustomerCaseDetail> => {
        const p = requireAny(req);
        if (p.kind !== 'customer') throw new HfxError('HFX_E_FORBIDDEN', "this is for a customer's own people");
        const c = await db
          .selectFrom('cases')
          .select([...COLS, 'deployed', 'monitor_until', 'release_notes'])
          .where('id', '=', req.params.id)
          .where('customer_id', '=', p.customerId)
          .executeTakeFirst();
        // Another customer's case reads exactly like none.
        if (!c) throw new HfxError('HFX_E_NOT_FOUND', `no case ${req.params.id}`);
        const steps = await db
          .selectFrom('case_transitions')
          .select(['action', 'to_state', 'details', 'at'])
          .where('case_id', '=', c.id)
          .orderBy('id')
          .execute();
        const timeline = steps.map((s) => {
          const env = s.action === 'deploy' ? (s.details as { environment?: unknown } | null)?.environment : undefined;
          const where = typeof env === 'string' ? ` to ${env}` : '';
          return { at: iso(s.at), state: s.to_state, what: `${said(s.action) ?? s.to_state}${where}` };
        });
        return {
          ...view(c),
          timeline,
          deployed: c.deployed.map((d) => ({ environment: d.environment, at: d.at })),
          monitorUntil: iso(c.monitor_until),
          releaseNotes: c.release_notes,
        };
      },
    );
  });
}
