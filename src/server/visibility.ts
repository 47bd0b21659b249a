import type { Kysely } from 'kysely';
import { HfxError } from '../errors.js';
import type { Database } from '../store/schema.js';
import type { Principal } from './auth.js';

/** Customers see archives for everyone and their own; vendor users see all. Others' are "not found", not "forbidden". */
export function visibleTo(p: Principal, customerId: string | null): boolean {
  return p.kind === 'user' || customerId === null || customerId === p.customerId;
}

/**
 * Every archive id an installation's report names must be one its customer may see, or the
 * report is refused as a whole with the same 404 as an archive that does not exist: a customer
 * cannot make the fleet view, a case or an environment show another customer's hotfix at its
 * installations. Vendor users (in-house installations) may name ids the server does not hold,
 * such as a hotfix built locally and never pushed; nothing they name is hidden from them.
 */
export async function requireVisibleArchives(db: Kysely<Database>, p: Principal, ids: Iterable<string>): Promise<void> {
  if (p.kind === 'user') return;
  const want = [...new Set(ids)];
  const seen = new Map<string, string | null>();
  for (let i = 0; i < want.length; i += 1000) {
    const rows = await db
      .selectFrom('archives')
      .select(['id', 'customer_id'])
      .where('id', 'in', want.slice(i, i + 1000))
      .execute();
    for (const r of rows) seen.set(r.id, r.customer_id);
  }
  const bad = want.find((id) => !seen.has(id) || !visibleTo(p, seen.get(id) ?? null));
  if (bad !== undefined)
    throw new HfxError('HFX_E_NOT_FOUND', `no archive ${bad}`, {
      hint: 'An installation reports only archives its server offers it; nothing was recorded.',
    });
}
