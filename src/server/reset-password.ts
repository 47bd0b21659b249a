import { randomBytes } from 'node:crypto';
import { HfxError } from '../errors.js';
import { openStore } from '../store/store.js';
import { forgetUser, hashPassword } from './auth.js';
import { audit } from './audit.js';

/**
 * A lost admin password, recovered by whoever runs the server (`hfx serve --reset-admin-password`):
 * the user gets a new password, is enabled again if it was disabled, and every token it had is
 * revoked (a lost password may be a stolen one). Works on the data directory's PGlite or on
 * DATABASE_URL, with no server running or with others running on the same PostgreSQL; audited.
 */
export async function resetPassword(opts: {
  dataDir: string;
  databaseUrl?: string | undefined;
  username: string;
  password?: string | undefined;
}): Promise<{ username: string; password: string; generated: boolean; revoked: number }> {
  if (opts.password !== undefined && opts.password.length < 12)
    throw new HfxError('HFX_E_USAGE', 'the new password is shorter than 12 characters');
  const store = await openStore({ url: opts.databaseUrl, dataDir: opts.dataDir });
  try {
    const password = opts.password ?? randomBytes(18).toString('base64url');
    const hash = await hashPassword(password);
    const r = await store.db.transaction().execute(async (tx) => {
      const u = await tx
        .selectFrom('users')
        .select(['id', 'role'])
        .where('username', '=', opts.username)
        .forUpdate()
        .executeTakeFirst();
      if (!u) return null;
      await tx.updateTable('users').set({ password_hash: hash, disabled: false }).where('id', '=', u.id).execute();
      const t = await tx
        .updateTable('tokens')
        .set({ revoked: true })
        .where('user_id', '=', u.id)
        .where('revoked', '=', false)
        .executeTakeFirst();
      await tx.deleteFrom('login_failures').where('username', '=', opts.username).execute();
      await audit(tx, 'hfx serve --reset-admin-password', 'reset-password', 'user', opts.username, {
        role: u.role,
        tokensRevoked: Number(t.numUpdatedRows),
      });
      return { id: u.id, revoked: Number(t.numUpdatedRows) };
    });
    if (!r)
      throw new HfxError('HFX_E_NOT_FOUND', `no user ${opts.username} in this server's database`, {
        hint: "Check --data (or DATABASE_URL) is the server's, and the user name (`--user NAME`).",
      });
    forgetUser(r.id);
    return { username: opts.username, password, generated: opts.password === undefined, revoked: r.revoked };
  } finally {
    await store.close();
  }
}
