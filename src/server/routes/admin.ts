import { sql, type Kysely, type Transaction } from 'kysely';
import { HfxError } from '../../errors.js';
import { keyId, parsePublicKey } from '../../engine/index.js';
import { USER_ROLES, type Database, type UserRole } from '../../store/schema.js';
import type { Ctx } from '../app.js';
import { forgetUser, hashPassword, newToken, requireRole } from '../auth.js';
import { audit } from '../audit.js';
import { EMAIL, NAME_PATTERN, obj, str } from './schemas.js';
import type { CustomerRow, UserRow } from '../../wire/admin.js';
import { routePlugin } from './plugin.js';

const USERNAME = { type: 'string', pattern: NAME_PATTERN } as const;

/** At least one admin can always sign in: the last one is neither disabled nor demoted. */
async function keepAnAdmin(tx: Transaction<Database>, username: string): Promise<void> {
  const others = await tx
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled', '=', false)
    .where('username', '<>', username)
    .limit(1)
    .executeTakeFirst();
  if (!others)
    throw new HfxError('HFX_E_USAGE', `${username} is the last admin who can sign in`, {
      hint: 'Make another admin first: `hfx user add NAME --role admin`.',
    });
}

async function usersOf(db: Kysely<Database>): Promise<UserRow[]> {
  const rows = await db
    .selectFrom('users')
    .select(['username', 'role', 'customer_id', 'email', 'disabled', 'created_at'])
    .orderBy('username')
    .execute();
  return rows.map((r) => ({
    username: r.username,
    role: r.role,
    customer: r.customer_id,
    email: r.email,
    disabled: r.disabled,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

/** One user as usersOf shows it, read after a change to it; HFX_E_NOT_FOUND if it is not there. */
async function userOf(db: Kysely<Database>, username: string): Promise<UserRow> {
  const u = (await usersOf(db)).find((x) => x.username === username);
  if (!u) throw new HfxError('HFX_E_NOT_FOUND', `no user ${username}`, { hint: 'List the users: `hfx user list`.' });
  return u;
}

/** Administration (admin; customers are listed for release managers too): users, customers, publisher keys. */
export function adminRoutes(ctx: Ctx) {
  const db = ctx.store.db;
  return routePlugin((app) => {
    app.get(
      '/v1/users',
      { config: { allow: 'admin' }, schema: { summary: 'List users (admin)' } },
      async (req): Promise<{ users: UserRow[] }> => {
        requireRole(req, 'admin');
        return { users: await usersOf(db) };
      },
    );

    app.post<{ Body: { username: string; password: string; role: UserRole; email?: string; customer?: string } }>(
      '/v1/users',
      {
        config: { allow: 'admin' },
        schema: {
          summary:
            "Create a user (admin): a vendor role, or role `customer` with `customer` (that customer's own people); `email` is the one address the user may subscribe to notifications",
          body: obj(
            {
              username: USERNAME,
              password: { type: 'string', minLength: 12, maxLength: 1024 },
              role: { type: 'string', enum: [...USER_ROLES] },
              email: EMAIL,
              customer: { type: 'string', pattern: NAME_PATTERN },
            },
            ['username', 'password', 'role'],
          ),
        },
      },
      async (req, reply): Promise<UserRow> => {
        const me = requireRole(req, 'admin');
        const b = req.body;
        if ((b.role === 'customer') !== (b.customer !== undefined)) {
          throw new HfxError(
            'HFX_E_USAGE',
            b.role === 'customer'
              ? 'a customer user needs `customer`: whose people they are'
              : 'only a user with role `customer` belongs to a customer',
            { hint: 'For example: `hfx user add ops-lead --role customer --customer acme`.' },
          );
        }
        if (
          b.customer &&
          !(await db.selectFrom('customers').select('id').where('id', '=', b.customer).executeTakeFirst())
        ) {
          throw new HfxError('HFX_E_NOT_FOUND', `no customer ${b.customer}`, {
            hint: 'List the customers: `hfx customer list`.',
          });
        }
        const hash = await hashPassword(b.password);
        const created = await db.transaction().execute(async (tx) => {
          const r = await tx
            .insertInto('users')
            .values({
              username: b.username,
              password_hash: hash,
              role: b.role,
              email: b.email ?? null,
              customer_id: b.customer ?? null,
            })
            .onConflict((c) => c.column('username').doNothing())
            .executeTakeFirst();
          if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
          await audit(tx, me.username, 'create', 'user', b.username, {
            role: b.role,
            email: b.email ?? null,
            customer: b.customer ?? null,
          });
          return true;
        });
        if (!created)
          throw new HfxError('HFX_E_USAGE', `user ${b.username} exists`, { hint: 'List the users: `hfx user list`.' });
        return reply.status(201).send(await userOf(db, b.username));
      },
    );

    app.patch<{ Params: { username: string }; Body: { email?: string | null; role?: UserRole; disabled?: boolean } }>(
      '/v1/users/:username',
      {
        config: { allow: 'admin' },
        schema: {
          summary:
            'Change a user (admin): e-mail of record (null removes it), vendor role, or disabled (no sign-in; its tokens are revoked)',
          params: obj({ username: USERNAME }, ['username']),
          body: {
            ...obj(
              {
                email: { anyOf: [EMAIL, { type: 'null' }] },
                role: { type: 'string', enum: [...USER_ROLES] },
                disabled: { type: 'boolean' },
              },
              [],
            ),
            minProperties: 1,
          },
        },
      },
      async (req): Promise<UserRow> => {
        const me = requireRole(req, 'admin');
        const b = req.body;
        const userId = await db.transaction().execute(async (tx) => {
          const u = await tx
            .selectFrom('users')
            .select(['id', 'role', 'disabled', 'email'])
            .where('username', '=', req.params.username)
            .forUpdate()
            .executeTakeFirst();
          if (!u)
            throw new HfxError('HFX_E_NOT_FOUND', `no user ${req.params.username}`, {
              hint: 'List the users: `hfx user list`.',
            });
          if (b.role !== undefined && (b.role === 'customer') !== (u.role === 'customer')) {
            throw new HfxError(
              'HFX_E_USAGE',
              u.role === 'customer'
                ? "a customer's user cannot be given a vendor role"
                : 'a vendor user cannot become a customer user',
              { hint: 'Make a new user with the role instead.' },
            );
          }
          const demoted = u.role === 'admin' && ((b.role !== undefined && b.role !== 'admin') || b.disabled === true);
          if (demoted && !u.disabled) {
            // Taken in one order by every such change, so two admins disabling each other cannot both win.
            await sql`select pg_advisory_xact_lock(hashtext('hfx-admins'))`.execute(tx);
            await keepAnAdmin(tx, req.params.username);
          }
          const set = {
            ...(b.email !== undefined ? { email: b.email } : {}),
            ...(b.role !== undefined ? { role: b.role } : {}),
            ...(b.disabled !== undefined ? { disabled: b.disabled } : {}),
          };
          await tx.updateTable('users').set(set).where('id', '=', u.id).execute();
          if (b.disabled === true)
            await tx
              .updateTable('tokens')
              .set({ revoked: true })
              .where('user_id', '=', u.id)
              .where('revoked', '=', false)
              .execute();
          await audit(
            tx,
            me.username,
            b.disabled === true ? 'disable' : b.disabled === false ? 'enable' : 'update',
            'user',
            req.params.username,
            set,
          );
          return u.id;
        });
        forgetUser(userId);
        return userOf(db, req.params.username);
      },
    );

    app.get(
      '/v1/customers',
      {
        config: { allow: 'release-manager' },
        schema: { summary: 'List customers with their installation tokens, installations and users (release-manager)' },
      },
      async (req): Promise<{ customers: CustomerRow[] }> => {
        requireRole(req, 'release-manager');
        const rows = await sql<{
          id: string;
          name: string;
          created_at: Date;
          tokens: number;
          installations: number;
          users: number;
        }>`
        select c.id, c.name, c.created_at,
          (select count(*)::int from tokens t where t.customer_id = c.id and not t.revoked and (t.expires_at is null or t.expires_at > now())) as tokens,
          (select count(*)::int from installations i where i.customer_id = c.id) as installations,
          (select count(*)::int from users u where u.customer_id = c.id and not u.disabled) as users
        from customers c order by c.id`.execute(db);
        return {
          customers: rows.rows.map((r) => ({
            id: r.id,
            name: r.name,
            createdAt: new Date(r.created_at).toISOString(),
            tokens: r.tokens,
            installations: r.installations,
            users: r.users,
          })),
        };
      },
    );

    app.post<{ Body: { id: string; name: string } }>(
      '/v1/customers',
      {
        config: { allow: 'admin' },
        schema: {
          summary: 'Create a customer (admin)',
          body: obj({ id: { type: 'string', pattern: NAME_PATTERN }, name: str() }, ['id', 'name']),
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'admin');
        const created = await db.transaction().execute(async (tx) => {
          const r = await tx
            .insertInto('customers')
            .values({ id: req.body.id, name: req.body.name })
            .onConflict((c) => c.column('id').doNothing())
            .executeTakeFirst();
          if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
          await audit(tx, me.username, 'create', 'customer', req.body.id, { name: req.body.name });
          return true;
        });
        if (!created)
          throw new HfxError('HFX_E_USAGE', `customer ${req.body.id} exists`, {
            hint: 'List the customers: `hfx customer list`.',
          });
        return reply.status(201).send({ id: req.body.id, name: req.body.name });
      },
    );

    app.post<{ Params: { id: string }; Body: { name: string } }>(
      '/v1/customers/:id/tokens',
      {
        config: { allow: 'admin' },
        schema: {
          summary: "Make a token for a customer's installations (admin); shown once",
          params: obj({ id: str() }, ['id']),
          body: obj({ name: str() }, ['name']),
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'admin');
        const c = await db.selectFrom('customers').select('id').where('id', '=', req.params.id).executeTakeFirst();
        if (!c)
          throw new HfxError('HFX_E_NOT_FOUND', `no customer ${req.params.id}`, {
            hint: 'List the customers: `hfx customer list`.',
          });
        const t = newToken();
        await db.transaction().execute(async (tx) => {
          await tx
            .insertInto('tokens')
            .values({ hash: t.hash, name: req.body.name, user_id: null, customer_id: c.id })
            .execute();
          await audit(tx, me.username, 'create-token', 'customer', c.id, { name: req.body.name });
        });
        return reply.status(201).send({ token: t.token, customer: c.id, name: req.body.name });
      },
    );

    app.get(
      '/v1/publisher-keys',
      { config: { allow: 'viewer' }, schema: { summary: 'Keys whose signatures the server accepts on uploads' } },
      async (req) => {
        requireRole(req, 'viewer');
        return {
          keys: await db
            .selectFrom('publisher_keys')
            .select(['keyid', 'name', 'public_pem', 'created_at'])
            .orderBy('name')
            .execute(),
        };
      },
    );

    app.post<{ Body: { name: string; publicKey: string } }>(
      '/v1/publisher-keys',
      {
        config: { allow: 'admin' },
        schema: {
          summary: 'Trust a publisher key (admin)',
          body: obj({ name: str(), publicKey: str(4096) }, ['name', 'publicKey']),
        },
      },
      async (req, reply) => {
        const me = requireRole(req, 'admin');
        const key = parsePublicKey(req.body.publicKey, 'publicKey');
        const id = keyId(key);
        const added = await db.transaction().execute(async (tx) => {
          const r = await tx
            .insertInto('publisher_keys')
            .values({ keyid: id, name: req.body.name, public_pem: req.body.publicKey })
            .onConflict((c) => c.column('keyid').doNothing())
            .executeTakeFirst();
          const fresh = Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
          if (fresh) await audit(tx, me.username, 'trust', 'publisher-key', id, { name: req.body.name });
          return fresh;
        });
        // Trusting a key again answers as the first time did (idempotent), with `existed` set and the name it has.
        const name = added
          ? req.body.name
          : ((await db.selectFrom('publisher_keys').select('name').where('keyid', '=', id).executeTakeFirst())?.name ??
            req.body.name);
        return reply.status(added ? 201 : 200).send({ keyid: id, name, existed: !added });
      },
    );
  });
}
