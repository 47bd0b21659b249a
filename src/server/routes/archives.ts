import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { HfxError, isHfxError } from '../../errors.js';
import {
  ARCHIVE_KINDS,
  DEFAULT_LIMITS,
  openArchive,
  parsePublicKey,
  verifyManifestSignature,
} from '../../engine/index.js';
import type { Ctx } from '../app.js';
import { bumpVersion } from '../metadata-version.js';
import { actorName, requireAny, requireRole } from '../auth.js';
import { audit } from '../audit.js';
import { visibleTo } from '../visibility.js';
import { ensureRelease } from './registry.js';
import { routePlugin } from './plugin.js';

const COLS = [
  'id',
  'kind',
  'product',
  'release',
  'level',
  'to_level',
  'security',
  'customer_id',
  'title',
  'severity',
  'sha256',
  'size',
  'digest',
  'signer',
  'includes',
  'created_at',
] as const;

export function archiveRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  const findVisible = async (req: FastifyRequest, id: string) => {
    const p = requireAny(req);
    const row = await db.selectFrom('archives').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !visibleTo(p, row.customer_id)) throw new HfxError('HFX_E_NOT_FOUND', `no archive ${id}`);
    return row;
  };
  return routePlugin((app) => {
    // Uploads in flight per token on this process (limits.uploadsPerToken).
    const inFlight = new Map<number, number>();
    app.post<{ Querystring: { customer?: string } }>(
      '/v1/archives',
      {
        config: { allow: 'developer', upload: true },
        // After the global check of who is calling, still before any byte of the body: its type,
        // its announced size, and how many uploads this token already has running.
        onRequest: async (req, reply) => {
          const type = String(req.headers['content-type']).split(';')[0] ?? '';
          if (!['application/zip', 'application/octet-stream'].includes(type)) {
            throw new HfxError('HFX_E_USAGE', 'send the archive as application/zip');
          }
          const length = Number(req.headers['content-length']);
          if (length > ctx.maxUpload) {
            throw new HfxError(
              'HFX_E_TOO_LARGE',
              `the upload is ${length} bytes, over ${ctx.maxUpload} bytes, the most this server takes`,
              {
                hint: 'The server refuses uploads over this size (`hfx serve --max-upload`); ask its operator if the archive is legitimate.',
              },
            );
          }
          const token = requireAny(req).tokenId;
          const n = inFlight.get(token) ?? 0;
          if (n >= ctx.limits.uploadsPerToken) {
            reply.header('retry-after', '5');
            throw new HfxError('HFX_E_RATE_LIMITED', `this token already has ${n} uploads in progress`, {
              hint: 'Wait for them to finish; push archives one after another.',
            });
          }
          inFlight.set(token, n + 1);
          reply.raw.once('close', () => {
            const left = (inFlight.get(token) ?? 1) - 1;
            if (left > 0) inFlight.set(token, left);
            else inFlight.delete(token);
          });
        },
        schema: {
          summary: 'Upload a signed hotfix or update archive (developer); validated like `hfx apply` does',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { customer: { type: 'string', maxLength: 128 } },
          },
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'developer');
        const got = await ctx.blobs.receive(req.body as Readable, ctx.maxUpload);
        try {
          return await accept(got);
        } catch (e) {
          // Messages name the file they are about; the server's temp path is nobody's business.
          if (e instanceof HfxError && e.message.includes(got.tmp))
            throw new HfxError(e.code, e.message.split(got.tmp).join('the upload'), e.hint ? { hint: e.hint } : {});
          throw e;
        } finally {
          ctx.blobs.discard(got.tmp);
        }

        async function accept(got: { tmp: string; sha256: string; size: number }) {
          const keys = (await db.selectFrom('publisher_keys').selectAll().execute()).map((k) => ({
            keyid: k.keyid,
            name: k.name,
            key: parsePublicKey(k.public_pem, k.name),
          }));
          let signer = '';
          // The publisher's signature is checked right after the manifest is read, before the
          // manifest's entries or the ZIP's are looked at (an unsigned upload costs no per-entry work).
          const a = await openArchive(
            got.tmp,
            {
              ...DEFAULT_LIMITS,
              maxManifestBytes: ctx.limits.uploadManifestBytes,
              maxEntries: ctx.limits.uploadEntries,
            },
            (raw, sigs) => {
              if (!sigs?.signatures.length)
                throw new HfxError('HFX_E_UNSIGNED', 'the archive is not signed', {
                  hint: 'Sign it with `hfx sign` before pushing.',
                });
              try {
                signer = verifyManifestSignature(raw, sigs, keys).keyid;
              } catch (e) {
                // The engine's words are for an installation; here the fix is the server's trust list.
                if (isHfxError(e, 'HFX_E_UNTRUSTED')) {
                  throw new HfxError(
                    'HFX_E_UNTRUSTED',
                    e.message.replace('this installation trusts', 'this server trusts'),
                    {
                      hint: "An admin trusts the publisher's key on the server: `hfx key trust PUBLISHER.pub --name NAME` (an installation's own `hfx trust add` does not reach the server).",
                    },
                  );
                }
                throw e;
              }
            },
          );
          try {
            // Every payload byte is checked now, so a bad archive is refused at upload, not at a customer.
            await a.verifyPayload();
          } finally {
            a.close();
          }
          const m = a.manifest;
          const customer = req.query.customer ?? m.customer;
          if (req.query.customer && m.customer && req.query.customer !== m.customer) {
            throw new HfxError(
              'HFX_E_USAGE',
              `the archive was made for customer ${m.customer}, not ${req.query.customer}`,
            );
          }
          if (customer) {
            const c = await db.selectFrom('customers').select('id').where('id', '=', customer).executeTakeFirst();
            if (!c)
              throw new HfxError('HFX_E_NOT_FOUND', `no customer ${customer}`, {
                hint: 'Create it first (admin): POST /v1/customers.',
              });
          }
          // Whether this archive is stored already: the same content is 200 "existed", other content
          // under its id is refused. (It returns the answer's body, never the reply: a reply is
          // thenable, and awaited it settles to nothing.)
          const same = async (): Promise<{ id: string; existed: true } | null> => {
            const existing = await db
              .selectFrom('archives')
              .select(['id', 'digest'])
              .where('id', '=', m.id)
              .executeTakeFirst();
            if (!existing) return null;
            if (existing.digest === a.digest) return { id: m.id, existed: true };
            throw new HfxError('HFX_E_ALREADY_APPLIED', `an archive with id ${m.id} and other content exists`, {
              hint: 'Give the new archive a new id.',
            });
          };
          // An id taken by other content is refused before anything is stored (same() throws).
          const known = await same();
          // Stored where downloads read it before the row that points at it exists (a registry
          // that is down fails the upload here: 503, nothing recorded). An archive sent again is
          // stored again too, which puts back a blob or tag that went missing from a registry.
          await ctx.blobs.keep(got, m);
          if (known) return reply.status(200).send(known);
          await ensureRelease(ctx, m.product, m.release, me.username, true);
          // Two identical pushes at once: the insert that loses the race sees the winner's row.
          const inserted = await db.transaction().execute(async (tx) => {
            const r = await tx
              .insertInto('archives')
              .values({
                id: m.id,
                kind: m.kind,
                product: m.product,
                release: m.release,
                level: m.level,
                to_level: m.toLevel,
                security: m.security,
                customer_id: customer ?? null,
                title: m.title,
                severity: m.severity,
                sha256: got.sha256,
                size: got.size,
                digest: a.digest,
                signer,
                manifest: JSON.stringify(a.rawManifest),
                includes: JSON.stringify(m.includes),
                uploaded_by: me.username,
              })
              .onConflict((c) => c.column('id').doNothing())
              .executeTakeFirst();
            if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
            await audit(tx, actorName(me), 'upload', 'archive', m.id, {
              sha256: got.sha256,
              customer: customer ?? null,
            });
            return true;
          });
          if (!inserted) {
            const winner = await same();
            if (!winner) throw new HfxError('HFX_E_INTERNAL', `archive ${m.id} was neither inserted nor found`);
            return reply.status(200).send(winner);
          }
          // The version moves only after the commit: a sequence value is seen by other sessions at
          // once, so taken inside the transaction an update check could read the new version, not
          // yet see the archive, and cache an answer without it under that version.
          try {
            ctx.version.bumped(await bumpVersion(db));
          } catch (err) {
            // The archive is stored: say so. Update checks list it once their cached answers expire.
            req.log.warn({ err }, 'archive stored, but the metadata version could not be moved');
          }
          return reply
            .status(201)
            .send({ id: m.id, kind: m.kind, sha256: got.sha256, size: got.size, customer: customer ?? null });
        }
      },
    );

    app.get<{ Querystring: { product?: string; release?: string; kind?: (typeof ARCHIVE_KINDS)[number] } }>(
      '/v1/archives',
      {
        config: { allow: 'login' },
        schema: {
          summary: 'List archives the caller may see',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              product: { type: 'string', maxLength: 128 },
              release: { type: 'string', maxLength: 128 },
              kind: { type: 'string', enum: [...ARCHIVE_KINDS] },
            },
          },
        },
      },
      async (req) => {
        const p = requireAny(req);
        let q = db
          .selectFrom('archives')
          .select([...COLS])
          .orderBy('product')
          .orderBy('release')
          .orderBy('level')
          .orderBy('id');
        if (req.query.product) q = q.where('product', '=', req.query.product);
        if (req.query.release) q = q.where('release', '=', req.query.release);
        if (req.query.kind) q = q.where('kind', '=', req.query.kind);
        if (p.kind === 'customer')
          q = q.where((e) => e.or([e('customer_id', 'is', null), e('customer_id', '=', p.customerId)]));
        return { archives: await q.execute() };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/v1/archives/:id',
      {
        config: { allow: 'login' },
        schema: {
          summary: 'One archive with its manifest',
          params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } }, required: ['id'] },
        },
      },
      async (req) => {
        const row = await findVisible(req, req.params.id);
        return { ...row };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/v1/archives/:id/download',
      {
        config: { allow: 'login' },
        schema: {
          summary: 'The archive bytes; ETag and Range (resume) supported',
          params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } }, required: ['id'] },
        },
      },
      async (req, reply) => {
        const row = await findVisible(req, req.params.id);
        return sendBlob(ctx, req, reply, row.sha256, `${row.id}.zip`);
      },
    );
  });
}

