import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `vite build` puts the dashboard (dist/web, next to this file's dist/src). */
export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

// The dashboard only talks to this origin's API; nothing inline, nothing from elsewhere.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * Serves the dashboard: the built files (hashed assets cached for a year, gzip copies made by the
 * build), and index.html for any other GET a browser makes outside /v1, so deep links such as
 * /cases/12 work. Without a build (a checkout that never ran `npm run build`) the API still runs.
 */
export async function registerWeb(
  app: FastifyInstance,
  notFound: (req: FastifyRequest, reply: FastifyReply) => unknown,
  dir = WEB_DIR,
): Promise<boolean> {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return false;
  const html = readFileSync(index);
  await app.register(fastifyStatic, {
    root: dir,
    // One route per built file, found at start: no path is looked up on disk per request.
    wildcard: false,
    index: false,
    preCompressed: true,
    schemaHide: true,
    // Ours, per file (below): the plugin's one value for all would not tell hashed assets from index.html.
    cacheControl: false,
    // The .gz copies are sent for their originals, never under their own names.
    allowedPath: (path) => !path.endsWith('.gz'),
    setHeaders: (res, path) => {
      res.setHeader('x-content-type-options', 'nosniff');
      // The same address answers gzip or not: caches must key on what the client accepts.
      res.setHeader('vary', 'accept-encoding');
      if (path.includes('/assets/')) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      else res.setHeader('cache-control', 'no-cache');
      if (path.endsWith('.html')) {
        res.setHeader('content-security-policy', CSP);
        res.setHeader('referrer-policy', 'no-referrer');
      }
    },
  });
  const page = (reply: FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(html);
  app.get('/', { schema: { hide: true } }, (_req, reply) => page(reply));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? req.url;
    if (
      req.method === 'GET' &&
      !path.startsWith('/v1/') &&
      !path.startsWith('/assets/') &&
      (req.headers.accept ?? '').includes('text/html')
    )
      return page(reply);
    return notFound(req, reply);
  });
  return true;
}
