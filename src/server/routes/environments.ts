import type { Ctx } from '../app.js';
import { actorName, requireAny, requireRole } from '../auth.js';
import type { Gates } from '../environments/gates.js';
import {
  assignInstallation,
  board,
  compare,
  deploy,
  environmentDetail,
  hotfixFiles,
  hotfixPresence,
  propagate,
  recordReport,
  setGates,
  setPipeline,
  type DeployInput,
  type PropagateInput,
} from '../environments/service.js';
import type { EnvironmentReport } from '../../wire/fleet.js';
import { LEVEL, NAME } from './schemas.js';
import { routePlugin } from './plugin.js';

const SHA = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const DIGESTS = {
  type: 'array',
  maxItems: 10000,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'digest'],
    properties: { id: NAME, digest: SHA },
  },
} as const;
const REASON = { type: 'string', minLength: 1, maxLength: 2000 } as const;
const PE = { type: 'object', required: ['product', 'env'], properties: { product: NAME, env: NAME } } as const;
const PH = { type: 'object', required: ['product', 'id'], properties: { product: NAME, id: NAME } } as const;

export function environmentRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return routePlugin((app) => {
    app.get<{ Params: { product: string } }>(
      '/v1/environments/:product',
      {
        config: { allow: 'viewer' },
        schema: {
          summary:
            "The product's pipeline: what runs in each environment, its version (with + for untagged changes) and red hotfixes (viewer)",
          params: { type: 'object', required: ['product'], properties: { product: NAME } },
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        return board(db, req.params.product);
      },
    );

    app.put<{ Params: { product: string }; Body: { environments: string[] } }>(
      '/v1/environments/:product/pipeline',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: "Sets the product's ordered environments (release manager)",
          params: { type: 'object', required: ['product'], properties: { product: NAME } },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['environments'],
            properties: { environments: { type: 'array', minItems: 1, maxItems: 20, items: NAME } },
          },
        },
      },
      async (req) => {
        const p = requireRole(req, 'release-manager');
        return setPipeline(db, actorName(p), req.params.product, req.body.environments);
      },
    );

    app.get<{ Params: { product: string }; Querystring: { a: string; b: string } }>(
      '/v1/environments/:product/compare',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: 'Two environments compared hotfix by hotfix and file by file (viewer)',
          params: { type: 'object', required: ['product'], properties: { product: NAME } },
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['a', 'b'],
            properties: { a: NAME, b: NAME },
          },
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        return compare(db, req.params.product, req.query.a, req.query.b);
      },
    );

    app.get<{ Params: { product: string; env: string } }>(
      '/v1/environments/:product/:env',
      {
        config: { allow: 'viewer' },
        schema: { summary: 'One environment: what runs, its installations, deployments and tags (viewer)', params: PE },
      },
      async (req) => {
        requireRole(req, 'viewer');
        return environmentDetail(db, req.params.product, req.params.env);
      },
    );

    app.post<{ Params: { product: string; env: string }; Body: { installation: string } }>(
      '/v1/environments/:product/:env/installations',
      {
        config: { allow: 'developer' },
        schema: {
          summary: 'Assigns an installation to an environment (developer)',
          params: PE,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['installation'],
            properties: { installation: { type: 'string', minLength: 1, maxLength: 200 } },
          },
        },
      },
      async (req, reply) => {
        const p = requireRole(req, 'developer');
        const r = await assignInstallation(db, actorName(p), req.params.product, req.params.env, req.body.installation);
        return reply.status(r.before !== null ? 200 : 201).send(r);
      },
    );

    app.post<{ Body: EnvironmentReport }>(
      '/v1/environments/report',
      {
        config: { allow: 'report' },
        schema: {
          summary:
            'An installation reports its content: hotfixes and updates by digest, and its pack content hash (installation token, or a developer for in-house installations)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['installation', 'release', 'level', 'hotfixes', 'updates', 'packHash'],
            properties: {
              installation: { type: 'string', minLength: 1, maxLength: 200 },
              release: NAME,
              level: LEVEL,
              hotfixes: DIGESTS,
              updates: DIGESTS,
              packHash: SHA,
            },
          },
        },
      },
      async (req) => {
        const p = requireAny(req);
        if (p.kind === 'user') requireRole(req, 'developer');
        return recordReport(db, p, req.body);
      },
    );

    app.post<{ Params: { product: string; env: string }; Body: DeployInput }>(
      '/v1/environments/:product/:env/deploy',
      {
        config: { allow: 'developer' },
        schema: {
          summary:
            'Records a deployment of a hotfix or an update level to an environment, tagged (developer; skipping to Production: release manager with a reason)',
          params: PE,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: {
              hotfix: NAME,
              level: LEVEL,
              tag: NAME,
              approval: {
                type: 'object',
                additionalProperties: false,
                required: ['reason'],
                properties: { reason: REASON },
              },
              dryRun: { type: 'boolean' },
            },
          },
        },
      },
      async (req, reply) => {
        const p = requireRole(req, 'developer');
        const r = await deploy(db, { name: actorName(p), role: p.role }, req.params.product, req.params.env, req.body);
        return 'dryRun' in r ? r : reply.status(201).send(r);
      },
    );

    app.put<{ Params: { product: string; env: string }; Body: Gates }>(
      '/v1/environments/:product/:env/gates',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary:
            "Sets an environment's gates: a soak time in the environment before it, and freeze windows (release manager)",
          params: PE,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['soakSeconds', 'freeze'],
            properties: {
              soakSeconds: { anyOf: [{ type: 'integer', minimum: 0, maximum: 365 * 86400 }, { type: 'null' }] },
              freeze: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } },
            },
          },
        },
      },
      async (req) => {
        const p = requireRole(req, 'release-manager');
        return setGates(db, actorName(p), req.params.product, req.params.env, req.body);
      },
    );

    app.get<{ Params: { product: string; id: string } }>(
      '/v1/environments/:product/hotfixes/:id/presence',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: 'Where the fix is verifiably present (by content), environment by environment (viewer)',
          params: PH,
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        return hotfixPresence(db, req.params.product, req.params.id);
      },
    );

    app.get<{ Params: { product: string; id: string } }>(
      '/v1/environments/:product/hotfixes/:id/files',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: 'The paths a hotfix touches and their content after it (for checking a merge) (viewer)',
          params: PH,
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        return hotfixFiles(db, req.params.product, req.params.id);
      },
    );

    app.post<{ Params: { product: string; id: string }; Body: PropagateInput }>(
      '/v1/environments/:product/hotfixes/:id/propagate',
      {
        config: { allow: 'developer' },
        schema: {
          summary:
            'Propagates a hotfix back to an earlier environment: a deployment its installations apply, or a merge by commit checked file by file (developer)',
          params: PH,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['to'],
            properties: {
              to: NAME,
              dryRun: { type: 'boolean' },
              merged: {
                type: 'object',
                additionalProperties: false,
                required: ['commit', 'files'],
                properties: {
                  commit: { type: 'string', pattern: '^[0-9a-f]{7,64}$' },
                  files: {
                    type: 'object',
                    maxProperties: 100000,
                    additionalProperties: { anyOf: [{ type: 'string', maxLength: 5000 }, { type: 'null' }] },
                  },
                },
              },
            },
          },
        },
      },
      async (req, reply) => {
        const p = requireRole(req, 'developer');
        const r = await propagate(db, actorName(p), req.params.product, req.params.id, req.body);
        return 'dryRun' in r ? r : reply.status(201).send(r);
      },
    );
  });
}
