import type { FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Ctx } from '../app.js';
import { actorName, rank, requireRole, type Actor } from '../auth.js';
import { ACTIONS, STATES, type CaseAction } from '../cases/machine.js';
import { JUNIT_MAX } from '../cases/junit.js';
import { IMPACTS, SEVERITIES } from '../cases/priority.js';
import { updateNotes } from '../cases/release-notes.js';
import { notesArchive, type ActionInput } from '../cases/actions.js';
import { act, checkReverts, createCase, overridePriority, type Intake } from '../cases/service.js';
import { NotifyWorker } from '../notify/outbox.js';
import { NOTIFY_EVENTS } from '../../wire/notify.js';
import { advanceDue } from '../rollouts/service.js';
import { checkWebhookUrl } from '../notify/target.js';
import { audit } from '../audit.js';
import { LEVEL, NAME, SERIAL_ID } from './schemas.js';
import { routePlugin } from './plugin.js';

const str = (max = 200) => ({ type: 'string', minLength: 1, maxLength: max }) as const;
const text = (max = 100_000) => ({ type: 'string', maxLength: max }) as const;
const ID = { type: 'object', properties: { id: SERIAL_ID }, required: ['id'] } as const;

const actorOf = (req: FastifyRequest, min: 'viewer' | 'developer' = 'developer'): Actor => {
  const me = requireRole(req, min);
  return { name: actorName(me), role: me.role };
};

