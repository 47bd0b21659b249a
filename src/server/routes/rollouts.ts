import type { Ctx } from '../app.js';
import { actorName, requireRole } from '../auth.js';
import { changeRollout, getRollout, listRollouts, startRollout } from '../rollouts/service.js';
import { NAME_CHARS } from '../../names.js';
import { NAME, SERIAL_ID } from './schemas.js';
import type { RolloutAction, RolloutView } from '../../wire/rollouts.js';
import { routePlugin } from './plugin.js';

const ID = { type: 'object', required: ['id'], properties: { id: SERIAL_ID } } as const;

/** Rollouts (docs/rollouts.md): release managers start, pause, resume, advance and abort them; vendor users see them. */
export function rolloutRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  // The change moved the metadata version in its own transaction: this process offers it at once.
  const moved = () => ctx.version.reload().then(() => undefined);
  return routePlugin((app) => {
    app.post<{
      Body: {
        archive: string;
        customer?: string;
        env?: string;
        steps: number[];
        everySeconds?: number;
        maxFailureRate?: number;
        minSample?: number;
      };
    }>(
      '/v1/rollouts',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: 'Start a rollout of an archive to a share of a scope that grows by steps (release-manager)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['archive', 'steps'],
            properties: {
              archive: NAME,
              customer: NAME,
              env: { type: 'string', pattern: `^${NAME_CHARS}/${NAME_CHARS}$` },
              steps: {
                type: 'array',
                minItems: 1,
                maxItems: 20,
                items: { type: 'number', minimum: 0.01, maximum: 100 },
              },
              everySeconds: { type: 'integer', minimum: 60, maximum: 30 * 86400 },
              maxFailureRate: { type: 'number', minimum: 0, maximum: 1 },
              minSample: { type: 'integer', minimum: 1, maximum: 1_000_000 },
            },
          },
        },
      },
      async (req, reply): Promise<RolloutView> => {
        const me = requireRole(req, 'release-manager');
        const b = req.body;
        const id = await startRollout(db, actorName(me), {
          archive: b.archive,
          steps: b.steps,
          maxFailureRate: b.maxFailureRate ?? 0.05,
          minSample: b.minSample ?? 20,
          ...(b.customer ? { customer: b.customer } : {}),
          ...(b.env ? { env: b.env } : {}),
          ...(b.everySeconds ? { everySeconds: b.everySeconds } : {}),
        });
        await moved();
        return reply.status(201).send(await getRollout(db, id));
      },
    );

    app.get<{ Querystring: { archive?: string } }>(
      '/v1/rollouts',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: 'Rollouts, newest first, with their share, progress and failure rate (viewer)',
          querystring: { type: 'object', additionalProperties: false, properties: { archive: NAME } },
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        return { rollouts: await listRollouts(db, req.query.archive) };
      },
    );

    app.get<{ Params: { id: number } }>(
      '/v1/rollouts/:id',
      { config: { allow: 'viewer' }, schema: { summary: 'One rollout (viewer)', params: ID } },
      async (req) => {
        requireRole(req, 'viewer');
        return getRollout(db, req.params.id);
      },
    );

    // The body is optional: without one, req.body is undefined.
    interface ChangeRoute {
      Params: { id: number; action: RolloutAction };
      Body: { reason?: string } | undefined;
    }
    app.post<ChangeRoute>(
      '/v1/rollouts/:id/:action',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: 'pause, resume, advance (the next step) or abort a rollout (release-manager)',
          params: {
            type: 'object',
            required: ['id', 'action'],
            properties: { id: SERIAL_ID, action: { type: 'string', enum: ['pause', 'resume', 'advance', 'abort'] } },
          },
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { reason: { type: 'string', minLength: 1, maxLength: 2000 } },
          },
        },
      },
      async (req) => {
        const me = requireRole(req, 'release-manager');
        await changeRollout(db, actorName(me), req.params.id, req.params.action, req.body?.reason ?? null);
        await moved();
        return getRollout(db, req.params.id);
      },
    );
  });
}
