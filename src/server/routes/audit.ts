import type { Ctx } from '../app.js';
import { auditEntries } from '../audit.js';
import { requireRole } from '../auth.js';
import { routePlugin } from './plugin.js';

export function auditRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return routePlugin((app) => {
    app.get<{ Querystring: { actor?: string; object_type?: string; object_id?: string; limit?: number } }>(
      '/v1/audit',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: 'The audit log, newest first (release-manager)',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              actor: { type: 'string', maxLength: 200 },
              object_type: { type: 'string', maxLength: 64 },
              object_id: { type: 'string', maxLength: 200 },
              limit: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          },
        },
      },
      async (req) => {
        requireRole(req, 'release-manager');
        return {
          entries: await auditEntries(db, {
            actor: req.query.actor,
            objectType: req.query.object_type,
            objectId: req.query.object_id,
            limit: req.query.limit,
          }),
        };
      },
    );
  });
}
