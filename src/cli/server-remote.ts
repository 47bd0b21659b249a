import { currentLogin } from '../client/config.js';
import { userRemote } from '../client/environments.js';
import type { Remote } from '../client/http.js';
import type { Ctx } from './command.js';

/**
 * The server a command talks to as the user: the login of --server URL, else the current one
 * (`hfx login URL --user NAME`), as a Remote that `call` takes. The commands that act on the
 * server with a user's login (user, customer, key, token, env, rollout, deploy, propagate,
 * tuf export) each had this same line; kept in one place so that they all pick the login, and
 * refuse a missing one (HFX_E_AUTH), the same way.
 */
export function remoteOf(ctx: Pick<Ctx, 'io'>, v: { readonly server?: string | undefined }): Remote {
  return userRemote(currentLogin(ctx.io.env, v.server));
}
