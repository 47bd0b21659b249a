import { sql, type NotNull } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Ctx } from '../app.js';
import { rank, requireRole } from '../auth.js';
import { pipelineOf } from '../environments/presence.js';
import { envView, presenceCache } from '../environments/queries.js';
import { ACTIVE } from '../../wire/cases.js';
import type { Overview, SetupStep } from '../../wire/overview.js';
import { routePlugin } from './plugin.js';

/** How many of each list the overview names, the most urgent first. */
const LIST_MAX = 20;
export function overviewRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return routePlugin((app) => {
    app.get(
      '/v1/overview',
      {
        config: { allow: 'viewer' },
        schema: {
          summary:
            'The set-up checklist and what needs attention: red hotfixes, open S1/S2 cases, failed notifications, reverts (viewer)',
        },
      },
      async (req): Promise<Overview> => {
        const me = requireRole(req, 'viewer');
        const [counts] = (
          await sql<Record<SetupStep['id'], number>>`select
          (select count(*)::int from publisher_keys) as "publisher-key",
          (select count(*)::int from products) as "product",
          (select count(*)::int from customers) as "customer",
          (select count(*)::int from tokens where customer_id is not null and not revoked) as "installation-token",
          (select count(*)::int from archives) as "first-push",
          (select count(*)::int from installations) as "first-report"`.execute(db)
        ).rows;
        if (!counts) throw new HfxError('HFX_E_INTERNAL', 'counting the set-up steps returned no row');
        const ids: SetupStep['id'][] = [
          'publisher-key',
          'product',
          'customer',
          'installation-token',
          'first-push',
          'first-report',
        ];
        const setup = ids.map((id) => ({ id, done: counts[id] > 0, count: counts[id] }));

        // Red: a hotfix somewhere in a product's pipeline that an earlier environment lacks.
        const red: Overview['red'] = [];
        const products = await db
          .selectFrom('env_deployments')
          .select('product')
          .union(db.selectFrom('env_members').select('product'))
          .execute();
        for (const { product } of products) {
          const pipeline = await pipelineOf(db, product);
          const presence = presenceCache(db, product);
          for (let i = 0; i < pipeline.length && red.length < LIST_MAX; i++) {
            const v = await envView(db, product, pipeline, i, presence);
            for (const h of v.hotfixes.filter((x) => x.red))
              red.push({ product, environment: v.name, hotfix: h.id, missingIn: h.missingIn });
          }
        }

        const caseRows = await db
          .selectFrom('cases')
          .select(['id', 'title', 'severity', 'priority', 'state', 'customer_id', 'created_at'])
          .where('severity', 'in', ['S1', 'S2'])
          .where('state', 'in', ACTIVE)
          .orderBy('created_at')
          .limit(LIST_MAX)
          .execute();
        const now = Date.now();
        const cases = caseRows.map((c) => ({
          id: c.id,
          title: c.title,
          severity: c.severity,
          priority: c.priority,
          state: c.state,
          customer: c.customer_id,
          createdAt: new Date(c.created_at).toISOString(),
          ageDays: Math.floor((now - new Date(c.created_at).getTime()) / 86_400_000),
        }));

        // Webhook URLs and contacts are for release managers (as in /v1/notifications).
        const mayTargets = rank(me.role) >= rank('release-manager');
        const failed = await db
          .selectFrom('notify_outbox')
          .select(['id', 'event', 'kind', 'target', 'last_error', 'failed_at'])
          .where('failed_at', 'is not', null)
          .$narrowType<{ failed_at: NotNull }>()
          .orderBy('failed_at', 'desc')
          .limit(LIST_MAX)
          .execute();
        const failedNotifications = failed.map((n) => ({
          id: n.id,
          event: n.event,
          kind: n.kind,
          target: mayTargets ? n.target : null,
          lastError: mayTargets ? n.last_error : null,
          failedAt: new Date(n.failed_at).toISOString(),
        }));

        const rev = await db
          .selectFrom('installation_events')
          .innerJoin('installations', 'installations.id', 'installation_events.installation_id')
          .select([
            'installations.id',
            'installations.name',
            'installations.customer_id',
            'installation_events.archive_id',
            'installation_events.reason',
            'installation_events.at',
          ])
          .where('installation_events.kind', '=', 'reverted')
          .where('installation_events.at', '>', sql<Date>`now() - interval '30 days'`)
          .orderBy('installation_events.at', 'desc')
          .orderBy('installation_events.id', 'desc')
          .limit(LIST_MAX)
          .execute();
        const reverted = rev.map((r) => ({
          installation: r.id,
          name: r.name,
          customer: r.customer_id,
          hotfix: r.archive_id,
          reason: r.reason,
          at: new Date(r.at).toISOString(),
        }));
        return { setup, red, cases, failedNotifications, reverted };
      },
    );
  });
}
