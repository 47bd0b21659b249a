import { sql, type Kysely } from 'kysely';
import { HfxError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import { fixPresence } from './presence.js';

/**
 * Gates between environments (docs/environments.md#gates): a soak time (a hotfix must have been in
 * the environment before for that long, with no revert and no recurrence there, before it is
 * deployed here) and freeze windows (no deployment at all). Either is passed only with an
 * approval carrying a reason, by a release manager, audited — as the skip to Production is.
 */
export interface Gates {
  soakSeconds: number | null;
  /** Windows as written: weekly `Fri 18:00-Mon 08:00`, or dated `2026-12-24T00:00Z/2026-12-27T00:00Z`. All times UTC. */
  freeze: string[];
}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEK_MIN = 7 * 24 * 60;

type Window = { kind: 'weekly'; from: number; to: number } | { kind: 'dated'; from: number; to: number };

/** Parses one window; refused with the form expected. Pure. */
export function parseWindow(text: string): Window {
  const w =
    /^(sun|mon|tue|wed|thu|fri|sat)[a-z]*\s+(\d{1,2}):(\d{2})\s*-\s*(sun|mon|tue|wed|thu|fri|sat)[a-z]*\s+(\d{1,2}):(\d{2})$/i.exec(
      text.trim(),
    );
  if (w) {
    const at = (d: string, h: string, m: string) => {
      if (Number(h) > 23 || Number(m) > 59)
        throw new HfxError('HFX_E_USAGE', `${text}: ${h}:${m} is not a time of day`);
      return DAYS.indexOf(d.toLowerCase()) * 1440 + Number(h) * 60 + Number(m);
    };
    // Every group takes part in a match.
    const [, d1 = '', h1 = '', m1 = '', d2 = '', h2 = '', m2 = ''] = w;
    return { kind: 'weekly', from: at(d1, h1, m1), to: at(d2, h2, m2) };
  }
  const d = /^([^/]+)\/([^/]+)$/.exec(text.trim());
  if (d) {
    const [, fromText = '', toText = ''] = d;
    const from = Date.parse(fromText);
    const to = Date.parse(toText);
    if (Number.isFinite(from) && Number.isFinite(to) && from < to) return { kind: 'dated', from, to };
  }
  throw new HfxError('HFX_E_USAGE', `"${text}" is not a freeze window`, {
    hint: 'Weekly: "Fri 18:00-Mon 08:00" (UTC); dated: "2026-12-24T00:00Z/2026-12-27T00:00Z".',
  });
}

/** The windows that hold at `now`. Pure. */
export function frozenBy(freeze: readonly string[], now: Date): string[] {
  const minute = now.getUTCDay() * 1440 + now.getUTCHours() * 60 + now.getUTCMinutes();
  return freeze.filter((text) => {
    const w = parseWindow(text);
    if (w.kind === 'dated') return now.getTime() >= w.from && now.getTime() < w.to;
    // A weekly window may wrap over the end of the week (Fri 18:00-Mon 08:00).
    return w.from <= w.to ? minute >= w.from && minute < w.to : minute >= w.from || minute < w.to % WEEK_MIN;
  });
}

export async function gatesOf(db: Kysely<Database>, product: string, env: string): Promise<Gates> {
  const g = await db
    .selectFrom('env_gates')
    .select(['soak_seconds', 'freeze'])
    .where('product', '=', product)
    .where('environment', '=', env)
    .executeTakeFirst();
  return { soakSeconds: g?.soak_seconds ?? null, freeze: g?.freeze ?? [] };
}

/**
 * Why a deployment to `pipeline[index]` may not go now without an approval: the freeze windows that
 * hold, and for a hotfix the soak it has not done in the environment before.
 */
export async function gateViolations(
  db: Kysely<Database>,
  o: { product: string; pipeline: string[]; index: number; hotfix: string | null; now?: Date },
): Promise<string[]> {
  const env = o.pipeline[o.index];
  if (env === undefined) {
    throw new HfxError('HFX_E_INTERNAL', `no environment ${o.index} in the pipeline of ${o.product}`);
  }
  const g = await gatesOf(db, o.product, env);
  const now = o.now ?? new Date();
  const out = frozenBy(g.freeze, now).map((w) => `${env} is frozen (${w})`);
  if (o.hotfix === null || g.soakSeconds === null || o.index === 0) return out;
  const prev = o.pipeline[o.index - 1];
  if (prev === undefined) {
    throw new HfxError('HFX_E_INTERNAL', `no environment ${o.index - 1} in the pipeline of ${o.product}`);
  }
  const since = await db
    .selectFrom('env_deployments')
    .select((e) => e.fn.min('at').as('at'))
    .where('product', '=', o.product)
    .where('environment', '=', prev)
    .where('archive_id', '=', o.hotfix)
    .executeTakeFirst();
  const present =
    (await fixPresence(db, { product: o.product, hotfixId: o.hotfix })).environments[o.index - 1]?.present ?? false;
  const start = since?.at ? new Date(since.at) : null;
  if (!present || !start)
    return [...out, `${o.hotfix} is not in ${prev}: it soaks there ${g.soakSeconds} s before ${env}`];
  const soaked = (now.getTime() - start.getTime()) / 1000;
  if (soaked < g.soakSeconds)
    out.push(`${o.hotfix} has soaked in ${prev} for ${Math.floor(soaked)} s of ${g.soakSeconds} s`);
  const reverts = await sql<{ n: number }>`
    select count(*)::int as n from installation_events e join env_members m on m.installation_id = e.installation_id
    where e.archive_id = ${o.hotfix} and e.kind = 'reverted' and e.at >= ${start} and m.product = ${o.product} and m.environment = ${prev}`.execute(
    db,
  );
  if ((reverts.rows[0]?.n ?? 0) > 0) out.push(`${o.hotfix} was reverted in ${prev} since it was deployed there`);
  const recurrences = await sql<{ n: number }>`
    select count(*)::int as n from case_transitions t join cases c on c.id = t.case_id
    where c.hotfix_id = ${o.hotfix} and t.action = 'reopen' and t.at >= ${start}`.execute(db);
  if ((recurrences.rows[0]?.n ?? 0) > 0)
    out.push(`a case fixed by ${o.hotfix} recurred since it was deployed to ${prev}`);
  return out;
}
