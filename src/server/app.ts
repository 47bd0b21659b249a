import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { ERRORS, HfxError } from '../errors.js';
import type { Store } from '../store/store.js';
import { principalOf } from './auth.js';
import { BlobStore } from './blobs.js';
import { archiveRoutes } from './routes/archives.js';
import { authRoutes } from './routes/auth.js';
import { distributionRoutes } from './routes/distribution.js';
import { fleetRoutes } from './routes/fleet.js';
import { registryRoutes } from './routes/registry.js';
import type { ServerKey } from './server-key.js';

export interface AppOptions {
  store: Store;
  blobs: BlobStore;
  key: ServerKey;
  /** Largest archive upload, in bytes. */
  maxUpload?: number;
  /** How long signed metadata stays valid, in seconds. */
  metadataTtl?: number;
  logger?: boolean | object;
}

export interface Ctx {
  store: Store;
  blobs: BlobStore;
  key: ServerKey;
  maxUpload: number;
  metadataTtl: number;
}

/** Builds the HTTP API. Every error leaves as { error: { code, message, hint } } with the status of its code. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    // Secrets never reach the logs: the token header is redacted, bodies are not logged.
    ...(opts.logger ? { logger: { level: 'info', redact: ['req.headers.authorization'] } } : {}),
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const ctx: Ctx = { store: opts.store, blobs: opts.blobs, key: opts.key, maxUpload: opts.maxUpload ?? 4 * 1024 ** 3, metadataTtl: opts.metadataTtl ?? 24 * 3600 };

  await app.register(swagger, {
    openapi: {
      info: { title: 'hfx server API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    req.principal = await principalOf(ctx.store, req);
  });
  // Archives are streamed to disk, never buffered.
  app.addContentTypeParser(['application/zip', 'application/octet-stream'], (_req, payload, done) => done(null, payload));

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HfxError) {
      return reply.status(ERRORS[err.code].http).send({ error: err.toJSON() });
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string; code?: string };
    if (e.validation || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
      const code = e.statusCode === 413 ? 'HFX_E_TOO_LARGE' : e.statusCode === 404 ? 'HFX_E_NOT_FOUND' : 'HFX_E_USAGE';
      return reply.status(e.statusCode && e.statusCode !== 500 ? e.statusCode : 400).send({ error: { code, message: e.message } });
    }
    req.log.error({ err }, 'unexpected error');
    return reply.status(500).send({ error: { code: 'HFX_E_INTERNAL', message: 'internal error; see the server log' } });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'HFX_E_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true, store: ctx.store.kind }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(authRoutes(ctx));
  await app.register(registryRoutes(ctx));
  await app.register(archiveRoutes(ctx));
  await app.register(distributionRoutes(ctx));
  await app.register(fleetRoutes(ctx));
  // environments (issue 5):
  // cases (issue 5):
  return app;
}
