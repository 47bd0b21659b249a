import type { Kysely } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import {
  compareFiles,
  compareVersions,
  contentSignature,
  displayVersion,
  type Content,
  type FileView,
} from './model.js';
import {
  fixPresence,
  membersMemo,
  membersOf,
  membersQuery,
  pipelineOf,
  presenceFrom,
  reportOf,
  type MemberReport,
  type MembersMemo,
} from './presence.js';
import type { EnvView, HotfixView, Presence } from '../../wire/environments.js';

type Db = Kysely<Database>;

// What the environments' tables say, shaped as the API shows it: lookups that refuse unknown
// names, an environment's view (content, tag, red hotfixes) and two environments compared.
// Nothing here writes; the rules that change environments are in service.ts.

export async function requireProduct(db: Db, product: string): Promise<void> {
  const p = await db.selectFrom('products').select(['name']).where('name', '=', product).executeTakeFirst();
  if (!p) throw new HfxError('HFX_E_NOT_FOUND', `no product ${product}`);
}

export async function requireEnv(db: Db, product: string, env: string): Promise<{ pipeline: string[]; index: number }> {
  await requireProduct(db, product);
  const pipeline = await pipelineOf(db, product);
  const index = pipeline.indexOf(env);
  if (index < 0)
    throw new HfxError('HFX_E_NOT_FOUND', `product ${product} has no environment ${env}`, {
      hint: `Its environments: ${pipeline.join(', ')}.`,
    });
  return { pipeline, index };
}

export function contentOf(reports: MemberReport[]): {
  content: Content | null;
  consistent: boolean;
  packHash: string | null;
} {
  const first = reports[0];
  if (!first) return { content: null, consistent: true, packHash: null };
  const content = { release: first.release, level: first.level, hotfixes: first.hotfixes };
  const sig = contentSignature(content);
  const consistent = reports.every((r) => contentSignature(r) === sig && r.packHash === first.packHash);
  return { content, consistent, packHash: consistent ? first.packHash : null };
}

