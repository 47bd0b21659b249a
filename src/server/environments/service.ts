import { sql, type Kysely } from 'kysely';
import { HfxError, isHfxError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import { audit } from '../audit.js';
import { rank, type Actor, type Principal } from '../auth.js';
import { requireVisibleArchives } from '../visibility.js';
import { gateViolations, gatesOf, parseWindow, type Gates } from './gates.js';
import { contentSignature, nextTag, type Content } from './model.js';
import { fixPresence, membersOf, pipelineOf } from './presence.js';
import {
  compareEnvs,
  contentOf,
  currentVersion,
  deployedHotfixes,
  envView,
  lastTag,
  loadBoard,
  manifestEntries,
  presenceCache,
  requireEnv,
  requireProduct,
  type Comparison,
} from './queries.js';
import type { EnvView, Pipeline } from '../../wire/environments.js';
import type { Presence } from '../../wire/environments.js';
import type { EnvironmentReport } from '../../wire/fleet.js';

/**
 * The environments' rules (docs/environments.md): the pipeline, assignments and reports,
 * deployments with their tag suggestion, gates and the skip to the last environment,
 * propagation back with its merge check. Routes check the caller's role and call here.
 */

type Db = Kysely<Database>;

/** Serialises deployments to one environment (across server processes): the re-check inside sees every earlier one. */
async function lockEnv(tx: Db, product: string, env: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext(${`hfx-env:${product}/${env}`}))`.execute(tx);
}

/** Names the API uses as routes under /v1/environments/:product. */
const RESERVED = ['compare', 'hotfixes', 'pipeline'];

export async function board(db: Db, product: string): Promise<Pipeline> {
  await requireProduct(db, product);
  const pipeline = await pipelineOf(db, product);
  const { presence, data } = await loadBoard(db, product, pipeline);
  const environments: EnvView[] = [];
  for (let i = 0; i < pipeline.length; i++) environments.push(await envView(db, product, pipeline, i, presence, data));
  const release = environments.find((e) => e.release)?.release ?? null;
  const base = release ? await currentVersion(db, product, release, data.tags) : null;
  let next: Pipeline['next'] = null;
  try {
    if (base) next = { hotfix: nextTag(base, 'hotfix'), update: nextTag(base, 'update') };
  } catch (e) {
    // A release that is not MAJOR.MINOR.PATCH has no suggestion; deploy asks for --tag then.
    if (!isHfxError(e, 'HFX_E_USAGE')) throw e;
  }
  return { product, environments, next };
}

export async function setPipeline(
  db: Db,
  actor: string,
  product: string,
  envs: string[],
): Promise<{ product: string; environments: string[] }> {
  await requireProduct(db, product);
  if (new Set(envs.map((e) => e.toLowerCase())).size !== envs.length)
    throw new HfxError('HFX_E_USAGE', 'an environment is named twice');
  const reserved = envs.find((e) => RESERVED.includes(e.toLowerCase()));
  if (reserved !== undefined)
    throw new HfxError('HFX_E_USAGE', `"${reserved}" is a reserved name (a route of the API)`);
  const before = await pipelineOf(db, product);
  await db.transaction().execute(async (tx) => {
    const used = await tx.selectFrom('env_members').select(['environment']).where('product', '=', product).execute();
    const dropped = [...new Set(used.map((u) => u.environment))].filter((e) => !envs.includes(e));
    if (dropped.length)
      throw new HfxError('HFX_E_USAGE', `environments ${dropped.join(', ')} still have installations`, {
        hint: 'Assign them to another environment first.',
      });
    await tx.deleteFrom('env_pipelines').where('product', '=', product).execute();
    await tx
      .insertInto('env_pipelines')
      .values(envs.map((name, position) => ({ product, name, position })))
      .execute();
    await audit(tx, actor, 'environments.pipeline', 'product', product, { before, after: envs });
  });
  return { product, environments: envs };
}

export async function compare(db: Db, product: string, a: string, b: string): Promise<Comparison> {
  await requireEnv(db, product, a);
  await requireEnv(db, product, b);
  return compareEnvs(db, product, a, b);
}

/** One environment: its view, its installations with their last reports, deployments, tags and gates. */
export async function environmentDetail(db: Db, product: string, env: string) {
  const { pipeline, index } = await requireEnv(db, product, env);
  const view = await envView(db, product, pipeline, index, presenceCache(db, product));
  const { reports } = await membersOf(db, product, env);
  const members = await db
    .selectFrom('env_members')
    .innerJoin('installations', 'installations.id', 'env_members.installation_id')
    .select(['installations.id', 'installations.name', 'installations.customer_id'])
    .where('env_members.product', '=', product)
    .where('env_members.environment', '=', env)
    .orderBy('installations.id')
    .execute();
  const deployments = await db
    .selectFrom('env_deployments')
    .select(['id', 'kind', 'archive_id', 'level', 'tag', 'commit', 'approval', 'actor', 'at'])
    .where('product', '=', product)
    .where('environment', '=', env)
    .orderBy('id')
    .execute();
  const tags = await db
    .selectFrom('env_tags')
    .select(['tag', 'pack_hash', 'actor', 'at'])
    .where('product', '=', product)
    .where('environment', '=', env)
    .orderBy('id')
    .execute();
  return {
    ...view,
    installationList: members.map((m) => ({ ...m, report: reports.find((r) => r.installation === m.id) ?? null })),
    deployments,
    tags,
    gates: await gatesOf(db, product, env),
  };
}

export interface Assignment {
  installation: string;
  product: string;
  environment: string;
  /** The environment it was in; null when this is its first assignment. */
  before: string | null;
}

export async function assignInstallation(
  db: Db,
  actor: string,
  product: string,
  env: string,
  installation: string,
): Promise<Assignment> {
  await requireEnv(db, product, env);
  const inst = await db
    .selectFrom('installations')
    .select(['id', 'product'])
    .where('id', '=', installation)
    .executeTakeFirst();
  if (!inst)
    throw new HfxError('HFX_E_NOT_FOUND', `no installation ${installation}`, {
      hint: 'Register it first: `hfx state --report --home DIR`.',
    });
  if (inst.product !== product)
    throw new HfxError('HFX_E_INCOMPATIBLE', `installation ${inst.id} runs ${inst.product}, not ${product}`);
  const before = await db.transaction().execute(async (tx) => {
    const cur = await tx
      .selectFrom('env_members')
      .select(['environment', 'product'])
      .where('installation_id', '=', inst.id)
      .forUpdate()
      .executeTakeFirst();
    await tx.deleteFrom('env_members').where('installation_id', '=', inst.id).execute();
    await tx.insertInto('env_members').values({ installation_id: inst.id, product, environment: env }).execute();
    await audit(tx, actor, 'environments.assign', 'installation', inst.id, {
      product,
      environment: env,
      before: cur ?? null,
    });
    return cur ?? null;
  });
  return { installation: inst.id, product, environment: env, before: before?.environment ?? null };
}

/** Records what an installation runs; the caller is its installation token or, for in-house installations, a vendor user. */
export async function recordReport(
  db: Db,
  p: Principal,
  b: EnvironmentReport,
): Promise<{ installation: string; environment: string | null }> {
  const customer = p.kind === 'customer' ? p.customerId : null;
  const inst = await db
    .selectFrom('installations')
    .select(['id', 'customer_id'])
    .where('id', '=', b.installation)
    .executeTakeFirst();
  // Same rule as the fleet report: an installation is reported only by whoever registered it.
  if (inst?.customer_id !== customer) {
    throw new HfxError('HFX_E_NOT_FOUND', `no installation ${b.installation}`, {
      hint: 'Register it first: `hfx state --report`.',
    });
  }
  await requireVisibleArchives(
    db,
    p,
    [...b.hotfixes, ...b.updates].map((x) => x.id),
  );
  const values = {
    release: b.release,
    level: b.level,
    hotfixes: JSON.stringify(b.hotfixes),
    updates: JSON.stringify(b.updates),
    pack_hash: b.packHash,
    reported_at: new Date(),
  };
  const member = await db.transaction().execute(async (tx) => {
    const cur = await tx
      .selectFrom('env_reports')
      .select(['installation_id'])
      .where('installation_id', '=', inst.id)
      .forUpdate()
      .executeTakeFirst();
    if (cur) await tx.updateTable('env_reports').set(values).where('installation_id', '=', inst.id).execute();
    else
      await tx
        .insertInto('env_reports')
        .values({ installation_id: inst.id, ...values })
        .execute();
    const m = await tx
      .selectFrom('env_members')
      .select(['product', 'environment'])
      .where('installation_id', '=', inst.id)
      .executeTakeFirst();
    if (m) {
      // The first report of a tagged content pins the tag's pack hash: a later change to the files shows '+'.
      const t = await tx
        .selectFrom('env_tags')
        .select(['id', 'content', 'pack_hash'])
        .where('product', '=', m.product)
        .where('environment', '=', m.environment)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      const content = contentSignature({ release: b.release, level: b.level, hotfixes: b.hotfixes });
      if (t?.pack_hash === null && t.content === content) {
        await tx.updateTable('env_tags').set({ pack_hash: b.packHash }).where('id', '=', t.id).execute();
      }
    }
    return m ?? null;
  });
  return { installation: inst.id, environment: member?.environment ?? null };
}

export interface DeployInput {
  hotfix?: string;
  level?: number;
  tag?: string;
  approval?: { reason: string };
  dryRun?: boolean;
}

export interface DeployPreview {
  product: string;
  environment: string;
  suggestedTag: string;
  tag: string;
  approvalRequired: boolean;
  gates: string[];
  dryRun: true;
}

export interface Deployment {
  id: number;
  product: string;
  environment: string;
  tag: string;
  suggestedTag: string;
  /** The approval's reason when the deployment passed gates. */
  approved: string | null;
}

/** What is deployed: one hotfix or one update level. */
type Target = { kind: 'hotfix'; hotfix: string } | { kind: 'update'; level: number };

function targetOf(b: DeployInput): Target {
  if (b.hotfix !== undefined && b.level === undefined) return { kind: 'hotfix', hotfix: b.hotfix };
  if (b.level !== undefined && b.hotfix === undefined) return { kind: 'update', level: b.level };
  throw new HfxError('HFX_E_USAGE', 'give exactly one of hotfix and level');
}

/** What a deployment would change: the content it leads to, and the environment before when it skips it. */
interface Plan {
  expected: Content;
  release: string;
  skips: string | null;
}

async function planHotfix(
  db: Db,
  product: string,
  env: string,
  pipeline: string[],
  index: number,
  cur: Content | null,
  hotfix: string,
): Promise<Plan> {
  const a = await db
    .selectFrom('archives')
    .select(['id', 'kind', 'release', 'level', 'digest'])
    .where('id', '=', hotfix)
    .where('product', '=', product)
    .executeTakeFirst();
  if (a?.kind !== 'hotfix') {
    throw new HfxError('HFX_E_NOT_FOUND', `no hotfix ${hotfix} of product ${product}`, {
      hint: 'Push it first: `hfx push FILE.zip`.',
    });
  }
  if (cur && (cur.release !== a.release || cur.level !== a.level))
    throw new HfxError(
      'HFX_E_INCOMPATIBLE',
      `${a.id} is for ${a.release} level ${a.level}; ${env} runs ${cur.release} level ${cur.level}`,
    );
  const pres = await fixPresence(db, { product, hotfixId: a.id });
  if (pres.environments[index]?.present || (await deployedHotfixes(db, product, env)).includes(a.id)) {
    throw new HfxError('HFX_E_ALREADY_APPLIED', `${a.id} is already deployed to ${env}`);
  }
  const prev = pipeline[index - 1] ?? null;
  // The hotfix path: straight to the last environment without the one before it having the hotfix.
  const skip =
    index === pipeline.length - 1 &&
    prev !== null &&
    !pres.environments[index - 1]?.present &&
    !(await deployedHotfixes(db, product, prev)).includes(a.id);
  return {
    release: a.release,
    skips: skip ? prev : null,
    expected: {
      release: a.release,
      level: a.level,
      hotfixes: [...(cur?.hotfixes ?? []).filter((h) => h.id !== a.id), { id: a.id, digest: a.digest }],
    },
  };
}

async function planUpdate(db: Db, product: string, env: string, cur: Content | null, level: number): Promise<Plan> {
  let q = db
    .selectFrom('archives')
    .select(['id', 'release', 'includes'])
    .where('product', '=', product)
    .where('kind', '=', 'update')
    .where('to_level', '=', level);
  if (cur) q = q.where('release', '=', cur.release);
  const u = await q.executeTakeFirst();
  if (!u)
    throw new HfxError(
      'HFX_E_NOT_FOUND',
      `no update archive of ${product}${cur ? ` ${cur.release}` : ''} to level ${level}`,
    );
  if (cur && cur.level >= level) throw new HfxError('HFX_E_INCOMPATIBLE', `${env} already runs level ${cur.level}`);
  const included = await db
    .selectFrom('archives')
    .select(['includes'])
    .where('product', '=', product)
    .where('release', '=', u.release)
    .where('kind', '=', 'update')
    .where('to_level', '<=', level)
    .execute();
  const gone = new Set(included.flatMap((x) => x.includes));
  return {
    release: u.release,
    skips: null,
    expected: { release: u.release, level, hotfixes: (cur?.hotfixes ?? []).filter((h) => !gone.has(h.id)) },
  };
}

/** The tag a deployment to `env` gets unless one is given. */
async function suggestTag(db: Db, product: string, env: string, plan: Plan, kind: Target['kind']): Promise<string> {
  const t = await lastTag(db, product, env);
  // The same content already tagged in another environment keeps its tag (Pre-Production's 1.7.1 goes to Production as 1.7.1).
  const sameContent = await db
    .selectFrom('env_tags')
    .select(['tag'])
    .where('product', '=', product)
    .where('content', '=', contentSignature(plan.expected))
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return sameContent?.tag ?? nextTag(await currentVersion(db, product, t?.tag ?? plan.release), kind);
}

/** Records a deployment of one hotfix or one update level, tagged; past its gates only with a release manager's approval. */
export async function deploy(
  db: Db,
  actor: Actor,
  product: string,
  env: string,
  b: DeployInput,
): Promise<DeployPreview | Deployment> {
  const target = targetOf(b);
  const hotfix = target.kind === 'hotfix' ? target.hotfix : null;
  const { pipeline, index } = await requireEnv(db, product, env);
  const { reports } = await membersOf(db, product, env);
  const cur = contentOf(reports).content;
  const plan =
    target.kind === 'hotfix'
      ? await planHotfix(db, product, env, pipeline, index, cur, target.hotfix)
      : await planUpdate(db, product, env, cur, target.level);
  const suggested = await suggestTag(db, product, env, plan, target.kind);
  const tag = b.tag ?? suggested;
  // The gates (a soak in the environment before, freeze windows) hold unless approved; the skip
  // straight to the last environment is one such gate.
  const gates = await gateViolations(db, { product, pipeline, index, hotfix });
  if (plan.skips !== null) gates.unshift(`${String(hotfix)} is not in ${plan.skips}: it goes straight to ${env}`);
  if (b.dryRun)
    return {
      product,
      environment: env,
      suggestedTag: suggested,
      tag,
      approvalRequired: gates.length > 0,
      gates,
      dryRun: true,
    };
  let approval: string | null = null;
  if (gates.length) {
    if (!b.approval)
      throw new HfxError(
        'HFX_E_APPROVAL_REQUIRED',
        `deploying to ${env} needs an approval with a reason: ${gates.join('; ')}`,
        {
          hint: 'A release manager deploys with an approval reason (`hfx deploy … --approve "REASON"`).',
          details: { gates },
        },
      );
    if (rank(actor.role) < rank('release-manager'))
      throw new HfxError(
        'HFX_E_FORBIDDEN',
        `approving a deployment to ${env} past its gates needs the release-manager role; you are ${actor.role}`,
      );
    approval = b.approval.reason;
  }
  const id = await db.transaction().execute(async (tx) => {
    await lockEnv(tx, product, env);
    if (hotfix !== null && (await deployedHotfixes(tx, product, env)).includes(hotfix))
      throw new HfxError('HFX_E_ALREADY_APPLIED', `${hotfix} is already deployed to ${env}`);
    const row = await tx
      .insertInto('env_deployments')
      .values({
        product,
        environment: env,
        kind: target.kind,
        archive_id: hotfix,
        level: b.level ?? null,
        tag,
        commit: null,
        files: null,
        approval,
        actor: actor.name,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('env_tags')
      .values({
        product,
        environment: env,
        tag,
        content: contentSignature(plan.expected),
        pack_hash: null,
        actor: actor.name,
      })
      .execute();
    await audit(tx, actor.name, 'environments.deploy', 'environment', `${product}/${env}`, {
      deployment: row.id,
      hotfix,
      level: b.level ?? null,
      tag,
      suggested,
    });
    if (plan.skips !== null)
      await audit(tx, actor.name, 'environments.skip-approved', 'environment', `${product}/${env}`, {
        deployment: row.id,
        hotfix,
        skipped: pipeline.slice(0, index),
        reason: approval,
      });
    if (gates.length)
      await audit(tx, actor.name, 'environments.gate-approved', 'environment', `${product}/${env}`, {
        deployment: row.id,
        gates,
        reason: approval,
      });
    return row.id;
  });
  return { id, product, environment: env, tag, suggestedTag: suggested, approved: approval };
}

export async function setGates(
  db: Db,
  actor: string,
  product: string,
  env: string,
  g: Gates,
): Promise<Gates & { product: string; environment: string }> {
  await requireEnv(db, product, env);
  for (const w of g.freeze) parseWindow(w);
  const before = await gatesOf(db, product, env);
  await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('env_gates')
      .values({ product, environment: env, soak_seconds: g.soakSeconds, freeze: JSON.stringify(g.freeze) })
      .onConflict((c) =>
        c
          .columns(['product', 'environment'])
          .doUpdateSet({ soak_seconds: g.soakSeconds, freeze: JSON.stringify(g.freeze) }),
      )
      .execute();
    await audit(tx, actor, 'environments.gates', 'environment', `${product}/${env}`, { before, after: g });
  });
  return { product, environment: env, ...(await gatesOf(db, product, env)) };
}

export async function hotfixPresence(
  db: Db,
  product: string,
  id: string,
): Promise<Presence & { product: string; hotfix: string }> {
  await requireProduct(db, product);
  return { product, hotfix: id, ...(await fixPresence(db, { product, hotfixId: id })) };
}

/** The paths a hotfix touches and their content after it: what a merge of it must reproduce. */
export async function hotfixFiles(
  db: Db,
  product: string,
  id: string,
): Promise<{ hotfix: string; files: { path: string; after: string | null }[] }> {
  const a = await db
    .selectFrom('archives')
    .select(['kind', 'manifest'])
    .where('id', '=', id)
    .where('product', '=', product)
    .executeTakeFirst();
  if (a?.kind !== 'hotfix') throw new HfxError('HFX_E_NOT_FOUND', `no hotfix ${id} of product ${product}`);
  return { hotfix: id, files: manifestEntries(a.manifest) };
}

export interface PropagateInput {
  to: string;
  /** A merge of the hotfix's change by commit, with the hash of every file it built. */
  merged?: { commit: string; files: Record<string, string | null> };
  dryRun?: boolean;
}

interface PropagationBase {
  product: string;
  hotfix: string;
  to: string;
  how: 'merged' | 'hotfix';
  presence: Presence;
}
export type PropagationPreview = PropagationBase & { dryRun: true };
export type Propagation = PropagationBase & { id: number };

/** The files of a merge that do not hold the hotfix's content (at most what a refusal shows). */
function mergeMismatches(
  manifest: unknown,
  files: Record<string, string | null>,
): { path: string; want: string | null; got: string | null | undefined }[] {
  const bad: { path: string; want: string | null; got: string | null | undefined }[] = [];
  for (const e of manifestEntries(manifest)) {
    const got = Object.hasOwn(files, e.path) ? files[e.path] : undefined;
    if (got !== e.after) bad.push({ path: e.path, want: e.after, got });
  }
  return bad;
}

/** Brings a hotfix back to an earlier environment: a deployment its installations apply, or a merge checked file by file. */
export async function propagate(
  db: Db,
  actor: string,
  product: string,
  id: string,
  b: PropagateInput,
): Promise<PropagationPreview | Propagation> {
  const { pipeline, index } = await requireEnv(db, product, b.to);
  const a = await db
    .selectFrom('archives')
    .select(['id', 'kind', 'manifest'])
    .where('id', '=', id)
    .where('product', '=', product)
    .executeTakeFirst();
  if (a?.kind !== 'hotfix') throw new HfxError('HFX_E_NOT_FOUND', `no hotfix ${id} of product ${product}`);
  const pres = await fixPresence(db, { product, hotfixId: id });
  const here = pres.environments[index];
  if (here?.present)
    throw new HfxError('HFX_E_ALREADY_APPLIED', `${id} is already present in ${b.to} (${String(here.how)})`);
  let later = false;
  for (const [i, name] of pipeline.entries())
    if (i > index && (pres.environments[i]?.present || (await deployedHotfixes(db, product, name)).includes(id)))
      later = true;
  if (!later)
    throw new HfxError('HFX_E_USAGE', `${id} is in no environment after ${b.to}: propagation goes backwards`, {
      hint: `Deploy it instead: \`hfx deploy ${product} ${b.to} --hotfix ${id}\`.`,
    });
  if (!b.merged && (await deployedHotfixes(db, product, b.to)).includes(id))
    throw new HfxError(
      'HFX_E_ALREADY_APPLIED',
      `${id} is already deployed to ${b.to}; its installations apply it with \`hfx apply ${id} --server\``,
    );
  if (b.merged) {
    const bad = mergeMismatches(a.manifest, b.merged.files);
    if (bad.length)
      throw new HfxError(
        'HFX_E_CONTENT_MISMATCH',
        `${bad.length} file(s) of ${b.to} do not hold ${id}'s content: ${bad
          .slice(0, 5)
          .map((x) => x.path)
          .join(', ')}`,
        {
          hint: 'Merge the whole change, rebuild, and give the hashes of the built files.',
          details: bad.slice(0, 100),
        },
      );
  }
  const how = b.merged ? 'merged' : 'hotfix';
  if (b.dryRun) return { product, hotfix: id, to: b.to, how, dryRun: true, presence: pres };
  const dep = await db.transaction().execute(async (tx) => {
    await lockEnv(tx, product, b.to);
    const again = await tx
      .selectFrom('env_deployments')
      .select(['id'])
      .where('product', '=', product)
      .where('environment', '=', b.to)
      .where('archive_id', '=', id)
      .where('kind', '=', b.merged ? 'merge' : 'hotfix')
      .executeTakeFirst();
    if (again)
      throw new HfxError('HFX_E_ALREADY_APPLIED', `${id} was just ${b.merged ? 'merged into' : 'deployed to'} ${b.to}`);
    const row = await tx
      .insertInto('env_deployments')
      .values({
        product,
        environment: b.to,
        kind: b.merged ? 'merge' : 'hotfix',
        archive_id: id,
        level: null,
        tag: null,
        commit: b.merged?.commit ?? null,
        files: b.merged ? JSON.stringify(b.merged.files) : null,
        approval: null,
        actor,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'environments.propagate', 'hotfix', id, {
      product,
      to: b.to,
      deployment: row.id,
      how,
      commit: b.merged?.commit ?? null,
    });
    return row.id;
  });
  return { id: dep, product, hotfix: id, to: b.to, how, presence: await fixPresence(db, { product, hotfixId: id }) };
}
