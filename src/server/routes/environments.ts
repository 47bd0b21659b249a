import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { HfxError, isHfxError } from '../../errors.js';
import type { Ctx } from '../app.js';
import { requireVisibleArchives } from './archives.js';
import { actorName, rank, requireAny, requireRole } from '../auth.js';
import { contentSignature, nextTag, type Content } from '../environments/model.js';
import { fixPresence, membersOf, pipelineOf } from '../environments/presence.js';
import { gateViolations, gatesOf, parseWindow } from '../environments/gates.js';
import { compareEnvs, contentOf, currentVersion, deployedHotfixes, envView, lastTag, manifestEntries, presenceCache, requireEnv, requireProduct } from '../environments/views.js';
import type { Database } from '../../store/schema.js';
import { audit } from './audit.js';
import { LEVEL, NAME } from './schemas.js';

/** Serialises deployments to one environment (across server processes): the re-check inside sees every earlier one. */
async function lockEnv(tx: Kysely<Database>, product: string, env: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`hfx-env:${product}/${env}`}))`.execute(tx);
}

const SHA = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const DIGESTS = { type: 'array', maxItems: 10000, items: { type: 'object', additionalProperties: false, required: ['id', 'digest'], properties: { id: NAME, digest: SHA } } } as const;
const REASON = { type: 'string', minLength: 1, maxLength: 2000 } as const;
const PE = { type: 'object', required: ['product', 'env'], properties: { product: NAME, env: NAME } } as const;
const PH = { type: 'object', required: ['product', 'id'], properties: { product: NAME, id: NAME } } as const;

interface Deploy { hotfix?: string; level?: number; tag?: string; approval?: { reason: string }; dryRun?: boolean }
interface Propagate { to: string; merged?: { commit: string; files: Record<string, string | null> }; dryRun?: boolean }

export function environmentRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return async (app: FastifyInstance) => {
    app.get<{ Params: { product: string } }>('/v1/environments/:product', { config: { allow: 'viewer' },
      schema: { summary: 'The product\'s pipeline: what runs in each environment, its version (with + for untagged changes) and red hotfixes (viewer)', params: { type: 'object', required: ['product'], properties: { product: NAME } } },
    }, async (req) => {
      requireRole(req, 'viewer');
      await requireProduct(db, req.params.product);
      const pipeline = await pipelineOf(db, req.params.product);
      const presence = presenceCache(db, req.params.product);
      const environments = [];
      for (let i = 0; i < pipeline.length; i++) environments.push(await envView(db, req.params.product, pipeline, i, presence));
      // The tags the next deployment would get (the dashboard shows them on the board).
      const release = environments.find((e) => e.release)?.release ?? null;
      const base = release ? await currentVersion(db, req.params.product, release) : null;
      let next: { hotfix: string; update: string } | null = null;
      try {
        if (base) next = { hotfix: nextTag(base, 'hotfix'), update: nextTag(base, 'update') };
      } catch (e) {
        // A release that is not MAJOR.MINOR.PATCH has no suggestion; deploy asks for --tag then.
        if (!isHfxError(e, 'HFX_E_USAGE')) throw e;
      }
      return { product: req.params.product, environments, next };
    });

    app.put<{ Params: { product: string }; Body: { environments: string[] } }>('/v1/environments/:product/pipeline', { config: { allow: 'release-manager' },
      schema: {
        summary: 'Sets the product\'s ordered environments (release manager)', params: { type: 'object', required: ['product'], properties: { product: NAME } },
        body: { type: 'object', additionalProperties: false, required: ['environments'], properties: { environments: { type: 'array', minItems: 1, maxItems: 20, items: NAME } } },
      },
    }, async (req) => {
      const p = requireRole(req, 'release-manager');
      const { product } = req.params;
      const envs = req.body.environments;
      await requireProduct(db, product);
      if (new Set(envs.map((e) => e.toLowerCase())).size !== envs.length) throw new HfxError('HFX_E_USAGE', 'an environment is named twice');
      const reserved = envs.filter((e) => ['compare', 'hotfixes', 'pipeline'].includes(e.toLowerCase()));
      if (reserved.length) throw new HfxError('HFX_E_USAGE', `"${reserved[0]}" is a reserved name (a route of the API)`);
      const before = await pipelineOf(db, product);
      await db.transaction().execute(async (tx) => {
        const used = await tx.selectFrom('env_members').select(['environment']).where('product', '=', product).execute();
        const dropped = [...new Set(used.map((u) => u.environment))].filter((e) => !envs.includes(e));
        if (dropped.length) throw new HfxError('HFX_E_USAGE', `environments ${dropped.join(', ')} still have installations`, { hint: 'Assign them to another environment first.' });
        await tx.deleteFrom('env_pipelines').where('product', '=', product).execute();
        await tx.insertInto('env_pipelines').values(envs.map((name, position) => ({ product, name, position }))).execute();
        await audit(tx, actorName(p), 'environments.pipeline', 'product', product, { before, after: envs });
      });
      return { product, environments: envs };
    });

    app.get<{ Params: { product: string }; Querystring: { a: string; b: string } }>('/v1/environments/:product/compare', { config: { allow: 'viewer' },
      schema: {
        summary: 'Two environments compared hotfix by hotfix and file by file (viewer)', params: { type: 'object', required: ['product'], properties: { product: NAME } },
        querystring: { type: 'object', additionalProperties: false, required: ['a', 'b'], properties: { a: NAME, b: NAME } },
      },
    }, async (req) => {
      requireRole(req, 'viewer');
      await requireEnv(db, req.params.product, req.query.a);
      await requireEnv(db, req.params.product, req.query.b);
      return compareEnvs(db, req.params.product, req.query.a, req.query.b);
    });

    app.get<{ Params: { product: string; env: string } }>('/v1/environments/:product/:env', { config: { allow: 'viewer' },
      schema: { summary: 'One environment: what runs, its installations, deployments and tags (viewer)', params: PE },
    }, async (req) => {
      requireRole(req, 'viewer');
      const { product, env } = req.params;
      const { pipeline, index } = await requireEnv(db, product, env);
      const view = await envView(db, product, pipeline, index, presenceCache(db, product));
      const { reports } = await membersOf(db, product, env);
      const members = await db.selectFrom('env_members').innerJoin('installations', 'installations.id', 'env_members.installation_id')
        .select(['installations.id', 'installations.name', 'installations.customer_id']).where('env_members.product', '=', product).where('env_members.environment', '=', env).orderBy('installations.id').execute();
      const deployments = await db.selectFrom('env_deployments').select(['id', 'kind', 'archive_id', 'level', 'tag', 'commit', 'approval', 'actor', 'at'])
        .where('product', '=', product).where('environment', '=', env).orderBy('id').execute();
      const tags = await db.selectFrom('env_tags').select(['tag', 'pack_hash', 'actor', 'at']).where('product', '=', product).where('environment', '=', env).orderBy('id').execute();
      return { ...view, installationList: members.map((m) => ({ ...m, report: reports.find((r) => r.installation === m.id) ?? null })), deployments, tags, gates: await gatesOf(db, product, env) };
    });

    app.post<{ Params: { product: string; env: string }; Body: { installation: string } }>('/v1/environments/:product/:env/installations', { config: { allow: 'developer' },
      schema: {
        summary: 'Assigns an installation to an environment (developer)', params: PE,
        body: { type: 'object', additionalProperties: false, required: ['installation'], properties: { installation: { type: 'string', minLength: 1, maxLength: 200 } } },
      },
    }, async (req, reply) => {
      const p = requireRole(req, 'developer');
      const { product, env } = req.params;
      await requireEnv(db, product, env);
      const inst = await db.selectFrom('installations').select(['id', 'product']).where('id', '=', req.body.installation).executeTakeFirst();
      if (!inst) throw new HfxError('HFX_E_NOT_FOUND', `no installation ${req.body.installation}`, { hint: 'Register it first: `hfx state --report --home DIR`.' });
      if (inst.product !== product) throw new HfxError('HFX_E_INCOMPATIBLE', `installation ${inst.id} runs ${inst.product}, not ${product}`);
      const before = await db.transaction().execute(async (tx) => {
        const cur = await tx.selectFrom('env_members').select(['environment', 'product']).where('installation_id', '=', inst.id).forUpdate().executeTakeFirst();
        await tx.deleteFrom('env_members').where('installation_id', '=', inst.id).execute();
        await tx.insertInto('env_members').values({ installation_id: inst.id, product, environment: env }).execute();
        await audit(tx, actorName(p), 'environments.assign', 'installation', inst.id, { product, environment: env, before: cur ?? null });
        return cur ?? null;
      });
      return reply.status(before ? 200 : 201).send({ installation: inst.id, product, environment: env, before: before?.environment ?? null });
    });

    app.post<{ Body: { installation: string; release: string; level: number; hotfixes: { id: string; digest: string }[]; updates: { id: string; digest: string }[]; packHash: string } }>('/v1/environments/report', { config: { allow: 'report' },
      schema: {
        summary: 'An installation reports its content: hotfixes and updates by digest, and its pack content hash (installation token, or a developer for in-house installations)',
        body: {
          type: 'object', additionalProperties: false, required: ['installation', 'release', 'level', 'hotfixes', 'updates', 'packHash'],
          properties: { installation: { type: 'string', minLength: 1, maxLength: 200 }, release: NAME, level: LEVEL, hotfixes: DIGESTS, updates: DIGESTS, packHash: SHA },
        },
      },
    }, async (req) => {
      const p = requireAny(req);
      if (p.kind === 'user') requireRole(req, 'developer');
      const customer = p.kind === 'customer' ? p.customerId : null;
      const b = req.body;
      const inst = await db.selectFrom('installations').select(['id', 'customer_id']).where('id', '=', b.installation).executeTakeFirst();
      // Same rule as the fleet report: an installation is reported only by whoever registered it.
      if (!inst || inst.customer_id !== customer) throw new HfxError('HFX_E_NOT_FOUND', `no installation ${b.installation}`, { hint: 'Register it first: `hfx state --report`.' });
      await requireVisibleArchives(db, p, [...b.hotfixes, ...b.updates].map((x) => x.id));
      const values = { release: b.release, level: b.level, hotfixes: JSON.stringify(b.hotfixes), updates: JSON.stringify(b.updates), pack_hash: b.packHash, reported_at: new Date() };
      const member = await db.transaction().execute(async (tx) => {
        const cur = await tx.selectFrom('env_reports').select(['installation_id']).where('installation_id', '=', inst.id).forUpdate().executeTakeFirst();
        if (cur) await tx.updateTable('env_reports').set(values).where('installation_id', '=', inst.id).execute();
        else await tx.insertInto('env_reports').values({ installation_id: inst.id, ...values }).execute();
        const m = await tx.selectFrom('env_members').select(['product', 'environment']).where('installation_id', '=', inst.id).executeTakeFirst();
        if (m) {
          // The first report of a tagged content pins the tag's pack hash: a later change to the files shows '+'.
          const t = await tx.selectFrom('env_tags').select(['id', 'content', 'pack_hash']).where('product', '=', m.product).where('environment', '=', m.environment).orderBy('id', 'desc').limit(1).executeTakeFirst();
          if (t && t.pack_hash === null && t.content === contentSignature({ release: b.release, level: b.level, hotfixes: b.hotfixes })) {
            await tx.updateTable('env_tags').set({ pack_hash: b.packHash }).where('id', '=', t.id).execute();
          }
        }
        return m ?? null;
      });
      return { installation: inst.id, environment: member?.environment ?? null };
    });

    app.post<{ Params: { product: string; env: string }; Body: Deploy }>('/v1/environments/:product/:env/deploy', { config: { allow: 'developer' },
      schema: {
        summary: 'Records a deployment of a hotfix or an update level to an environment, tagged (developer; skipping to Production: release manager with a reason)', params: PE,
        body: {
          type: 'object', additionalProperties: false,
          properties: { hotfix: NAME, level: LEVEL, tag: NAME, approval: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: REASON } }, dryRun: { type: 'boolean' } },
        },
      },
    }, async (req, reply) => {
      const p = requireRole(req, 'developer');
      const { product, env } = req.params;
      const b = req.body;
      if ((b.hotfix === undefined) === (b.level === undefined)) throw new HfxError('HFX_E_USAGE', 'give exactly one of hotfix and level');
      const { pipeline, index } = await requireEnv(db, product, env);
      const { reports } = await membersOf(db, product, env);
      const cur = contentOf(reports).content;
      let expected: Content;
      let release: string;
      let skip = false;
      if (b.hotfix !== undefined) {
        const a = await db.selectFrom('archives').select(['id', 'kind', 'release', 'level', 'digest']).where('id', '=', b.hotfix).where('product', '=', product).executeTakeFirst();
        if (!a || a.kind !== 'hotfix') throw new HfxError('HFX_E_NOT_FOUND', `no hotfix ${b.hotfix} of product ${product}`, { hint: 'Push it first: `hfx push FILE.zip`.' });
        if (cur && (cur.release !== a.release || cur.level !== a.level)) throw new HfxError('HFX_E_INCOMPATIBLE', `${a.id} is for ${a.release} level ${a.level}; ${env} runs ${cur.release} level ${cur.level}`);
        const pres = await fixPresence(db, { product, hotfixId: a.id });
        if (pres.environments[index]?.present || (await deployedHotfixes(db, product, env)).includes(a.id)) {
          throw new HfxError('HFX_E_ALREADY_APPLIED', `${a.id} is already deployed to ${env}`);
        }
        const prev = index > 0 ? pipeline[index - 1]! : null;
        // The hotfix path: straight to the last environment without the one before it having the hotfix.
        skip = index === pipeline.length - 1 && prev !== null && !pres.environments[index - 1]?.present && !(await deployedHotfixes(db, product, prev)).includes(a.id);
        release = a.release;
        expected = { release: a.release, level: a.level, hotfixes: [...(cur?.hotfixes ?? []).filter((h) => h.id !== a.id), { id: a.id, digest: a.digest }] };
      } else {
        const level = b.level!;
        let q = db.selectFrom('archives').select(['id', 'release', 'includes']).where('product', '=', product).where('kind', '=', 'update').where('to_level', '=', level);
        if (cur) q = q.where('release', '=', cur.release);
        const u = await q.executeTakeFirst();
        if (!u) throw new HfxError('HFX_E_NOT_FOUND', `no update archive of ${product}${cur ? ` ${cur.release}` : ''} to level ${level}`);
        if (cur && cur.level >= level) throw new HfxError('HFX_E_INCOMPATIBLE', `${env} already runs level ${cur.level}`);
        const included = await db.selectFrom('archives').select(['includes']).where('product', '=', product).where('release', '=', u.release).where('kind', '=', 'update').where('to_level', '<=', level).execute();
        const gone = new Set(included.flatMap((x) => x.includes));
        release = u.release;
        expected = { release: u.release, level, hotfixes: (cur?.hotfixes ?? []).filter((h) => !gone.has(h.id)) };
      }
      const t = await lastTag(db, product, env);
      // The same content already tagged in another environment keeps its tag (Pre-Production's 1.7.1 goes to Production as 1.7.1).
      const sameContent = await db.selectFrom('env_tags').select(['tag']).where('product', '=', product).where('content', '=', contentSignature(expected)).orderBy('id', 'desc').limit(1).executeTakeFirst();
      const suggested = sameContent?.tag ?? nextTag(await currentVersion(db, product, t?.tag ?? release), b.hotfix !== undefined ? 'hotfix' : 'update');
      const tag = b.tag ?? suggested;
      // The gates (a soak in the environment before, freeze windows) hold unless approved; the skip
      // straight to the last environment is one such gate.
      const gates = await gateViolations(db, { product, pipeline, index, hotfix: b.hotfix ?? null });
      if (skip) gates.unshift(`${b.hotfix} is not in ${pipeline[index - 1]}: it goes straight to ${env}`);
      if (b.dryRun) return { product, environment: env, suggestedTag: suggested, tag, approvalRequired: gates.length > 0, gates, dryRun: true };
      if (gates.length) {
        if (!b.approval) throw new HfxError('HFX_E_APPROVAL_REQUIRED', `deploying to ${env} needs an approval with a reason: ${gates.join('; ')}`, { hint: 'A release manager deploys with an approval reason (`hfx deploy … --approve "REASON"`).', details: { gates } });
        if (rank(p.role) < rank('release-manager')) throw new HfxError('HFX_E_FORBIDDEN', `approving a deployment to ${env} past its gates needs the release-manager role; you are ${p.role}`);
      }
      const id = await db.transaction().execute(async (tx) => {
        await lockEnv(tx, product, env);
        if (b.hotfix !== undefined && (await deployedHotfixes(tx, product, env)).includes(b.hotfix)) throw new HfxError('HFX_E_ALREADY_APPLIED', `${b.hotfix} is already deployed to ${env}`);
        const row = await tx.insertInto('env_deployments').values({
          product, environment: env, kind: b.hotfix !== undefined ? 'hotfix' : 'update', archive_id: b.hotfix ?? null, level: b.level ?? null, tag, commit: null, files: null,
          approval: gates.length ? b.approval!.reason : null, actor: actorName(p),
        }).returning('id').executeTakeFirstOrThrow();
        await tx.insertInto('env_tags').values({ product, environment: env, tag, content: contentSignature(expected), pack_hash: null, actor: actorName(p) }).execute();
        await audit(tx, actorName(p), 'environments.deploy', 'environment', `${product}/${env}`, { deployment: row.id, hotfix: b.hotfix ?? null, level: b.level ?? null, tag, suggested });
        if (skip) await audit(tx, actorName(p), 'environments.skip-approved', 'environment', `${product}/${env}`, { deployment: row.id, hotfix: b.hotfix, skipped: pipeline.slice(0, index), reason: b.approval!.reason });
        if (gates.length) await audit(tx, actorName(p), 'environments.gate-approved', 'environment', `${product}/${env}`, { deployment: row.id, gates, reason: b.approval!.reason });
        return row.id;
      });
      return reply.status(201).send({ id, product, environment: env, tag, suggestedTag: suggested, approved: gates.length ? b.approval!.reason : null });
    });

    app.put<{ Params: { product: string; env: string }; Body: { soakSeconds: number | null; freeze: string[] } }>('/v1/environments/:product/:env/gates', {
      config: { allow: 'release-manager' },
      schema: {
        summary: "Sets an environment's gates: a soak time in the environment before it, and freeze windows (release manager)", params: PE,
        body: {
          type: 'object', additionalProperties: false, required: ['soakSeconds', 'freeze'],
          properties: { soakSeconds: { anyOf: [{ type: 'integer', minimum: 0, maximum: 365 * 86400 }, { type: 'null' }] }, freeze: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } } },
        },
      },
    }, async (req) => {
      const p = requireRole(req, 'release-manager');
      const { product, env } = req.params;
      await requireEnv(db, product, env);
      for (const w of req.body.freeze) parseWindow(w);
      const before = await gatesOf(db, product, env);
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('env_gates').values({ product, environment: env, soak_seconds: req.body.soakSeconds, freeze: JSON.stringify(req.body.freeze) })
          .onConflict((c) => c.columns(['product', 'environment']).doUpdateSet({ soak_seconds: req.body.soakSeconds, freeze: JSON.stringify(req.body.freeze) })).execute();
        await audit(tx, actorName(p), 'environments.gates', 'environment', `${product}/${env}`, { before, after: req.body });
      });
      return { product, environment: env, ...(await gatesOf(db, product, env)) };
    });

    app.get<{ Params: { product: string; id: string } }>('/v1/environments/:product/hotfixes/:id/presence', { config: { allow: 'viewer' },
      schema: { summary: 'Where the fix is verifiably present (by content), environment by environment (viewer)', params: PH },
    }, async (req) => {
      requireRole(req, 'viewer');
      await requireProduct(db, req.params.product);
      return { product: req.params.product, hotfix: req.params.id, ...(await fixPresence(db, { product: req.params.product, hotfixId: req.params.id })) };
    });

    app.get<{ Params: { product: string; id: string } }>('/v1/environments/:product/hotfixes/:id/files', { config: { allow: 'viewer' },
      schema: { summary: 'The paths a hotfix touches and their content after it (for checking a merge) (viewer)', params: PH },
    }, async (req) => {
      requireRole(req, 'viewer');
      const a = await db.selectFrom('archives').select(['kind', 'manifest']).where('id', '=', req.params.id).where('product', '=', req.params.product).executeTakeFirst();
      if (!a || a.kind !== 'hotfix') throw new HfxError('HFX_E_NOT_FOUND', `no hotfix ${req.params.id} of product ${req.params.product}`);
      return { hotfix: req.params.id, files: manifestEntries(a.manifest) };
    });

    app.post<{ Params: { product: string; id: string }; Body: Propagate }>('/v1/environments/:product/hotfixes/:id/propagate', { config: { allow: 'developer' },
      schema: {
        summary: 'Propagates a hotfix back to an earlier environment: a deployment its installations apply, or a merge by commit checked file by file (developer)', params: PH,
        body: {
          type: 'object', additionalProperties: false, required: ['to'],
          properties: {
            to: NAME,
            dryRun: { type: 'boolean' },
            merged: {
              type: 'object', additionalProperties: false, required: ['commit', 'files'],
              properties: { commit: { type: 'string', pattern: '^[0-9a-f]{7,64}$' }, files: { type: 'object', maxProperties: 100000, additionalProperties: { anyOf: [{ type: 'string', maxLength: 5000 }, { type: 'null' }] } } },
            },
          },
        },
      },
    }, async (req, reply) => {
      const p = requireRole(req, 'developer');
      const { product, id } = req.params;
      const b = req.body;
      const { pipeline, index } = await requireEnv(db, product, b.to);
      const a = await db.selectFrom('archives').select(['id', 'kind', 'manifest']).where('id', '=', id).where('product', '=', product).executeTakeFirst();
      if (!a || a.kind !== 'hotfix') throw new HfxError('HFX_E_NOT_FOUND', `no hotfix ${id} of product ${product}`);
      const pres = await fixPresence(db, { product, hotfixId: id });
      if (pres.environments[index]?.present) throw new HfxError('HFX_E_ALREADY_APPLIED', `${id} is already present in ${b.to} (${pres.environments[index]!.how})`);
      let later = false;
      for (let i = index + 1; i < pipeline.length; i++) if (pres.environments[i]?.present || (await deployedHotfixes(db, product, pipeline[i]!)).includes(id)) later = true;
      if (!later) throw new HfxError('HFX_E_USAGE', `${id} is in no environment after ${b.to}: propagation goes backwards`, { hint: `Deploy it instead: \`hfx deploy ${product} ${b.to} --hotfix ${id}\`.` });
      if (!b.merged && (await deployedHotfixes(db, product, b.to)).includes(id)) throw new HfxError('HFX_E_ALREADY_APPLIED', `${id} is already deployed to ${b.to}; its installations apply it with \`hfx apply ${id} --server\``);
      if (b.merged) {
        const bad: { path: string; want: string | null; got: string | null | undefined }[] = [];
        for (const e of manifestEntries(a.manifest)) {
          const got = Object.hasOwn(b.merged.files, e.path) ? b.merged.files[e.path] : undefined;
          if (got !== e.after) bad.push({ path: e.path, want: e.after, got });
        }
        if (bad.length) throw new HfxError('HFX_E_CONTENT_MISMATCH', `${bad.length} file(s) of ${b.to} do not hold ${id}'s content: ${bad.slice(0, 5).map((x) => x.path).join(', ')}`, { hint: 'Merge the whole change, rebuild, and give the hashes of the built files.', details: bad.slice(0, 100) });
      }
      if (b.dryRun) return { product, hotfix: id, to: b.to, how: b.merged ? 'merged' : 'hotfix', dryRun: true, presence: pres };
      const dep = await db.transaction().execute(async (tx) => {
        await lockEnv(tx, product, b.to);
        const again = await tx.selectFrom('env_deployments').select(['id']).where('product', '=', product).where('environment', '=', b.to).where('archive_id', '=', id)
          .where('kind', '=', b.merged ? 'merge' : 'hotfix').executeTakeFirst();
        if (again) throw new HfxError('HFX_E_ALREADY_APPLIED', `${id} was just ${b.merged ? 'merged into' : 'deployed to'} ${b.to}`);
        const row = await tx.insertInto('env_deployments').values({
          product, environment: b.to, kind: b.merged ? 'merge' : 'hotfix', archive_id: id, level: null, tag: null,
          commit: b.merged?.commit ?? null, files: b.merged ? JSON.stringify(b.merged.files) : null, approval: null, actor: actorName(p),
        }).returning('id').executeTakeFirstOrThrow();
        await audit(tx, actorName(p), 'environments.propagate', 'hotfix', id, { product, to: b.to, deployment: row.id, how: b.merged ? 'merged' : 'hotfix', commit: b.merged?.commit ?? null });
        return row.id;
      });
      return reply.status(201).send({ id: dep, product, hotfix: id, to: b.to, how: b.merged ? 'merged' : 'hotfix', presence: await fixPresence(db, { product, hotfixId: id }) });
    });
  };
}
