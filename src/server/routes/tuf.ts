import type { FastifyReply, FastifyRequest } from 'fastify';
import { HfxError } from '../../errors.js';
import { acceptsGzip } from '../accept-encoding.js';
import type { Ctx } from '../app.js';
import { requireAny } from '../auth.js';
import { EVERYONE } from '../../tuf/metadata.js';
import type { Served } from '../tuf/repos.js';
import { NAME_PATTERN } from './schemas.js';
import { sendBlob } from './archives.js';
import { routePlugin } from './plugin.js';

const REPO = { type: 'string', pattern: `^(${NAME_PATTERN.slice(1, -1)}|${EVERYONE})$` } as const;
const META_FILE = /^(?:timestamp|([1-9]\d{0,15})\.(root|targets|snapshot|online))\.json$/;
const TARGET_FILE = /^([0-9a-f]{64})\.(.+)\.zip$/;

/**
 * The TUF repositories (docs/distribution.md): /v1/tuf/{repo}/metadata/… and …/targets/…, one
 * repository per customer (`_everyone` for installations of no customer). The token decides which
 * repository may be read: a customer's own only, answered for any other exactly as for one that
 * does not exist; vendor users may read any.
 */
export function tufRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  const repos = ctx.tuf;
  const requireRepo = async (req: FastifyRequest, repo: string) => {
    const p = requireAny(req);
    // Vendor users read any repository; a customer token its own.
    const mine = p.kind === 'user' || p.customerId === repo;
    if (!mine || !(await repos.exists(repo)))
      throw new HfxError('HFX_E_NOT_FOUND', `no repository ${repo}`, {
        hint: "An installation reads its own customer's repository: the one `hfx login` linked it to.",
      });
    return p;
  };
  const send = (req: FastifyRequest, reply: FastifyReply, s: Served, cache: string) => {
    reply.header('content-type', 'application/json').header('cache-control', cache).header('vary', 'accept-encoding');
    if (s.gz && acceptsGzip(req.headers['accept-encoding'] ?? '')) {
      return reply.header('content-encoding', 'gzip').send(s.gz);
    }
    return reply.send(s.body);
  };
  const notFound = (repo: string, file: string) => new HfxError('HFX_E_NOT_FOUND', `no ${file} in repository ${repo}`);

  return routePlugin((app) => {
    app.get<{ Params: { repo: string; file: string }; Querystring: { since?: number } }>(
      '/v1/tuf/:repo/metadata/:file',
      {
        config: { allow: 'login' },
        // Answers are compressed once per file, not per request.
        compress: false,
        schema: {
          summary:
            "TUF metadata: timestamp.json, N.root.json, N.targets.json, N.snapshot.json, N.online.json (a customer's installations: their own repository)",
          params: {
            type: 'object',
            required: ['repo', 'file'],
            properties: { repo: REPO, file: { type: 'string', maxLength: 64 } },
          },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { since: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
          },
        },
      },
      async (req, reply) => {
        const { repo, file } = req.params;
        await requireRepo(req, repo);
        const m = META_FILE.exec(file);
        if (!m) throw notFound(repo, file);
        if (!m[1]) return send(req, reply, await repos.timestamp(repo, req.query.since), 'no-cache');
        const v = Number(m[1]);
        const role = m[2] as 'root' | 'targets' | 'snapshot' | 'online';
        if (role === 'root' || role === 'targets') {
          const body = (role === 'root' ? repos.keys.roots : repos.keys.targets).get(v);
          if (!body) throw notFound(repo, file);
          return send(req, reply, { body }, 'private, max-age=3600');
        }
        const s = await repos.versioned(repo, role, v);
        if (!s) throw notFound(repo, file);
        return send(req, reply, s, 'private, max-age=3600');
      },
    );

    app.get<{ Params: { repo: string; file: string } }>(
      '/v1/tuf/:repo/targets/:file',
      {
        config: { allow: 'login' },
        schema: {
          summary: 'A target (an archive) by its consistent-snapshot name {sha256}.{id}.zip; Range and ETag supported',
          params: {
            type: 'object',
            required: ['repo', 'file'],
            properties: { repo: REPO, file: { type: 'string', maxLength: 300 } },
          },
        },
      },
      async (req, reply) => {
        const { repo, file } = req.params;
        await requireRepo(req, repo);
        const m = TARGET_FILE.exec(file);
        if (!m) throw notFound(repo, file);
        const [, sha256 = '', id = ''] = m;
        const a = await db
          .selectFrom('archives')
          .select(['id', 'sha256', 'customer_id', 'seq'])
          .where('id', '=', id)
          .where('sha256', '=', sha256)
          .executeTakeFirst();
        const offered =
          a && a.seq !== null && (a.customer_id === null || (repo !== EVERYONE && a.customer_id === repo));
        if (!offered) throw notFound(repo, file);
        return sendBlob(ctx, req, reply, a.sha256, `${a.id}.zip`);
      },
    );
  });
}
