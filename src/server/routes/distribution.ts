import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HfxError } from '../../errors.js';
import type { Ctx } from '../app.js';
import { requireAny } from '../auth.js';
import { LEVEL, NAME } from './schemas.js';

export const METADATA_TYPE = 'hfx-targets/1';

export interface TargetsSigned {
  _type: typeof METADATA_TYPE;
  version: number;
  expires: string;
  product: string;
  release: string;
  level: number;
  channel: 'full' | 'security';
  customer: string | null;
  updates: { id: string; level: number; toLevel: number; security: boolean; includes: string[]; sha256: string; size: number; digest: string }[];
  hotfixes: { id: string; level: number; title: string; severity: string; sha256: string; size: number; digest: string; customer: string | null }[];
}

/** RFC 9110 Accept-Encoding: gzip (or `*`) with a weight above 0; an explicit `gzip;q=0` refuses. */
export function acceptsGzip(header: string): boolean {
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((x) => x.trim());
    const q = params.find((p) => p.startsWith('q='));
    weights.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0;
}


export function distributionRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  const cache = new Map<string, { body: string; gz?: Buffer; until: number }>();
  // Installations poll this route: its answer is compressed once per cached entry, not per request
  // (the global compression is off for it).
  const send = (req: FastifyRequest, reply: FastifyReply, entry: { body: string; gz?: Buffer }) => {
    reply.header('content-type', 'application/json; charset=utf-8').header('vary', 'accept-encoding');
    if (!acceptsGzip(String(req.headers['accept-encoding'] ?? ''))) return reply.send(entry.body);
    entry.gz ??= gzipSync(entry.body);
    return reply.header('content-encoding', 'gzip').send(entry.gz);
  };
  return async (app: FastifyInstance) => {
    app.get('/v1/server-key', { config: { allow: 'public' }, schema: { summary: 'The public key that signs distribution metadata (pin it on login)', security: [] } }, async () => ({ keyid: ctx.key.keyid, publicKey: ctx.key.publicPem }));

    app.get<{ Querystring: { product: string; release: string; level: number; channel?: 'full' | 'security'; customer?: string; since?: number } }>('/v1/metadata', { config: { allow: 'login' },
      compress: false,
      schema: {
        summary: 'Signed list of the updates and hotfixes an installation may take (The Update Framework style targets)',
        querystring: {
          type: 'object', additionalProperties: false, required: ['product', 'release', 'level'],
          properties: { product: NAME, release: NAME, level: LEVEL, channel: { type: 'string', enum: ['full', 'security'] }, customer: NAME, since: { type: 'integer', minimum: 0, maximum: 1e15 } },
        },
      },
    }, async (req, reply) => {
      const p = requireAny(req);
      const { product, release, level } = req.query;
      const channel = req.query.channel ?? 'full';
      if (p.kind === 'customer' && req.query.customer && req.query.customer !== p.customerId) throw new HfxError('HFX_E_FORBIDDEN', 'an installation token sees only its own customer');
      const customer = p.kind === 'customer' ? p.customerId : (req.query.customer ?? null);
      // Signed answers are cached per question and metadata version: an update check then costs
      // no query (see metadata-version.ts) instead of two queries and a signature.
      const version = await ctx.version.current(req.query.since);
      const key = JSON.stringify([product, release, level, channel, customer, version]);
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return send(req, reply, hit);
      const visible = <Q extends { where: (...a: any[]) => Q }>(q: Q): Q =>
        customer === null ? q.where('customer_id', 'is', null) : q.where((e: any) => e.or([e('customer_id', 'is', null), e('customer_id', '=', customer)]));
      const cols = ['id', 'kind', 'level', 'to_level', 'security', 'includes', 'sha256', 'size', 'digest', 'title', 'severity', 'customer_id'] as const;
      let uq = db.selectFrom('archives').select([...cols]).where('product', '=', product).where('release', '=', release).where('kind', '=', 'update').where('level', '>=', level);
      if (channel === 'security') uq = uq.where('security', '=', true);
      const updates = await visible(uq).orderBy('level').orderBy('to_level').execute();
      const hotfixes = await visible(db.selectFrom('archives').select([...cols]).where('product', '=', product).where('release', '=', release).where('kind', '=', 'hotfix').where('level', '=', level))
        .orderBy('created_at').orderBy('id').execute();
      const signed: TargetsSigned = {
        _type: METADATA_TYPE,
        version,
        expires: new Date(Date.now() + ctx.metadataTtl * 1000).toISOString(),
        product, release, level, channel, customer,
        updates: updates.map((u) => ({ id: u.id, level: u.level, toLevel: u.to_level!, security: u.security, includes: u.includes, sha256: u.sha256, size: u.size, digest: u.digest })),
        hotfixes: hotfixes.map((h) => ({ id: h.id, level: h.level, title: h.title, severity: h.severity, sha256: h.sha256, size: h.size, digest: h.digest, customer: h.customer_id })),
      };
      const text = JSON.stringify({ signed, signatures: [ctx.key.sign(signed)] });
      if (cache.size >= 10_000) cache.clear();
      // Reused for a small part of the lifetime, so a cached answer is never near its expiry.
      const entry = { body: text, until: Date.now() + Math.min(60, ctx.metadataTtl / 10) * 1000 };
      cache.set(key, entry);
      return send(req, reply, entry);
    });
  };
}
