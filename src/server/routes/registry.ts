import { HfxError } from '../../errors.js';
import type { Ctx } from '../app.js';
import { requireAny, requireRole } from '../auth.js';
import { audit } from '../audit.js';
import { NAME_PATTERN } from './schemas.js';
import { routePlugin } from './plugin.js';

export function registryRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return routePlugin((app) => {
    app.get(
      '/v1/products',
      { config: { allow: 'login' }, schema: { summary: 'List products with their releases' } },
      async (req) => {
        requireAny(req);
        const products = await db.selectFrom('products').selectAll().orderBy('name').execute();
        const releases = await db.selectFrom('releases').selectAll().orderBy('product').orderBy('version').execute();
        return {
          products: products.map((p) => ({
            ...p,
            releases: releases.filter((r) => r.product === p.name).map((r) => r.version),
          })),
        };
      },
    );

    app.post<{ Body: { name: string; title?: string } }>(
      '/v1/products',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: 'Register a product (release-manager)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: { type: 'string', pattern: NAME_PATTERN }, title: { type: 'string', maxLength: 200 } },
          },
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'release-manager');
        const r = await db
          .insertInto('products')
          .values({ name: req.body.name, title: req.body.title ?? req.body.name })
          .onConflict((c) => c.column('name').doNothing())
          .executeTakeFirst();
        if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0)
          throw new HfxError('HFX_E_USAGE', `product ${req.body.name} exists`);
        await audit(db, me.username, 'create', 'product', req.body.name);
        return reply.status(201).send({ name: req.body.name });
      },
    );

    app.post<{ Params: { product: string }; Body: { version: string } }>(
      '/v1/products/:product/releases',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary: 'Register a release of a product (release-manager)',
          params: {
            type: 'object',
            properties: { product: { type: 'string', pattern: NAME_PATTERN } },
            required: ['product'],
          },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['version'],
            properties: { version: { type: 'string', pattern: NAME_PATTERN } },
          },
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'release-manager');
        await ensureRelease(ctx, req.params.product, req.body.version, me.username, false);
        return reply.status(201).send({ product: req.params.product, version: req.body.version });
      },
    );
  });
}

/** Creates the product and release if needed (`auto`, on upload) or refuses an existing release. */
export async function ensureRelease(
  ctx: Ctx,
  product: string,
  version: string,
  actor: string,
  auto: boolean,
): Promise<void> {
  const db = ctx.store.db;
  const p = await db
    .insertInto('products')
    .values({ name: product, title: product })
    .onConflict((c) => c.column('name').doNothing())
    .executeTakeFirst();
  if (Number(p.numInsertedOrUpdatedRows ?? 0) > 0) await audit(db, actor, 'create', 'product', product, { auto });
  const r = await db
    .insertInto('releases')
    .values({ product, version })
    .onConflict((c) => c.columns(['product', 'version']).doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0) > 0)
    await audit(db, actor, 'create', 'release', `${product}@${version}`, { auto });
  else if (!auto) throw new HfxError('HFX_E_USAGE', `release ${product} ${version} exists`);
}
