import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { FastifyRequest } from 'fastify';
import { HfxError } from '../errors.js';
import type { Store } from '../store/store.js';
import { ROLES, type Role } from '../store/schema.js';

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

/**
 * Who a token speaks for: a vendor user with a role, or a customer. A customer is either one of
 * its installations (an installation token; `user` absent) or one of its own people signed in
 * (`user`): both see exactly what the customer may see, and only installations report.
 */
export type Principal =
  | { kind: 'user'; userId: number; username: string; role: Role; tokenId: number }
  | { kind: 'customer'; customerId: string; tokenId: number; name: string; user?: { id: number; username: string } };

/**
 * Who may call a route, checked from the headers before its body is read (so an anonymous or
 * under-privileged caller never makes the server receive, parse or store a byte of body):
 * 'public' anyone; 'login' any valid token; 'report' an installation token or a developer and up
 * (fleet and environment reports); a role: vendor users with that role or a higher one.
 */
export type Allow = 'public' | 'login' | 'report' | 'customer-user' | Role;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    allow?: Allow;
    /** An archive upload: its body deadline grows with its length (limits.ts). */
    upload?: boolean;
  }
}

/** The route-level check (app.ts runs it in onRequest); handlers narrow further where the body decides. */
export function admit(p: Principal | null, allow: Allow): void {
  if (allow === 'public') return;
  if (!p)
    throw new HfxError('HFX_E_AUTH', 'this needs a login or an installation token', {
      hint: 'Log in: `hfx login URL`.',
    });
  if (allow === 'login' || (allow === 'report' && p.kind === 'customer' && !p.user)) return;
  if (allow === 'customer-user') {
    if (p.kind === 'customer' && p.user) return;
    throw new HfxError('HFX_E_FORBIDDEN', "this is for a customer's own people, signed in as a customer user", {
      hint: 'Vendor users see the same through the cases routes.',
    });
  }
  const min: Role = allow === 'report' ? 'developer' : allow;
  if (p.kind !== 'user' || rank(p.role) < rank(min)) {
    throw new HfxError(
      'HFX_E_FORBIDDEN',
      `this needs the ${min} role${p.kind === 'user' ? `; you are ${p.role}` : ''}`,
      { hint: 'Ask an admin for the role.' },
    );
  }
}

