import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

/**
 * A route plugin made of a function that only declares routes and hooks (it has nothing to await).
 * Fastify registers it as the promise-returning plugin every route module always was, and a route
 * refused while being declared (no config.allow, a duplicate) rejects the registration, and so
 * buildApp, as a throw in an async plugin did, instead of escaping Fastify's loader.
 */
export function routePlugin(declare: (app: FastifyInstance) => void): FastifyPluginAsync {
  return (app) =>
    new Promise<void>((resolve) => {
      declare(app);
      resolve();
    });
}
