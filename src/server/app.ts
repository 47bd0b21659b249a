import type { Socket } from 'node:net';
import Fastify, {
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import { ERRORS, HfxError } from '../errors.js';
import { isConnectionLost, type Store } from '../store/store.js';
import { admit, principalOf } from './auth.js';
import type { ArchiveBlobs } from './blobs/store.js';
import { adminRoutes } from './routes/admin.js';
import { archiveRoutes } from './routes/archives.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { caseRoutes } from './routes/cases.js';
import { customerCaseRoutes } from './routes/customer-cases.js';
import { environmentRoutes } from './routes/environments.js';
import { fleetRoutes } from './routes/fleet.js';
import { manifestRoutes } from './routes/manifests.js';
import { overviewRoutes } from './routes/overview.js';
import { registryRoutes } from './routes/registry.js';
import { rolloutRoutes } from './routes/rollouts.js';
import { tufRoutes } from './routes/tuf.js';
import type { TufServerKeys } from './tuf/keys-dir.js';
import { TufRepos } from './tuf/repos.js';
import { versionKeeper, type VersionKeeper } from './metadata-version.js';
import { limitsOf, type ServerLimits } from './limits.js';
import { registerWeb } from './web.js';

export interface AppOptions {
  store: Store;
  blobs: ArchiveBlobs;
  /** The online TUF key and the metadata signed offline (tuf/keys-dir.ts). */
  tufKeys: TufServerKeys;
  /** Largest archive upload, in bytes. */
  maxUpload?: number;
  logger?: boolean | object;
  /** Timeouts, proxies, webhook reach, upload bounds (limits.ts); defaults for what is not given. */
  limits?: Partial<ServerLimits>;
}

export interface Ctx {
  store: Store;
  blobs: ArchiveBlobs;
  /** Every repository's TUF metadata (docs/distribution.md). */
  tuf: TufRepos;
  maxUpload: number;
  /** The metadata version: it only grows (see metadata-version.ts). */
  version: VersionKeeper;
  limits: ServerLimits;
}

/**
 * Every API route plugin, in the order they are registered (the order /openapi.json lists them).
 * Each route declares who may call it (config.allow), checked at start-up.
 */
const ROUTES: readonly ((ctx: Ctx) => FastifyPluginAsync)[] = [
  authRoutes,
  adminRoutes,
  registryRoutes,
  auditRoutes,
  archiveRoutes,
  tufRoutes,
  fleetRoutes,
  environmentRoutes,
  caseRoutes,
  manifestRoutes,
  overviewRoutes,
  rolloutRoutes,
  customerCaseRoutes,
];

/** Whether `test` holds for any value or key anywhere in a parsed query, params or body. */
function deepSome(v: unknown, test: (x: unknown) => boolean): boolean {
  if (test(v)) return true;
  if (Array.isArray(v)) return v.some((x) => deepSome(x, test));
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => test(k) || deepSome(x, test));
  return false;
}
const hasNul = (v: unknown) => deepSome(v, (x) => typeof x === 'string' && x.includes('\0'));
const hasInfinity = (v: unknown) => deepSome(v, (x) => typeof x === 'number' && !Number.isFinite(x));