export async function lastTag(db: Db, product: string, env: string) {
  return db
    .selectFrom('env_tags')
    .selectAll()
    .where('product', '=', product)
    .where('environment', '=', env)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The version a deployment starts from: the highest tag of the product's environments, else the release. */
export async function currentVersion(db: Db, product: string, fallback: string, known?: string[]): Promise<string> {
  const tags =
    known ??
    (await db.selectFrom('env_tags').select(['tag']).where('product', '=', product).execute()).map((t) => t.tag);
  let best = fallback;
  for (const t of tags) if (/^v?\d/.test(t) && compareVersions(t, best) > 0) best = t;
  return best;
}

/** Presence per hotfix, cached for one request; null for a hotfix the registry does not know. */
export type PresenceFn = ((id: string) => Promise<Presence | null>) & { memo: MembersMemo };

export function presenceCache(db: Db, product: string): PresenceFn {
  const cache = new Map<string, Promise<Presence | null>>();
  // Every hotfix's presence, and every environment's view, reads the same environments' reports:
  // each is loaded once per request.
  const memo: MembersMemo = new Map();
  const fn = (id: string): Promise<Presence | null> => {
    let p = cache.get(id);
    if (!p) {
      p = fixPresence(db, { product, hotfixId: id, memo }).catch((e: unknown) => {
        if (e instanceof HfxError && e.code === 'HFX_E_NOT_FOUND') return null;
        throw e;
      });
      cache.set(id, p);
    }
    return p;
  };
  return Object.assign(fn, { memo });
}

export async function deployedHotfixes(db: Db, product: string, env: string): Promise<string[]> {
  const rows = await db
    .selectFrom('env_deployments')
    .select(['archive_id'])
    .where('product', '=', product)
    .where('environment', '=', env)
    .where('kind', '=', 'hotfix')
    .orderBy('id')
    .execute();
  return [...new Set(rows.map((r) => r.archive_id).filter((x): x is string => x !== null))];
}

type TagRow = NonNullable<Awaited<ReturnType<typeof lastTag>>>;

/** What the pipeline view reads besides the members (which go in the presence memo), for every environment at once. */
export interface BoardData {
  lastTag: (env: string) => TagRow | undefined;
  deployed: (env: string) => string[];
  /** Every tag of the product, oldest first (for the next version's suggestion). */
  tags: string[];
}

/**
 * The pipeline view's data in seven queries for the whole product, whatever the number of
 * environments and hotfixes: the view used to ask per environment and per hotfix (about fifty
 * round trips for four environments and eight hotfixes, most of its time on PGlite). Presence is
 * computed here from the same rows fixPresence reads, by the same rules.
 */
export async function loadBoard(
  db: Db,
  product: string,
  pipeline: string[],
): Promise<{ presence: PresenceFn; data: BoardData }> {
  const rows = await membersQuery(db, product).execute();
  const members = new Map<string, { assigned: number; reports: MemberReport[] }>(
    pipeline.map((e) => [e, { assigned: 0, reports: [] }]),
  );
  for (const r of rows) {
    const m = members.get(r.environment);
    if (!m) continue;
    m.assigned++;
    const report = reportOf(r);
    if (report) m.reports.push(report);
  }
  const memo: MembersMemo = new Map([...members].map(([e, m]) => [e, Promise.resolve(m)]));

  const tagRows = await db.selectFrom('env_tags').selectAll().where('product', '=', product).orderBy('id').execute();
  const last = new Map<string, TagRow>();
  for (const t of tagRows) last.set(t.environment, t);
  const deployRows = await db
    .selectFrom('env_deployments')
    .select(['environment', 'archive_id'])
    .where('product', '=', product)
    .where('kind', '=', 'hotfix')
    .orderBy('id')
    .execute();
  const deployed = new Map<string, string[]>();
  for (const d of deployRows) {
    if (d.archive_id === null) continue;
    const list = deployed.get(d.environment) ?? [];
    if (!list.includes(d.archive_id)) list.push(d.archive_id);
    deployed.set(d.environment, list);
  }

  const ids = new Set<string>(deployRows.map((d) => d.archive_id).filter((x): x is string => x !== null));
  for (const m of members.values()) for (const r of m.reports) for (const h of r.hotfixes) ids.add(h.id);
  const idList = [...ids];
  const archives = idList.length
    ? await db
        .selectFrom('archives')
        .select(['id', 'kind', 'digest'])
        .where('product', '=', product)
        .where('id', 'in', idList)
        .execute()
    : [];
  const updates = await db
    .selectFrom('archives')
    .select(['id', 'release', 'to_level', 'digest', 'includes'])
    .where('product', '=', product)
    .where('kind', '=', 'update')
    .execute();
  const merges = idList.length
    ? await db
        .selectFrom('env_deployments')
        .select(['environment', 'archive_id'])
        .where('product', '=', product)
        .where('kind', '=', 'merge')
        .where('archive_id', 'in', idList)
        .execute()
    : [];
  const archive = new Map(archives.map((a) => [a.id, a]));

  const presenceOf = (id: string): Presence | null => {
    const hf = archive.get(id);
    if (hf?.kind !== 'hotfix') return null;
    const including = updates.filter((u) => Array.isArray(u.includes) && u.includes.includes(id));
    const merged = new Set(merges.filter((m) => m.archive_id === id).map((m) => m.environment));
    return presenceFrom(hf, members, including, merged);
  };
  const cache = new Map<string, Promise<Presence | null>>();
  const presence = Object.assign(
    (id: string) => {
      let p = cache.get(id);
      if (!p) cache.set(id, (p = Promise.resolve(presenceOf(id))));
      return p;
    },
    { memo },
  );
  return {
    presence,
    data: { lastTag: (e) => last.get(e), deployed: (e) => deployed.get(e) ?? [], tags: tagRows.map((t) => t.tag) },
  };
}

export async function envView(
  db: Db,
  product: string,
  pipeline: string[],
  index: number,
  presence: PresenceFn,
  data?: BoardData,
): Promise<EnvView> {
  const name = pipeline[index];
  if (name === undefined) throw new HfxError('HFX_E_INTERNAL', `no environment ${index} in the pipeline of ${product}`);
  const { assigned, reports } = await membersMemo(db, product, presence.memo, name);
  const { content, consistent, packHash } = contentOf(reports);
  const tag = data ? data.lastTag(name) : await lastTag(db, product, name);
  let untagged: boolean;
  if (tag)
    untagged =
      content !== null &&
      (contentSignature(content) !== tag.content ||
        !consistent ||
        (tag.pack_hash !== null && reports.some((r) => r.packHash !== tag.pack_hash)));
  else untagged = reports.some((r) => r.hotfixes.length > 0);
  const ids = new Map<string, string | null>();
  for (const r of reports) for (const h of r.hotfixes) if (!ids.has(h.id)) ids.set(h.id, h.digest);
  for (const id of data ? data.deployed(name) : await deployedHotfixes(db, product, name))
    if (!ids.has(id)) ids.set(id, null);
  const hotfixes: HotfixView[] = [];
  for (const [id, digest] of ids) {
    const have = reports.filter((r) => r.hotfixes.some((h) => h.id === id)).length;
    const state: HotfixView['state'] =
      have === 0 ? 'deployed' : have === reports.length && reports.length === assigned ? 'applied' : 'partial';
    const p = await presence(id);
    const missingIn = p
      ? p.environments
          .slice(0, index)
          .filter((e) => !e.present)
          .map((e) => e.name)
      : pipeline.slice(0, index);
    hotfixes.push({ id, digest, state, red: missingIn.length > 0, missingIn });
  }
  return {
    name,
    position: index,
    installations: { assigned, reported: reports.length },
    release: content?.release ?? null,
    level: content?.level ?? null,
    packHash,
    consistent,
    tag: tag?.tag ?? null,
    untagged,
    version: displayVersion(tag?.tag ?? null, content?.release ?? null, untagged),
    red: hotfixes.some((h) => h.red),
    hotfixes,
  };
}

/** path → content as the archives describe it: sha256 of a file, `->target` of a link, `dir`, or null (removed). */
function nodeValue(n: unknown): string | null {
  if (n === null || typeof n !== 'object') return null;
  const x = n as { type: string; sha256?: string; target?: string };
  return x.type === 'file' ? (x.sha256 ?? null) : x.type === 'symlink' ? `->${x.target ?? ''}` : 'dir';
}

export function manifestEntries(manifest: unknown): { path: string; after: string | null }[] {
  const m = manifest as { entries?: { path: string; after: unknown }[] };
  return (m.entries ?? []).map((e) => ({ path: e.path, after: nodeValue(e.after) }));
}

/** The files an environment runs that differ from its release, from the manifests of the update and hotfix archives it reports. */
export async function filesOf(
  db: Db,
  product: string,
  content: Content,
): Promise<{ files: Map<string, string | null>; unknown: string[] }> {
  const files = new Map<string, string | null>();
  const unknown: string[] = [];
  const updates = await db
    .selectFrom('archives')
    .select(['id', 'manifest', 'level', 'to_level'])
    .where('product', '=', product)
    .where('release', '=', content.release)
    .where('kind', '=', 'update')
    .where('to_level', '<=', content.level)
    .orderBy('level')
    .execute();
  for (const u of updates) for (const e of manifestEntries(u.manifest)) files.set(e.path, e.after);
  for (const h of content.hotfixes) {
    const a = await db
      .selectFrom('archives')
      .select(['manifest', 'digest'])
      .where('id', '=', h.id)
      .where('product', '=', product)
      .executeTakeFirst();
    if (a?.digest !== h.digest) {
      unknown.push(h.id);
      continue;
    }
    for (const e of manifestEntries(a.manifest)) files.set(e.path, e.after);
  }
  return { files, unknown };
}

export interface Comparison {
  a: string;
  b: string;
  same: boolean;
  release: { a: string | null; b: string | null };
  level: { a: number | null; b: number | null };
  packHash: { a: string | null; b: string | null };
  hotfixes: { id: string; a: string | null; b: string | null; same: boolean }[];
  files: FileView[];
  /** Hotfixes whose archive the server does not hold (or holds with another digest): their files cannot be compared. */
  unknown: string[];
}

export async function compareEnvs(db: Db, product: string, a: string, b: string): Promise<Comparison> {
  const ca = contentOf((await membersOf(db, product, a)).reports);
  const cb = contentOf((await membersOf(db, product, b)).reports);
  const fa = ca.content
    ? await filesOf(db, product, ca.content)
    : { files: new Map<string, string | null>(), unknown: [] };
  const fb = cb.content
    ? await filesOf(db, product, cb.content)
    : { files: new Map<string, string | null>(), unknown: [] };
  const ha = new Map((ca.content?.hotfixes ?? []).map((h) => [h.id, h.digest]));
  const hb = new Map((cb.content?.hotfixes ?? []).map((h) => [h.id, h.digest]));
  const hotfixes = [...new Set([...ha.keys(), ...hb.keys()])]
    .sort()
    .map((id) => ({ id, a: ha.get(id) ?? null, b: hb.get(id) ?? null, same: ha.get(id) === hb.get(id) }));
  const files = compareFiles(fa.files, fb.files);
  const releaseSame = ca.content?.release === cb.content?.release && ca.content?.level === cb.content?.level;
  return {
    a,
    b,
    same:
      ca.content !== null &&
      cb.content !== null &&
      releaseSame &&
      hotfixes.every((h) => h.same) &&
      files.every((f) => f.same) &&
      (ca.packHash === null || cb.packHash === null || ca.packHash === cb.packHash),
    release: { a: ca.content?.release ?? null, b: cb.content?.release ?? null },
    level: { a: ca.content?.level ?? null, b: cb.content?.level ?? null },
    packHash: { a: ca.packHash, b: cb.packHash },
    hotfixes,
    files,
    unknown: [...new Set([...fa.unknown, ...fb.unknown])],
  };
}