export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(pw, salt, 32);
  return `scrypt$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function checkPassword(pw: string, stored: string): Promise<boolean> {
  const [alg, s, k] = stored.split('$');
  if (alg !== 'scrypt' || !s || !k) return false;
  const want = Buffer.from(k, 'base64');
  const got = await scryptAsync(pw, Buffer.from(s, 'base64'), want.length);
  return timingSafeEqual(want, got);
}

/** API tokens are random; only their sha256 is stored, so a leaked database leaks no token. */
export function newToken(): { token: string; hash: string } {
  const token = `hfx_${randomBytes(32).toString('base64url')}`;
  return { token, hash: tokenHash(token) };
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Resolves the bearer token of a request. The lookup is by hash, then compared in constant time. */
export async function principalOf(store: Store, req: FastifyRequest): Promise<Principal | null> {
  const h = req.headers.authorization;
  if (!h) return null;
  // The whole header is `Bearer TOKEN`: the token is all that follows the scheme.
  if (!/^Bearer hfx_[A-Za-z0-9_-]{20,100}$/.test(h)) {
    throw new HfxError('HFX_E_AUTH', 'the Authorization header is not `Bearer hfx_…`', {
      hint: 'Log in again: `hfx login URL`.',
    });
  }
  const hash = tokenHash(h.slice('Bearer '.length));
  const cached = tokenCache.get(hash);
  if (cached && cached.until > Date.now()) return cached.principal;
  const row = await store.db
    .selectFrom('tokens')
    .leftJoin('users', 'users.id', 'tokens.user_id')
    .select([
      'tokens.id',
      'tokens.hash',
      'tokens.name',
      'tokens.customer_id',
      'tokens.revoked',
      'tokens.expires_at',
      'tokens.last_used_at',
      'users.id as uid',
      'users.username',
      'users.role',
      'users.customer_id as user_customer',
      'users.disabled',
    ])
    .where('tokens.hash', '=', hash)
    .executeTakeFirst();
  if (!row || row.revoked || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) {
    throw new HfxError('HFX_E_AUTH', 'the token is unknown or revoked', { hint: 'Log in again: `hfx login URL`.' });
  }
  const expires = row.expires_at ? new Date(row.expires_at).getTime() : Infinity;
  if (expires <= Date.now())
    throw new HfxError('HFX_E_AUTH', 'the token has expired', {
      hint: 'Sign in again (the dashboard), or `hfx login URL`.',
    });
  let principal: Principal;
  if (row.customer_id !== null)
    principal = { kind: 'customer', customerId: row.customer_id, tokenId: row.id, name: row.name };
  else if (row.uid === null || row.username === null || row.role === null)
    throw new HfxError('HFX_E_AUTH', 'the token has no owner');
  else if (row.disabled)
    throw new HfxError('HFX_E_AUTH', 'the token is unknown or revoked', { hint: 'Log in again: `hfx login URL`.' });
  else if (row.role === 'customer') {
    if (row.user_customer === null) throw new HfxError('HFX_E_AUTH', 'the token has no owner');
    principal = {
      kind: 'customer',
      customerId: row.user_customer,
      tokenId: row.id,
      name: row.name,
      user: { id: row.uid, username: row.username },
    };
  } else principal = { kind: 'user', userId: row.uid, username: row.username, role: row.role, tokenId: row.id };
  // "Last used" helps an admin find stale tokens to revoke; written at most hourly per token, and
  // never in the way of the request.
  if (!row.last_used_at || Date.now() - new Date(row.last_used_at).getTime() > LAST_USED_EVERY_MS) {
    store.db
      .updateTable('tokens')
      .set({ last_used_at: new Date() })
      .where('id', '=', row.id)
      .execute()
      .catch(() => undefined);
  }
  if (tokenCache.size >= 10_000) tokenCache.clear();
  // Never remembered past its expiry.
  tokenCache.set(hash, { principal, until: Math.min(Date.now() + TOKEN_CACHE_MS, expires) });
  return principal;
}

/**
 * Known tokens are remembered for a few seconds, so installations polling for updates do not
 * cost a query each. A token revoked on another server process stops working within this time;
 * on this process at once (forgetToken).
 */
const TOKEN_CACHE_MS = 5000;
const LAST_USED_EVERY_MS = 3600 * 1000;
const tokenCache = new Map<string, { principal: Principal; until: number }>();

export function forgetToken(tokenId: number): void {
  for (const [h, c] of tokenCache) if (c.principal.tokenId === tokenId) tokenCache.delete(h);
}

/** Forgets every remembered token of a user (disabled, or a new password). */
export function forgetUser(userId: number): void {
  for (const [h, c] of tokenCache) {
    const p = c.principal;
    if ((p.kind === 'user' && p.userId === userId) || (p.kind === 'customer' && p.user?.id === userId))
      tokenCache.delete(h);
  }
}

export function rank(role: Role): number {
  return ROLES.indexOf(role);
}

/** The request's user, with at least `min` role; customer tokens and anonymous callers are refused. */
export function requireRole(req: FastifyRequest, min: Role): Extract<Principal, { kind: 'user' }> {
  const p = req.principal;
  if (!p) throw new HfxError('HFX_E_AUTH', 'this needs a login', { hint: 'Log in: `hfx login URL`.' });
  if (p.kind !== 'user' || rank(p.role) < rank(min)) {
    throw new HfxError(
      'HFX_E_FORBIDDEN',
      `this needs the ${min} role${p.kind === 'user' ? `; you are ${p.role}` : ''}`,
      { hint: 'Ask an admin for the role.' },
    );
  }
  return p;
}

/** Any logged-in caller: a user, or an installation's customer token. */
export function requireAny(req: FastifyRequest): Principal {
  if (!req.principal)
    throw new HfxError('HFX_E_AUTH', 'this needs a login or an installation token', {
      hint: 'Log in: `hfx login URL`.',
    });
  return req.principal;
}

/** Who a service acts for: the name the audit log records and the role its rules check. */
export interface Actor {
  name: string;
  role: Role;
}

export function actorName(p: Principal): string {
  return p.kind === 'user' ? p.username : `customer:${p.customerId}/${p.user ? p.user.username : p.name}`;
}
