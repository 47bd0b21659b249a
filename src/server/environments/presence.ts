import type { Kysely } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import type { Presence, PresenceHow } from '../../wire/environments.js';

/** The pipeline a product gets until one is configured (OutSystems LifeTime's four environments). */
export const DEFAULT_PIPELINE: readonly string[] = ['Development', 'QA', 'Pre-Production', 'Production'];

export interface MemberReport {
  installation: string;
  name: string;
  release: string;
  level: number;
  hotfixes: { id: string; digest: string }[];
  updates: { id: string; digest: string }[];
  packHash: string;
  reportedAt: Date;
}

/** The product's environments, in pipeline order. */
export async function pipelineOf(db: Kysely<Database>, product: string): Promise<string[]> {
  const rows = await db
    .selectFrom('env_pipelines')
    .select(['name'])
    .where('product', '=', product)
    .orderBy('position')
    .execute();
  return rows.length ? rows.map((r) => r.name) : [...DEFAULT_PIPELINE];
}

/** The members of a product's environments with their last content report: one query for one environment or all. */
export function membersQuery(db: Kysely<Database>, product: string) {
  return db
    .selectFrom('env_members')
    .innerJoin('installations', 'installations.id', 'env_members.installation_id')
    .leftJoin('env_reports', 'env_reports.installation_id', 'env_members.installation_id')
    .select([
      'env_members.environment',
      'env_members.installation_id',
      'installations.name',
      'env_reports.release',
      'env_reports.level',
      'env_reports.hotfixes',
      'env_reports.updates',
      'env_reports.pack_hash',
      'env_reports.reported_at',
    ])
    .where('env_members.product', '=', product)
    .orderBy('env_members.installation_id');
}

type MemberRow = Awaited<ReturnType<ReturnType<typeof membersQuery>['execute']>>[number];

/** A member's report, or null when it never reported. */
export function reportOf(r: MemberRow): MemberReport | null {
  if (
    r.release === null ||
    r.level === null ||
    r.hotfixes === null ||
    r.updates === null ||
    r.pack_hash === null ||
    r.reported_at === null
  )
    return null;
  return {
    installation: r.installation_id,
    name: r.name,
    release: r.release,
    level: r.level,
    hotfixes: r.hotfixes,
    updates: r.updates,
    packHash: r.pack_hash,
    reportedAt: r.reported_at,
  };
}

/** The installations assigned to one environment, with their last content report (installations that never reported are left out). */
export async function membersOf(
  db: Kysely<Database>,
  product: string,
  env: string,
): Promise<{ assigned: number; reports: MemberReport[] }> {
  const rows = await membersQuery(db, product).where('env_members.environment', '=', env).execute();
  const reports = rows.map(reportOf).filter((r): r is MemberReport => r !== null);
  return { assigned: rows.length, reports };
}

/**
 * Where a hotfix's fix verifiably is. An environment has it when it has installations, every one has
 * reported, and every one runs it: the hotfix applied with the archive's digest (its signed content),
 * or a level reached through an update archive that includes it; or when a merge of its change was
 * recorded there with every touched file's hash checked against the hotfix.
 */
export type MembersMemo = Map<string, Promise<{ assigned: number; reports: MemberReport[] }>>;

/** membersOf, loaded once per environment for the life of `memo` (one request). */
export function membersMemo(
  db: Kysely<Database>,
  product: string,
  memo: MembersMemo,
  env: string,
): Promise<{ assigned: number; reports: MemberReport[] }> {
  let m = memo.get(env);
  if (!m) memo.set(env, (m = membersOf(db, product, env)));
  return m;
}

export async function fixPresence(
  db: Kysely<Database>,
  opts: { product: string; hotfixId: string; memo?: MembersMemo },
): Promise<Presence> {
  const hf = await db
    .selectFrom('archives')
    .select(['id', 'kind', 'digest'])
    .where('id', '=', opts.hotfixId)
    .where('product', '=', opts.product)
    .executeTakeFirst();
  if (hf?.kind !== 'hotfix') {
    throw new HfxError('HFX_E_NOT_FOUND', `no hotfix ${opts.hotfixId} of product ${opts.product}`);
  }
  const including = await db
    .selectFrom('archives')
    .select(['id', 'release', 'to_level', 'digest'])
    .where('product', '=', opts.product)
    .where('kind', '=', 'update')
    .where((e) => e('includes', '@>', JSON.stringify([opts.hotfixId]) as never))
    .execute();
  const merges = await db
    .selectFrom('env_deployments')
    .select(['environment'])
    .where('product', '=', opts.product)
    .where('kind', '=', 'merge')
    .where('archive_id', '=', opts.hotfixId)
    .execute();
  const merged = new Set(merges.map((m) => m.environment));
  const members = new Map<string, { assigned: number; reports: MemberReport[] }>();
  for (const name of await pipelineOf(db, opts.product)) {
    members.set(
      name,
      opts.memo ? await membersMemo(db, opts.product, opts.memo, name) : await membersOf(db, opts.product, name),
    );
  }
  return presenceFrom(hf, members, including, merged);
}

/**
 * The rule of fixPresence on rows already read (the pipeline view reads them for every hotfix at
 * once): `members` in pipeline order, the updates that include the hotfix, the environments where
 * a merge of it was recorded.
 */
export function presenceFrom(
  hf: { id: string; digest: string },
  members: ReadonlyMap<string, { assigned: number; reports: readonly MemberReport[] }>,
  including: readonly { id: string; release: string; to_level: number | null; digest: string }[],
  merged: ReadonlySet<string>,
): Presence {
  const environments: Presence['environments'] = [];
  for (const [name, { assigned, reports }] of members) {
    let how: PresenceHow = null;
    if (assigned > 0 && reports.length === assigned) {
      if (reports.every((r) => r.hotfixes.some((h) => h.id === hf.id && h.digest === hf.digest))) how = 'hotfix';
      else if (
        reports.every((r) =>
          including.some(
            (u) =>
              r.updates.some((x) => x.id === u.id && x.digest === u.digest) ||
              (u.release === r.release && u.to_level !== null && r.level >= u.to_level),
          ),
        )
      )
        how = 'update';
    }
    if (how === null && merged.has(name)) how = 'merged';
    environments.push({ name, present: how !== null, how });
  }
  return { everywhere: environments.length > 0 && environments.every((e) => e.present), environments };
}

/** For the "solved" transition: refuses with HFX_E_NOT_PROPAGATED unless the fix is present in every environment. */
export async function requirePresentEverywhere(
  db: Kysely<Database>,
  opts: { product: string; hotfixId: string },
): Promise<Presence> {
  const p = await fixPresence(db, opts);
  if (!p.everywhere) {
    const missing = p.environments.filter((e) => !e.present).map((e) => e.name);
    throw new HfxError(
      'HFX_E_NOT_PROPAGATED',
      `hotfix ${opts.hotfixId} is not verifiably present in ${missing.join(', ')}`,
      {
        hint: `Propagate it: \`hfx propagate ${opts.product} ${opts.hotfixId} --to ${missing[0] ?? 'ENV'}\`, then let the installations report.`,
        details: p,
      },
    );
  }
  return p;
}