/** Hotfix cases (docs/cases.md), notification subscriptions, release notes; starts the notification worker. */
export function caseRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  const ownEmail = async (userId: number) =>
    (await db.selectFrom('users').select(['email']).where('id', '=', userId).executeTakeFirst())?.email ?? null;
  return routePlugin((app) => {
    const worker = NotifyWorker.fromEnv(db, process.env, {
      // Each round: cases reopened by reverts, rollouts whose step is due.
      beforeTick: async () => {
        await checkReverts(db);
        if (await advanceDue(db)) await ctx.version.reload();
      },
      webhookAllow: ctx.limits.webhookAllow,
      onError: (e) => app.log.error({ err: e }, 'notification worker'),
    });
    if (process.env.HFX_NOTIFY_WORKER !== '0') {
      app.addHook('onReady', (done) => {
        worker.start();
        done();
      });
      app.addHook('onClose', async () => worker.stop());
    }

    app.post<{ Body: Intake }>(
      '/v1/cases',
      {
        config: { allow: 'developer' },
        schema: {
          summary: 'Report a case (developer): priority is computed from severity × impact',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['title', 'source', 'reporter', 'product', 'impact', 'severity'],
            properties: {
              title: str(500),
              description: text(),
              source: { type: 'string', enum: ['customer', 'monitoring', 'testing'] },
              reporter: str(),
              customer: NAME,
              product: NAME,
              release: NAME,
              level: LEVEL,
              component: str(200),
              impact: { type: 'string', enum: [...IMPACTS] },
              impactText: text(10_000),
              severity: { type: 'string', enum: [...SEVERITIES] },
            },
          },
        },
      },
      async (req, reply) => reply.status(201).send(await createCase(db, actorOf(req), req.body)),
    );

    app.get<{
      Querystring: {
        state?: string;
        product?: string;
        severity?: string;
        priority?: string;
        customer?: string;
        component?: string;
        before?: number;
        limit?: number;
      };
    }>(
      '/v1/cases',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: 'Cases, newest first, paginated by id (viewer): pass `before` = the last id of a page for the next',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              state: { type: 'string', enum: [...STATES] },
              product: NAME,
              severity: { type: 'string', enum: [...SEVERITIES] },
              priority: { type: 'string', enum: ['P1', 'P2', 'P3', 'P4'] },
              customer: NAME,
              component: str(200),
              before: SERIAL_ID,
              limit: { type: 'integer', minimum: 1, maximum: 500 },
            },
          },
        },
      },
      async (req) => {
        actorOf(req, 'viewer');
        const q0 = req.query;
        const limit = q0.limit ?? 50;
        let q = db
          .selectFrom('cases')
          .select([
            'id',
            'title',
            'product',
            'release',
            'component',
            'customer_id',
            'severity',
            'priority',
            'state',
            'assignee',
            'team',
            'hotfix_id',
            'created_at',
            'updated_at',
          ])
          .orderBy('id', 'desc')
          .limit(limit + 1);
        if (q0.state) q = q.where('state', '=', q0.state);
        if (q0.product) q = q.where('product', '=', q0.product);
        if (q0.severity) q = q.where('severity', '=', q0.severity as 'S1');
        if (q0.priority) q = q.where('priority', '=', q0.priority as 'P1');
        if (q0.customer) q = q.where('customer_id', '=', q0.customer);
        if (q0.component) q = q.where('component', '=', q0.component);
        if (q0.before) q = q.where('id', '<', q0.before);
        const rows = await q.execute();
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return { cases: page, next: rows.length > limit && last ? last.id : null };
      },
    );

    app.get<{ Params: { id: number } }>(
      '/v1/cases/:id',
      {
        config: { allow: 'viewer' },
        schema: { summary: 'One case with its history, evidence and notifications (viewer)', params: ID },
      },
      async (req) => {
        const me = actorOf(req, 'viewer');
        const c = await db.selectFrom('cases').selectAll().where('id', '=', req.params.id).executeTakeFirst();
        if (!c) throw new HfxError('HFX_E_NOT_FOUND', `no case ${req.params.id}`);
        const transitions = await db
          .selectFrom('case_transitions')
          .selectAll()
          .where('case_id', '=', c.id)
          .orderBy('id')
          .execute();
        const evidence = await db
          .selectFrom('case_evidence')
          .select(['id', 'kind', 'counts', 'uploaded_by', 'at'])
          .where('case_id', '=', c.id)
          .orderBy('id')
          .execute();
        const notifications = await db
          .selectFrom('notify_outbox')
          .select(['event_id', 'event', 'kind', 'target', 'attempts', 'delivered_at', 'failed_at', 'last_error'])
          .where((e) => e.or([e('event_id', 'like', `case.%:${c.id}`), e('event_id', 'like', `case.%:${c.id}:%`)]))
          .orderBy('id')
          .execute();
        // Webhook URLs and contacts' addresses are for release managers (as in /v1/notifications).
        const mayTargets = me.role === 'release-manager' || me.role === 'admin';
        return {
          ...c,
          transitions,
          evidence,
          notifications: mayTargets ? notifications : notifications.map(({ target: _t, last_error: _e, ...n }) => n),
        };
      },
    );

    app.get<{ Params: { id: number } }>(
      '/v1/cases/:id/audit',
      {
        config: { allow: 'viewer' },
        schema: { summary: "The case's audit log entries, oldest first (viewer)", params: ID },
      },
      async (req) => {
        actorOf(req, 'viewer');
        return {
          entries: await db
            .selectFrom('audit_log')
            .selectAll()
            .where('object_type', '=', 'case')
            .where('object_id', '=', String(req.params.id))
            .orderBy('id')
            .execute(),
        };
      },
    );

    app.post<{ Params: { id: number }; Body: { priority: 'P1' | 'P2' | 'P3' | 'P4'; reason: string } }>(
      '/v1/cases/:id/priority',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: 'Override the computed priority, with a reason (release-manager)',
          params: ID,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['priority', 'reason'],
            properties: { priority: { type: 'string', enum: ['P1', 'P2', 'P3', 'P4'] }, reason: str(2000) },
          },
        },
      },
      async (req) => {
        const me = requireRole(req, 'release-manager');
        return overridePriority(
          db,
          { name: actorName(me), role: me.role },
          req.params.id,
          req.body.priority,
          req.body.reason,
        );
      },
    );

    // A step may come without a body: req.body is then undefined.
    interface StepRoute {
      Params: { id: number; action: CaseAction };
      Body: ActionInput | undefined;
    }
    app.post<StepRoute>(
      '/v1/cases/:id/:action',
      {
        config: { allow: 'developer' },
        // Evidence carries two JUnit files of up to JUNIT_MAX characters each (the parser refuses
        // larger ones with HFX_E_JUNIT), plus their JSON escaping; the other steps keep the 1 MiB
        // of every JSON body, checked before the body is read.
        bodyLimit: Math.ceil(2.5 * JUNIT_MAX) + 1024 * 1024,
        onRequest: (req, _reply, done) => {
          if (
            (req.params as { action?: string }).action !== 'evidence' &&
            Number(req.headers['content-length'] ?? 0) > 1024 * 1024
          ) {
            done(
              new HfxError('HFX_E_TOO_LARGE', 'only the evidence step takes a body over 1 MiB', {
                hint: 'Send JUnit files with the evidence step.',
              }),
            );
            return;
          }
          done();
        },
        schema: {
          summary:
            'Take a step: triage, start, evidence, ready, schedule, deploy, verify, monitor, solve, reopen, reject, rollback, supersede (role per step: docs/cases.md)',
          params: {
            type: 'object',
            properties: { id: SERIAL_ID, action: { type: 'string', enum: [...ACTIONS] } },
            required: ['id', 'action'],
          },
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              reason: text(2000),
              assignee: str(),
              team: str(),
              rootCause: text(),
              commits: {
                type: 'array',
                maxItems: 1000,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['sha'],
                  properties: { sha: { type: 'string', pattern: '^[0-9a-f]{4,64}$' }, subject: text(1000) },
                },
              },
              functional: { type: 'string' },
              regression: { type: 'string' },
              hotfix: NAME,
              windowStart: str(40),
              windowEnd: str(40),
              stakeholders: { type: 'array', maxItems: 100, items: { type: 'string', format: 'email' } },
              environment: NAME,
              signoffBy: str(),
              monitorDays: { type: 'number', minimum: 0, maximum: 365 },
              override: { type: 'boolean' },
              update: NAME,
            },
          },
        },
      },
      async (req) => {
        const me = actorOf(req, 'developer');
        return act(db, me, req.params.id, req.params.action, req.body ?? {});
      },
    );

    app.get<{ Params: { id: number } }>(
      '/v1/cases/:id/release-notes.md',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: "The hotfix's release notes in Markdown, made when the case became ready (viewer)",
          params: ID,
        },
      },
      async (req, reply) => {
        actorOf(req, 'viewer');
        const c = await db
          .selectFrom('cases')
          .select(['id', 'release_notes', 'hotfix_id'])
          .where('id', '=', req.params.id)
          .executeTakeFirst();
        if (!c) throw new HfxError('HFX_E_NOT_FOUND', `no case ${req.params.id}`);
        if (!c.release_notes)
          throw new HfxError(
            'HFX_E_NOT_FOUND',
            `case ${c.id} has no release notes yet (they are made when it becomes ready)`,
          );
        return reply
          .type('text/markdown; charset=utf-8')
          .header('content-disposition', `attachment; filename="${c.hotfix_id ?? `case-${c.id}`}.md"`)
          .send(c.release_notes);
      },
    );

    app.get<{ Params: { id: string } }>(
      '/v1/updates/:id/release-notes.md',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: "An update level's release notes in Markdown (viewer)",
          params: { type: 'object', properties: { id: NAME }, required: ['id'] },
        },
      },
      async (req, reply) => {
        actorOf(req, 'viewer');
        const a = await db
          .selectFrom('archives')
          .selectAll()
          .where('id', '=', req.params.id)
          .where('kind', '=', 'update')
          .executeTakeFirst();
        if (!a) throw new HfxError('HFX_E_NOT_FOUND', `no update ${req.params.id}`);
        const ids = a.includes;
        const included = ids.length
          ? await db.selectFrom('archives').select(['id', 'title', 'severity']).where('id', 'in', ids).execute()
          : [];
        return reply
          .type('text/markdown; charset=utf-8')
          .header('content-disposition', `attachment; filename="${a.id}.md"`)
          .send(updateNotes(notesArchive(a), included));
      },
    );

    // Subscriptions: webhooks, a user's own e-mail, and a customer's contacts.
    app.get(
      '/v1/subscriptions',
      {
        config: { allow: 'release-manager' },
        schema: { summary: 'Notification subscriptions (release-manager; secrets are not shown)' },
      },
      async (req) => {
        requireRole(req, 'release-manager');
        return {
          subscriptions: await db
            .selectFrom('notify_subscriptions')
            .select(['id', 'kind', 'target', 'customer_id', 'username', 'events', 'created_by', 'created_at'])
            .orderBy('id')
            .execute(),
        };
      },
    );

    app.post<{
      Body: { kind: 'webhook' | 'email'; target: string; events?: string[]; customer?: string; secret?: string };
    }>(
      '/v1/subscriptions',
      {
        config: { allow: 'viewer' },
        schema: {
          summary:
            "Subscribe a webhook, a customer's contact or an e-mail address to events (admin; any user may subscribe their own e-mail of record). A webhook secret is made if none is given and shown once.",
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'target'],
            properties: {
              kind: { type: 'string', enum: ['webhook', 'email'] },
              target: str(2048),
              events: {
                type: 'array',
                minItems: 1,
                maxItems: 10,
                uniqueItems: true,
                items: { type: 'string', enum: [...NOTIFY_EVENTS] },
              },
              customer: NAME,
              secret: { type: 'string', minLength: 16, maxLength: 200 },
            },
          },
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'viewer');
        const b = req.body;
        // Only an admin points notifications at an address that is not the caller's own: a webhook
        // (which the server itself connects to), a customer's contact, someone else's mailbox.
        const own = b.kind === 'email' && !b.customer ? await ownEmail(me.userId) : null;
        const isOwn = own !== null && own.toLowerCase() === b.target.toLowerCase();
        if (!isOwn && me.role !== 'admin') {
          throw new HfxError(
            'HFX_E_FORBIDDEN',
            b.kind === 'email' && !b.customer
              ? `you may subscribe only your own e-mail address${own ? ` (${own})` : '; none is recorded for you'}`
              : "only an admin may subscribe webhooks and customers' contacts",
            {
              hint:
                own || b.kind !== 'email' || b.customer
                  ? 'Ask an admin to add the subscription.'
                  : 'Ask an admin to record your address (PATCH /v1/users/NAME).',
            },
          );
        }
        if (
          b.customer &&
          !(await db.selectFrom('customers').select('id').where('id', '=', b.customer).executeTakeFirst())
        ) {
          throw new HfxError('HFX_E_NOT_FOUND', `no customer ${b.customer}`, {
            hint: 'List the customers: GET /v1/customers.',
          });
        }
        if (b.kind === 'webhook') checkWebhookUrl(b.target, ctx.limits.webhookAllow);
        if (b.kind === 'email' && !/^[^\s@]+@[^\s@]+$/.test(b.target))
          throw new HfxError('HFX_E_USAGE', 'an e-mail target is an address');
        const secret = b.kind === 'webhook' ? (b.secret ?? randomBytes(24).toString('base64url')) : null;
        const events = b.events ?? [...NOTIFY_EVENTS];
        const r = await db.transaction().execute(async (tx) => {
          const row = await tx
            .insertInto('notify_subscriptions')
            .values({
              kind: b.kind,
              target: b.target,
              secret,
              customer_id: b.customer ?? null,
              username: isOwn ? me.username : null,
              events: JSON.stringify(events),
              created_by: me.username,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          await audit(tx, me.username, 'subscribe', 'subscription', String(row.id), {
            kind: b.kind,
            target: b.target,
            events,
            customer: b.customer ?? null,
          });
          return row;
        });
        return reply.status(201).send({
          id: r.id,
          kind: b.kind,
          target: b.target,
          events,
          customer: b.customer ?? null,
          ...(secret ? { secret } : {}),
        });
      },
    );

    app.delete<{ Params: { id: number } }>(
      '/v1/subscriptions/:id',
      {
        config: { allow: 'viewer' },
        schema: { summary: 'Remove a subscription (release-manager, or its own user)', params: ID },
      },
      async (req) => {
        const me = requireRole(req, 'viewer');
        const s = await db
          .selectFrom('notify_subscriptions')
          .select(['id', 'username'])
          .where('id', '=', req.params.id)
          .executeTakeFirst();
        // Another's subscription reads like none to a user who may not remove it.
        if (!s || (s.username !== me.username && rank(me.role) < rank('release-manager')))
          throw new HfxError('HFX_E_NOT_FOUND', `no subscription ${req.params.id} of yours`);
        await db.transaction().execute(async (tx) => {
          await tx.deleteFrom('notify_subscriptions').where('id', '=', s.id).execute();
          await audit(tx, me.username, 'unsubscribe', 'subscription', String(s.id));
        });
        return { ok: true };
      },
    );

    app.get<{ Querystring: { pending?: boolean; limit?: number } }>(
      '/v1/notifications',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: 'The notification outbox, newest first (release-manager)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { pending: { type: 'boolean' }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          },
        },
      },
      async (req) => {
        requireRole(req, 'release-manager');
        let q = db
          .selectFrom('notify_outbox')
          .select([
            'id',
            'event_id',
            'event',
            'kind',
            'target',
            'attempts',
            'next_at',
            'delivered_at',
            'failed_at',
            'last_error',
            'created_at',
          ])
          .orderBy('id', 'desc')
          .limit(req.query.limit ?? 100);
        if (req.query.pending) q = q.where('delivered_at', 'is', null).where('failed_at', 'is', null);
        return {
          notifications: await q.execute(),
          now: (await sql<{ now: Date }>`select now()`.execute(db)).rows[0]?.now,
        };
      },
    );
  });
}
