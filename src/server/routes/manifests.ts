import canonicalize from 'canonicalize';
import { HfxError } from '../../errors.js';
import { diffReleases } from '../../release/diff.js';
import { parseReleaseManifest, serializeRelease, type ReleaseManifest } from '../../release/schema.js';
import { compareSemver as compareVersions, SEMVER_RE as VERSION_RE } from '../../version.js';
import type { Ctx } from '../app.js';
import { actorName, requireRole } from '../auth.js';
import { requireProduct } from '../environments/queries.js';
import { audit } from '../audit.js';
import { ensureRelease } from './registry.js';
import { NAME } from './schemas.js';
import { routePlugin } from './plugin.js';

const VERSION = { type: 'string', maxLength: 128, pattern: VERSION_RE.source } as const;
const P = { type: 'object', required: ['product'], properties: { product: NAME } } as const;
const PV = {
  type: 'object',
  required: ['product', 'version'],
  properties: { product: NAME, version: VERSION },
} as const;

/**
 * The content that makes a release: the manifest without published_at. A publish retried after a
 * lost answer stamps a new published_at on the same release, and must be taken as the same
 * release (PublishTarget's contract), not refused as a conflict.
 */
function content(m: ReleaseManifest): string {
  const rest: Partial<ReleaseManifest> = { ...m };
  delete rest.published_at;
  const text = canonicalize(rest);
  if (text === undefined) throw new HfxError('HFX_E_INTERNAL', `release ${m.version} has no canonical form`);
  return text;
}

/** What the list shows of each manifest: enough for a table of releases, without images and components. */
function summary(m: ReleaseManifest) {
  return {
    version: m.version,
    status: m.status,
    released_at: m.released_at,
    published_at: m.published_at ?? null,
    base: m.base ?? null,
    hotfixes: m.hotfixes ?? [],
    channels: m.channels,
    notes: m.notes,
    commit: m.commit,
  };
}

export function manifestRoutes(ctx: Ctx) {
  const db = ctx.store.db;

  async function manifestOf(product: string, version: string): Promise<ReleaseManifest> {
    await requireProduct(db, product);
    const row = await db
      .selectFrom('release_manifests')
      .select(['manifest'])
      .where('product', '=', product)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row)
      throw new HfxError('HFX_E_NOT_FOUND', `no release manifest ${product} ${version}`, {
        hint: `Publish it with \`hfx release publish ${version} --server\`, or send a published one with \`hfx release push ${version}\`.`,
      });
    return row.manifest;
  }

  return routePlugin((app) => {
    app.post<{ Params: { product: string }; Body: unknown }>(
      '/v1/products/:product/manifests',
      {
        config: { allow: 'release-manager' },
        schema: {
          summary:
            'Stores a published release manifest (docs/releases.md) of the product; the same release again answers 200 existed (release-manager)',
          params: P,
          // Checked by the manifest schema of `hfx release`, so a refusal names the field as the CLI does.
          body: { type: 'object', description: 'a release manifest with status "published" and name = the product' },
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'release-manager');
        const { product } = req.params;
        const m = parseReleaseManifest(req.body, 'the request body');
        if (m.status !== 'published') {
          throw new HfxError(
            'HFX_E_MANIFEST',
            `release ${m.version} is a draft; the server keeps published releases only`,
            { hint: `Publish it first: \`hfx release publish ${m.version} --server\`.` },
          );
        }
        // The manifest schema refuses a published release without it.
        const publishedAt = m.published_at;
        if (publishedAt === undefined) {
          throw new HfxError('HFX_E_MANIFEST', `release ${m.version} is published but has no published_at`);
        }
        if (m.name !== product)
          throw new HfxError('HFX_E_USAGE', `the manifest is of ${m.name}, not of product ${product}`, {
            hint: `Send it to /v1/products/${m.name}/manifests.`,
          });
        await requireProduct(db, product);
        const stored = serializeRelease(m);
        const existing = await db
          .selectFrom('release_manifests')
          .select(['manifest'])
          .where('product', '=', product)
          .where('version', '=', m.version)
          .executeTakeFirst();
        if (!existing) await ensureRelease(ctx, product, m.version, actorName(me), true);
        const created = existing
          ? false
          : await db.transaction().execute(async (tx) => {
              // Two uploads at once: one inserts, the other finds its row below.
              const r = await tx
                .insertInto('release_manifests')
                .values({
                  product,
                  version: m.version,
                  manifest: stored,
                  released_at: m.released_at,
                  published_at: publishedAt,
                  uploaded_by: actorName(me),
                })
                .onConflict((c) => c.columns(['product', 'version']).doNothing())
                .executeTakeFirst();
              if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
              await audit(tx, actorName(me), 'upload', 'release-manifest', `${product}@${m.version}`, {
                published_at: m.published_at,
              });
              return true;
            });
        if (created)
          return reply
            .status(201)
            .send({ product, version: m.version, existed: false, manifest: JSON.parse(stored) as ReleaseManifest });
        const have = existing?.manifest ?? (await manifestOf(product, m.version));
        if (content(have) !== content(m)) {
          throw new HfxError(
            'HFX_E_RELEASE_EXISTS',
            `release ${product} ${m.version} is already on the server with other content`,
            {
              hint: `A published release does not change; make a new one with \`hfx release new --base ${m.version}\`.`,
            },
          );
        }
        return reply.status(200).send({ product, version: m.version, existed: true, manifest: have });
      },
    );

    app.get<{ Params: { product: string } }>(
      '/v1/products/:product/manifests',
      {
        config: { allow: 'viewer' },
        schema: {
          summary:
            "The product's release manifests, oldest version first (semver order), without images and components (viewer)",
          params: P,
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        await requireProduct(db, req.params.product);
        const rows = await db
          .selectFrom('release_manifests')
          .select(['manifest', 'uploaded_by', 'created_at'])
          .where('product', '=', req.params.product)
          .execute();
        rows.sort((a, b) => compareVersions(a.manifest.version, b.manifest.version));
        return {
          product: req.params.product,
          manifests: rows.map((r) => ({
            ...summary(r.manifest),
            uploaded_by: r.uploaded_by,
            uploaded_at: r.created_at,
          })),
        };
      },
    );

    app.get<{ Params: { product: string; version: string } }>(
      '/v1/products/:product/manifests/:version',
      { config: { allow: 'viewer' }, schema: { summary: 'One release manifest, as published (viewer)', params: PV } },
      async (req) => {
        requireRole(req, 'viewer');
        return { manifest: await manifestOf(req.params.product, req.params.version) };
      },
    );

    app.get<{ Params: { product: string }; Querystring: { from: string; to: string } }>(
      '/v1/products/:product/manifests-diff',
      {
        config: { allow: 'viewer' },
        schema: {
          summary:
            'What changed from release `from` to release `to`: the document `hfx release diff FROM TO --json` prints, without `ok` (viewer)',
          params: P,
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['from', 'to'],
            properties: { from: VERSION, to: VERSION },
          },
        },
      },
      async (req) => {
        requireRole(req, 'viewer');
        const { product } = req.params;
        return diffReleases(await manifestOf(product, req.query.from), await manifestOf(product, req.query.to));
      },
    );
  });
}