/** The request announced a body that has not been read to its end. */
function hasUnreadBody(req: FastifyRequest): boolean {
  const h = req.headers;
  const announced =
    (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
  return announced && !req.raw.readableEnded;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Answers 408 to a request whose body is overdue and closes its connection (the handler waiting on it fails). */
function bodyTimedOut(req: FastifyRequest, reply: FastifyReply, ms: number): void {
  req.log.warn({ url: req.url, ms }, 'request body timed out');
  const raw = reply.raw;
  // The request stream is destroyed, not only its socket: once the answer is finished Node no
  // longer tells the request that its socket closed, and a handler reading it would wait forever.
  const cut = (): void => {
    req.raw.destroy(new HfxError('HFX_E_TIMEOUT', `the request body did not arrive within ${Math.round(ms / 1000)} s`));
    // Typed as always there, the socket is null once Node has let go of it.
    (req.raw.socket as Socket | null)?.destroy();
  };
  if (raw.headersSent) {
    cut();
    return;
  }
  const body = JSON.stringify({
    error: {
      code: 'HFX_E_TIMEOUT',
      message: `the request body did not arrive within ${Math.round(ms / 1000)} s`,
      hint: 'Retry on a faster or steadier connection.',
    },
  });
  raw.writeHead(408, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  raw.end(body, cut);
}

/** Builds the HTTP API. Every error leaves as { error: { code, message, hint } } with the status of its code. */
export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const limits = limitsOf(opts.limits);
  const app = Fastify({
    // The client address (login throttling) comes from X-Forwarded-For only behind proxies named here.
    trustProxy: limits.trustProxy ?? false,
    // Slow clients: a socket idle this long is closed; a body's own deadline is set per request
    // below, so the whole-request timeout, which would cut long uploads, is off.
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: Math.min(5000, limits.idleTimeoutMs),
    requestTimeout: 0,
    // Headers that trickle in (slowloris) are cut at headersTimeout, checked every second rather
    // than Node's default 30.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    logger: opts.logger ?? false,
    // Secrets never reach the logs: the token header is redacted, bodies are not logged.
    ...(opts.logger ? { logger: { level: 'info', redact: ['req.headers.authorization'] } } : {}),
    bodyLimit: 1024 * 1024,
    // Ids may be 128 characters; longer parameters are refused by the route schemas with our codes.
    routerOptions: { maxParamLength: 2048 },
    // Errors Node's HTTP parser raises before Fastify sees a request (431 headers too large, 400
    // malformed): the same JSON error shape as everything else.
    clientErrorHandler: (err, socket) => {
      const e = err as Error & { code?: string };
      const [status, code, reason, message] =
        e.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'HFX_E_TOO_LARGE', 'Request Header Fields Too Large', 'the request headers are too large']
          : e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [
                408,
                'HFX_E_TIMEOUT',
                'Request Timeout',
                `the request headers did not arrive within ${limits.headersTimeoutMs / 1000} s`,
              ]
            : [400, 'HFX_E_USAGE', 'Bad Request', 'malformed HTTP request'];
      const body = JSON.stringify({ error: { code, message } });
      if (socket.writable)
        socket.end(
          `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      else socket.destroy();
    },
    frameworkErrors: (err, _req, reply) => {
      // A bad %-escape and the like: the same error shape as every other refusal.
      (reply as unknown as { code(n: number): { header(k: string, v: string): { send(b: string): void } } })
        .code(400)
        .header('content-type', 'application/json')
        .send(JSON.stringify({ error: { code: 'HFX_E_USAGE', message: err.message } }));
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const version = await versionKeeper(opts.store);
  const ctx: Ctx = {
    store: opts.store,
    blobs: opts.blobs,
    maxUpload: opts.maxUpload ?? 4 * 1024 ** 3,
    version,
    tuf: new TufRepos(opts.store.db, opts.tufKeys, version),
    limits,
  };
  app.server.headersTimeout = limits.headersTimeoutMs;

  await app.register(swagger, {
    openapi: {
      info: { title: 'hfx server API', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // JSON answers (a page of cases, the pipeline, metadata) gzipped for clients that ask; archives
  // (application/zip) and the dashboard's precompressed files are left as they are.
  await app.register(compress, { global: true, encodings: ['gzip', 'deflate'], threshold: 1024 });
  app.decorateRequest('principal', null);
  // Every API route says who may call it; one without is a bug caught at start-up, not a route
  // open to everyone.
  app.addHook('onRoute', (r) => {
    if (r.url.startsWith('/v1/') && !r.config?.allow)
      throw new Error(`route ${String(r.method)} ${r.url} has no config.allow`);
  });
  // Who is calling, and whether they may, is settled from the headers alone: a refusal goes out
  // before any byte of the body is read (and the connection is closed rather than drained).
  app.addHook('onRequest', async (req) => {
    req.principal = await principalOf(ctx.store, req);
    const allow = req.routeOptions.config.allow;
    if (allow) admit(req.principal, allow);
  });
  // PostgreSQL text cannot hold NUL nor a bigint Infinity: refuse them up front as bad input rather
  // than fail in the database.
  app.addHook('preHandler', (req, _reply, done) => {
    const streamed =
      req.body !== null && typeof req.body === 'object' && typeof (req.body as { pipe?: unknown }).pipe === 'function';
    if (hasNul(decodeSafe(req.url)) || hasNul(req.query) || hasNul(req.params) || (!streamed && hasNul(req.body))) {
      done(new HfxError('HFX_E_USAGE', 'the request contains a NUL character'));
      return;
    }
    // The validator takes Infinity ("Infinity", 1e400) as an integer under any maximum; no column
    // holds it.
    if (hasInfinity(req.query) || hasInfinity(req.params) || (!streamed && hasInfinity(req.body))) {
      done(new HfxError('HFX_E_USAGE', 'a number in the request is not finite'));
      return;
    }
    done();
  });
  // A body has its own deadline from its first byte: JSON bodies bodyTimeoutMs, uploads that plus
  // their announced length at minUploadRate. Past it the client is told 408 and cut off.
  app.addHook('preParsing', async (req, reply, payload) => {
    if (!hasUnreadBody(req)) return payload;
    const length = Number(req.headers['content-length']) || 0;
    const ms =
      limits.bodyTimeoutMs + (req.routeOptions.config.upload ? Math.ceil((length / limits.minUploadRate) * 1000) : 0);
    const timer = setTimeout(() => bodyTimedOut(req, reply, ms), ms);
    const clear = () => clearTimeout(timer);
    payload.once('end', clear).once('close', clear).once('error', clear);
    return payload;
  });
  // Archives are streamed to disk, never buffered.
  app.addContentTypeParser(['application/zip', 'application/octet-stream'], (_req, payload, done) =>
    done(null, payload),
  );

  app.setErrorHandler((err, req, reply) => {
    // A refusal before the body was read: close the connection instead of reading the rest.
    if (hasUnreadBody(req)) reply.header('connection', 'close');
    if (err instanceof HfxError) {
      // The blob registry down or slow (blobs/registry.ts): worth a retry soon.
      if (err.code === 'HFX_E_UNAVAILABLE' && !reply.hasHeader('retry-after')) reply.header('retry-after', '2');
      return reply.status(ERRORS[err.code].http).send({ error: err.toJSON() });
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string; code?: string };
    if (e.validation || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
      const code = e.statusCode === 413 ? 'HFX_E_TOO_LARGE' : e.statusCode === 404 ? 'HFX_E_NOT_FOUND' : 'HFX_E_USAGE';
      return reply
        .status(e.statusCode && e.statusCode !== 500 ? e.statusCode : 400)
        .send({ error: { code, message: e.message } });
    }
    if (isConnectionLost(err)) {
      req.log.warn({ err }, 'database connection lost');
      return reply
        .status(ERRORS.HFX_E_UNAVAILABLE.http)
        .header('retry-after', '1')
        .send({
          error: {
            code: 'HFX_E_UNAVAILABLE',
            message: 'the server lost its database connection (a restart or failover) during this request',
            hint: 'Retry in a moment; if this persists, check that the database the server uses is up.',
          },
        });
    }
    req.log.error({ err }, 'unexpected error');
    return reply.status(500).send({ error: { code: 'HFX_E_INTERNAL', message: 'internal error; see the server log' } });
  });
  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    reply.status(404).send({
      error: { code: 'HFX_E_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0] ?? req.url}` },
    });
  // The dashboard's pages, when built: its not-found handler answers browsers with the app, others with notFound.
  if (!(await registerWeb(app, notFound))) app.setNotFoundHandler(notFound);

  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true, store: ctx.store.kind }));
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  for (const routes of ROUTES) await app.register(routes(ctx));
  return app;
}