/**
 * Serves a blob with a strong ETag (its sha256) and single-range requests, as resumable downloads
 * need. A matching If-None-Match is answered without asking the blob store; the headers of the
 * download are set only once the store has answered, so a store that fails (503) sends a plain error.
 */
export async function sendBlob(ctx: Ctx, req: FastifyRequest, reply: FastifyReply, sha256: string, name: string) {
  const etag = `"${sha256}"`;
  if (req.headers['if-none-match'] === etag)
    return reply.status(304).header('ETag', etag).header('Cache-Control', 'private, max-age=0').send();
  const size = await ctx.blobs.size(sha256);
  const headers = () =>
    reply
      .header('ETag', etag)
      .header('Accept-Ranges', 'bytes')
      .header('Content-Type', 'application/zip')
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .header('Cache-Control', 'private, max-age=0');
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (range && (!ifRange || ifRange === etag)) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range);
    let start = m?.[1] ? Number(m[1]) : NaN;
    let end = m?.[2] ? Number(m[2]) : size - 1;
    if (m && !m[1] && m[2]) {
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    }
    if (!m || Number.isNaN(start) || start > end || start >= size) {
      return headers()
        .status(416)
        .header('Content-Range', `bytes */${size}`)
        .header('Content-Type', 'application/json')
        .send(JSON.stringify({ error: { code: 'HFX_E_USAGE', message: `bad range ${range}` } }));
    }
    end = Math.min(end, size - 1);
    const status = () =>
      headers()
        .status(206)
        .header('Content-Range', `bytes ${start}-${end}/${size}`)
        .header('Content-Length', end - start + 1);
    return sendRange(ctx, reply, sha256, { start, end }, status);
  }
  // The whole blob: the store is asked for all of it, not for a range that happens to cover it.
  return sendRange(
    ctx,
    reply,
    sha256,
    { start: 0, end: size - 1 },
    () => headers().header('Content-Length', size),
    true,
  );
}

/**
 * A store that can write a range straight to the socket (the directory: BlobStore.sendTo) does,
 * the reply taken over once its status and headers are set; Fastify's response hooks (the request
 * log) still run when the response finishes, and no onSend hook applies to archives. Any other
 * store (a registry) is asked for a stream first, and the download's headers are set only once it
 * answered, so a store that fails sends a plain error (503).
 */
async function sendRange(
  ctx: Ctx,
  reply: FastifyReply,
  sha256: string,
  range: { start: number; end: number },
  setHeaders: () => FastifyReply,
  whole = false,
): Promise<FastifyReply> {
  const direct = ctx.blobs.sendTo?.bind(ctx.blobs);
  if (!direct) {
    const body = await ctx.blobs.read(sha256, whole ? undefined : range);
    return setHeaders().send(body);
  }
  setHeaders();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  if (reply.request.method === 'HEAD' || range.end < range.start) res.end();
  else direct(res, sha256, range.start, range.end);
  return reply;
}
