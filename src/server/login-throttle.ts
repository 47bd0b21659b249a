import { isIPv6 } from 'node:net';
import { sql, type Kysely } from 'kysely';
import { HfxError } from '../errors.js';
import type { Database } from '../store/schema.js';

/**
 * Failed logins slow down the address that makes them, not the account (docs/security.md):
 * a flood of wrong passwords for alice from one address makes that address wait, while alice at
 * her own address signs in as usual. Each (account, address) pair gets FREE_PER_ACCOUNT
 * failures, then waits 1 s, 2 s, 4 s … up to MAX_DELAY_MS after its latest failure; an address
 * trying many accounts (password spraying) gets FREE_PER_ADDRESS failures over all of them, then
 * the same back-off. Failures older than WINDOW_MS are forgotten; a success forgets the pair's.
 */
export const FREE_PER_ACCOUNT = 5;
export const FREE_PER_ADDRESS = 30;
export const BASE_DELAY_MS = 1000;
export const MAX_DELAY_MS = 15 * 60 * 1000;
export const WINDOW_MS = 24 * 3600 * 1000;

/** The wait after `failures` failures of which `free` cost nothing: 0, then 1 s doubling to the cap. */
export function delayAfter(failures: number, free: number): number {
  if (failures < free) return 0;
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(failures - free, 30));
}

/**
 * The address failures are counted by: an IPv4 address as it is (IPv4-mapped IPv6 included), an
 * IPv6 address by its /64, since one subscriber is usually given a whole /64 to rotate through.
 */
export function addressKey(ip: string): string {
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip.slice('::ffff:'.length);
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * Counts, checks and records one attempt in a single transaction under a lock on the address,
 * so N guesses sent at once are let through no further than the limit: each attempt is recorded
 * as a failure before its password is checked (loginSucceeded removes it). Throws
 * HFX_E_RATE_LIMITED with the seconds to wait when the address must wait first.
 */
export async function reserveAttempt(db: Kysely<Database>, username: string, address: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`hfx-login:${address}`}))`.execute(tx);
    const r = await sql<{
      now: Date;
      n_account: number;
      last_account: Date | null;
      n_address: number;
      last_address: Date | null;
    }>`
      select now() as now,
        count(*) filter (where username = ${username})::int as n_account, max(at) filter (where username = ${username}) as last_account,
        count(*)::int as n_address, max(at) as last_address
      from login_failures where address = ${address} and at > now() - ${`${WINDOW_MS} milliseconds`}::interval`.execute(
      tx,
    );
    const [row] = r.rows;
    if (!row) throw new HfxError('HFX_E_INTERNAL', 'counting login failures returned no row');
    const now = new Date(row.now).getTime();
    const until = (n: number, last: Date | null, free: number) =>
      last ? new Date(last).getTime() + delayAfter(n, free) : 0;
    const waitMs =
      Math.max(
        until(row.n_account, row.last_account, FREE_PER_ACCOUNT),
        until(row.n_address, row.last_address, FREE_PER_ADDRESS),
      ) - now;
    if (waitMs > 0) {
      const s = Math.ceil(waitMs / 1000);
      throw new HfxError('HFX_E_RATE_LIMITED', `too many failed logins from your address; try again in ${s} s`, {
        hint: `Wait ${s} s (each further failure doubles the wait, up to 15 minutes). Signing in from another address is not affected.`,
        details: { retryAfter: s },
      });
    }
    await tx.insertInto('login_failures').values({ username, address }).execute();
  });
}

/** A good password: the pair's failures, and the attempt just reserved, are forgotten. */
export async function loginSucceeded(db: Kysely<Database>, username: string, address: string): Promise<void> {
  await db.deleteFrom('login_failures').where('username', '=', username).where('address', '=', address).execute();
}

/** Drops failures past the window (run hourly). */
export async function sweepLoginFailures(db: Kysely<Database>): Promise<number> {
  const r = await db
    .deleteFrom('login_failures')
    .where('at', '<', sql<Date>`now() - ${`${WINDOW_MS} milliseconds`}::interval`)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
