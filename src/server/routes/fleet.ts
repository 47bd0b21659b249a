import { randomUUID } from 'node:crypto';
import { sql, type SqlBool } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Ctx } from '../app.js';
import { requireVisibleArchives } from '../visibility.js';
import { checkFailures } from '../rollouts/service.js';
import { actorName, requireAny, requireRole } from '../auth.js';
import { LEVEL, NAME } from './schemas.js';
import type { FleetSummary } from '../../wire/fleet.js';
import { routePlugin } from './plugin.js';

/** The most hotfixes a summary names (the most applied first). */
const SUMMARY_HOTFIXES = 500;

interface Report {
  id?: string;
  name?: string;
  product: string;
  release: string;
  level: number;
  channel: 'full' | 'security';
  hotfixes: string[];
  events?: { kind: 'applied' | 'reverted' | 'updated'; archive: string; reason?: string }[];
}

export function fleetRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return routePlugin((app) => {
    app.post<{ Body: Report }>(
      '/v1/installations/report',
      {
        config: { allow: 'report' },
        schema: {
          summary:
            'An installation registers or reports its state (installation token, or a vendor user for in-house environments)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['product', 'release', 'level', 'channel', 'hotfixes'],
            properties: {
              id: { type: 'string', format: 'uuid' },
              name: { type: 'string', minLength: 1, maxLength: 200 },
              product: NAME,
              release: NAME,
              level: LEVEL,
              channel: { type: 'string', enum: ['full', 'security'] },
              hotfixes: { type: 'array', maxItems: 10000, items: NAME },
              events: {
                type: 'array',
                maxItems: 1000,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['kind', 'archive'],
                  properties: {
                    kind: { type: 'string', enum: ['applied', 'reverted', 'updated'] },
                    archive: NAME,
                    reason: { type: 'string', maxLength: 2000 },
                  },
                },
              },
            },
          },
        },
      },
      async (req, reply) => {
        const p = requireAny(req);
        if (p.kind === 'user') requireRole(req, 'developer');
        const customer = p.kind === 'customer' ? p.customerId : null;
        const b = req.body;
        await requireVisibleArchives(db, p, [...b.hotfixes, ...(b.events ?? []).map((e) => e.archive)]);
        const now = new Date();
        const id = b.id ?? randomUUID();
        const created = await db.transaction().execute(async (tx) => {
          const cur = await tx
            .selectFrom('installations')
            .select(['id', 'customer_id'])
            .where('id', '=', id)
            .forUpdate()
            .executeTakeFirst();
          // An installation belongs to whoever registered it: no other customer can report over it.
          if (cur && cur.customer_id !== customer) throw new HfxError('HFX_E_NOT_FOUND', `no installation ${id}`);
          // The name is kept unless a new one is given.
          const values = {
            ...(b.name !== undefined || !cur ? { name: b.name ?? id } : {}),
            product: b.product,
            release: b.release,
            level: b.level,
            channel: b.channel,
            hotfixes: JSON.stringify(b.hotfixes),
            reported_at: now,
          };
          if (cur) await tx.updateTable('installations').set(values).where('id', '=', id).execute();
          else
            await tx
              .insertInto('installations')
              .values({ id, customer_id: customer, ...values, name: b.name ?? id })
              .execute();
          const events = [
            ...(cur ? [] : [{ kind: 'registered' as const, archive: null, reason: actorName(p) }]),
            ...(b.events ?? []).map((e) => ({ kind: e.kind, archive: e.archive, reason: e.reason ?? null })),
          ];
          if (events.length)
            await tx
              .insertInto('installation_events')
              .values(
                events.map((e) => ({ installation_id: id, kind: e.kind, archive_id: e.archive, reason: e.reason })),
              )
              .execute();
          return !cur;
        });
        // A rollout whose failures just passed its threshold pauses now, before the next installation checks.
        const paused = await checkFailures(
          db,
          (b.events ?? []).map((e) => e.archive),
        );
        if (paused.length) await ctx.version.reload();
        return reply.status(created ? 201 : 200).send({ id, created });
      },
    );

    app.get<{
      Querystring: {
        product?: string;
        release?: string;
        level?: number;
        hotfix?: string;
        limit?: number;
        offset?: number;
      };
    }>(
      '/v1/fleet/installations',
      {
        config: { allow: 'login' },
        schema: {
          summary: 'Installations by product, release, level and hotfix (customer tokens see their own)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              product: NAME,
              release: NAME,
              level: LEVEL,
              hotfix: NAME,
              limit: { type: 'integer', minimum: 1, maximum: 1000 },
              offset: { type: 'integer', minimum: 0, maximum: 100000000 },
            },
          },
        },
      },
      async (req) => {
        const p = requireAny(req);
        const q0 = req.query;
        let q = db
          .selectFrom('installations')
          .selectAll()
          .orderBy('product')
          .orderBy('release')
          .orderBy('level')
          .orderBy('id')
          .limit(q0.limit ?? 100)
          .offset(q0.offset ?? 0);
        if (p.kind === 'customer') q = q.where('customer_id', '=', p.customerId);
        if (q0.product) q = q.where('product', '=', q0.product);
        if (q0.release) q = q.where('release', '=', q0.release);
        if (q0.level !== undefined) q = q.where('level', '=', q0.level);
        if (q0.hotfix) q = q.where((e) => e('hotfixes', '@>', JSON.stringify([q0.hotfix]) as never));
        return { installations: await q.execute() };
      },
    );

    app.get<{ Querystring: { product?: string; release?: string } }>(
      '/v1/fleet/summary',
      {
        config: { allow: 'login' },
        schema: {
          summary: 'Installations counted by update level and by hotfix (customer tokens: their own)',
          querystring: { type: 'object', additionalProperties: false, properties: { product: NAME, release: NAME } },
        },
      },
      async (req): Promise<FleetSummary> => {
        const p = requireAny(req);
        // Counted in the database, so a fleet of 100,000 is counted whole, not a page of it.
        const where: ReturnType<typeof sql<SqlBool>>[] = [sql<SqlBool>`true`];
        if (p.kind === 'customer') where.push(sql<SqlBool>`i.customer_id = ${p.customerId}`);
        if (req.query.product) where.push(sql<SqlBool>`i.product = ${req.query.product}`);
        if (req.query.release) where.push(sql<SqlBool>`i.release = ${req.query.release}`);
        const cond = sql.join(where, sql` and `);
        const levels = await sql<{ product: string; release: string; level: number; n: number }>`
        select i.product, i.release, i.level, count(*)::int as n from installations i where ${cond}
        group by i.product, i.release, i.level order by i.product, i.release, i.level`.execute(db);
        const hotfixes = await sql<{ hotfix: string; n: number }>`
        select h as hotfix, count(distinct i.id)::int as n from installations i, jsonb_array_elements_text(i.hotfixes) h where ${cond}
        group by h order by n desc, h limit ${SUMMARY_HOTFIXES + 1}`.execute(db);
        return {
          total: levels.rows.reduce((a, r) => a + r.n, 0),
          byLevel: levels.rows,
          byHotfix: hotfixes.rows.slice(0, SUMMARY_HOTFIXES),
          hotfixesCapped: hotfixes.rows.length > SUMMARY_HOTFIXES,
        };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/v1/fleet/hotfixes/:id',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: 'Where one hotfix is applied now, and where it was reverted and why (viewer)',
          params: { type: 'object', properties: { id: NAME }, required: ['id'] },
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        const id = req.params.id;
        const applied = await db
          .selectFrom('installations')
          .select(['id', 'name', 'customer_id', 'product', 'release', 'level', 'reported_at'])
          .where((e) => e('hotfixes', '@>', JSON.stringify([id]) as never))
          .orderBy('id')
          .execute();
        const events = await db
          .selectFrom('installation_events')
          .innerJoin('installations', 'installations.id', 'installation_events.installation_id')
          .select([
            'installation_events.installation_id',
            'installations.name',
            'installation_events.kind',
            'installation_events.reason',
            'installation_events.at',
          ])
          .where('installation_events.archive_id', '=', id)
          .orderBy('installation_events.at')
          .orderBy('installation_events.id')
          .execute();
        return { id, applied, events, reverted: events.filter((e) => e.kind === 'reverted') };
      },
    );
  });
}
