import { HfxError, isHfxError } from '../../errors.js';
import { addressKey, loginSucceeded, reserveAttempt } from '../login-throttle.js';
import type { Ctx } from '../app.js';
import { actorName, checkPassword, forgetToken, newToken, requireAny, requireRole } from '../auth.js';
import { audit } from '../audit.js';
import { SERIAL_ID, obj, str } from './schemas.js';
import type { TokenRow } from '../../wire/admin.js';
import { routePlugin } from './plugin.js';

/** The longest a token made with a `ttl` lives: 90 days. */
const MAX_TTL = 90 * 24 * 3600;
const TOKEN_LIST_MAX = 1000;

export function authRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return routePlugin((app) => {
    app.post<{ Body: { username: string; password: string; name?: string; ttl?: number } }>(
      '/v1/login',
      {
        config: { allow: 'public' },
        schema: {
          summary: 'Log in; returns an API token (with `ttl`, one that expires after that many seconds)',
          security: [],
          body: obj(
            {
              username: str(),
              password: str(1024),
              name: str(),
              ttl: { type: 'integer', minimum: 60, maximum: MAX_TTL },
            },
            ['username', 'password'],
          ),
        },
      },
      async (req, reply) => {
        const { username, password } = req.body;
        // Counted in the database, so the limit holds across server processes (login-throttle.ts).
        const address = addressKey(req.ip);
        try {
          await reserveAttempt(db, username, address);
        } catch (e) {
          if (isHfxError(e, 'HFX_E_RATE_LIMITED'))
            reply.header('retry-after', String((e.details as { retryAfter: number }).retryAfter));
          throw e;
        }
        const user = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
        // Without a user, a dummy hash is still checked so timing does not reveal which usernames exist.
        const ok = await checkPassword(
          password,
          user?.password_hash ?? 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        );
        if (!user || !ok) throw new HfxError('HFX_E_AUTH', 'wrong username or password');
        await loginSucceeded(db, username, address);
        // Said only to whoever knows the password: a disabled user cannot be told from a wrong guess otherwise.
        if (user.disabled)
          throw new HfxError('HFX_E_AUTH', `user ${user.username} is disabled`, {
            hint: 'Ask an admin to enable it again.',
          });
        const t = newToken();
        const expiresAt = req.body.ttl ? new Date(Date.now() + req.body.ttl * 1000) : null;
        await db
          .insertInto('tokens')
          .values({
            hash: t.hash,
            name: req.body.name ?? 'login',
            user_id: user.id,
            customer_id: null,
            expires_at: expiresAt,
          })
          .execute();
        await audit(db, user.username, 'login', 'user', user.username);
        return reply.status(201).send({
          token: t.token,
          user: { username: user.username, role: user.role, customer: user.customer_id },
          expiresAt: expiresAt?.toISOString() ?? null,
        });
      },
    );

    app.get('/v1/me', { config: { allow: 'login' }, schema: { summary: 'Who the token belongs to' } }, async (req) => {
      const p = requireAny(req);
      if (p.kind === 'customer' && p.user)
        return { kind: 'customer-user', username: p.user.username, customer: p.customerId };
      if (p.kind === 'customer') return { kind: 'customer', customer: p.customerId, token: p.name };
      const u = await db.selectFrom('users').select(['email']).where('id', '=', p.userId).executeTakeFirst();
      return { kind: 'user', username: p.username, role: p.role, email: u?.email ?? null };
    });

    app.post(
      '/v1/logout',
      { config: { allow: 'login' }, schema: { summary: 'Revoke the token used for this request' } },
      async (req) => {
        const p = requireAny(req);
        await db.updateTable('tokens').set({ revoked: true }).where('id', '=', p.tokenId).execute();
        forgetToken(p.tokenId);
        return { ok: true };
      },
    );

    app.post<{ Body: { name: string } }>(
      '/v1/tokens',
      {
        config: { allow: 'viewer' },
        schema: { summary: 'Make another API token for yourself; shown once', body: obj({ name: str() }, ['name']) },
      },
      async (req, reply) => {
        const me = requireRole(req, 'viewer');
        const t = newToken();
        await db
          .insertInto('tokens')
          .values({ hash: t.hash, name: req.body.name, user_id: me.userId, customer_id: null })
          .execute();
        await audit(db, actorName(me), 'create-token', 'user', me.username, { name: req.body.name });
        return reply.status(201).send({ token: t.token, name: req.body.name });
      },
    );

    app.get<{ Querystring: { all?: boolean } }>(
      '/v1/tokens',
      {
        config: { allow: 'viewer' },
        schema: {
          summary:
            "Tokens in use: your own; an admin sees everyone's (users' and installations'); `all` adds revoked and expired ones",
          querystring: { type: 'object', additionalProperties: false, properties: { all: { type: 'boolean' } } },
        },
      },
      async (req): Promise<{ tokens: TokenRow[]; capped: boolean }> => {
        const me = requireRole(req, 'viewer');
        let q = db
          .selectFrom('tokens')
          .leftJoin('users', 'users.id', 'tokens.user_id')
          .select([
            'tokens.id',
            'tokens.name',
            'users.username as user',
            'tokens.customer_id as customer',
            'tokens.created_at as createdAt',
            'tokens.last_used_at as lastUsedAt',
            'tokens.expires_at as expiresAt',
            'tokens.revoked',
          ])
          .orderBy('tokens.id', 'desc')
          .limit(TOKEN_LIST_MAX);
        if (me.role !== 'admin') q = q.where('tokens.user_id', '=', me.userId);
        if (!req.query.all)
          q = q
            .where('tokens.revoked', '=', false)
            .where((e) => e.or([e('tokens.expires_at', 'is', null), e('tokens.expires_at', '>', new Date())]));
        const rows = await q.execute();
        const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
        const tokens = rows.map((r) => ({
          ...r,
          createdAt: new Date(r.createdAt).toISOString(),
          lastUsedAt: iso(r.lastUsedAt),
          expiresAt: iso(r.expiresAt),
          current: r.id === me.tokenId,
        }));
        return { tokens, capped: rows.length === TOKEN_LIST_MAX };
      },
    );

    app.delete<{ Params: { id: number } }>(
      '/v1/tokens/:id',
      {
        config: { allow: 'viewer' },
        schema: {
          summary: "Revoke a token: your own, or (admin) anyone's, installations' included",
          params: obj({ id: SERIAL_ID }, ['id']),
        },
      },
      async (req) => {
        const me = requireRole(req, 'viewer');
        const t = await db
          .selectFrom('tokens')
          .leftJoin('users', 'users.id', 'tokens.user_id')
          .select(['tokens.id', 'tokens.name', 'tokens.user_id', 'users.username', 'tokens.customer_id'])
          .where('tokens.id', '=', req.params.id)
          .executeTakeFirst();
        // Someone else's token reads exactly like no token: ids do not tell a non-admin what exists.
        if (!t || (me.role !== 'admin' && t.user_id !== me.userId)) {
          throw new HfxError('HFX_E_NOT_FOUND', `no token ${req.params.id} of yours`, {
            hint: 'List the tokens you may revoke: `hfx token list`.',
          });
        }
        // Two revocations at once: one of them changes the row and is audited, with it or not at all.
        const changed = await db.transaction().execute(async (tx) => {
          const r = await tx
            .updateTable('tokens')
            .set({ revoked: true })
            .where('id', '=', t.id)
            .where('revoked', '=', false)
            .executeTakeFirst();
          if (Number(r.numUpdatedRows) === 0) return false;
          await audit(
            tx,
            actorName(me),
            'revoke-token',
            t.customer_id ? 'customer' : 'user',
            t.customer_id ?? t.username ?? '',
            { token: t.id, name: t.name },
          );
          return true;
        });
        forgetToken(t.id);
        return { id: t.id, revoked: true, already: !changed };
      },
    );
  });
}
