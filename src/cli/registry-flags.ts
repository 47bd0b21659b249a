// The registry login flags shared by `hfx push --oci` and `hfx apply|update oci://…`, read as
// `hfx image --push` reads them.
import { HfxError } from '../errors.js';
import { nonEmpty } from '../env.js';
import type { RegistryAccess } from '../client/oci.js';
import { flags, type FlagValues } from './command.js';

export const REGISTRY_FLAGS = flags({
  username: { type: 'string' },
  password: { type: 'string' },
  insecure: { type: 'boolean' },
});

export const REGISTRY_FLAGS_HELP = `  --username, --password  registry login (else HFX_REGISTRY_USER / HFX_REGISTRY_PASSWORD); basic or bearer
  --insecure              plain http for a registry other than localhost/127.x`;

/**
 * The login for a registry source or target; `used` says whether the command talks to a registry
 * at all, since the flags mean nothing otherwise.
 */
export function registryAccess(
  v: FlagValues<typeof REGISTRY_FLAGS>,
  env: NodeJS.ProcessEnv,
  used: boolean,
  cmd: string,
): RegistryAccess {
  const given = (['username', 'password', 'insecure'] as const).find((k) => v[k] !== undefined);
  if (!used) {
    if (given !== undefined)
      throw new HfxError('HFX_E_USAGE', `--${given} goes with a registry (oci://… or --oci)`, {
        hint: `See \`hfx ${cmd} --help\`.`,
      });
    return { creds: null, insecure: false };
  }
  const user = v.username ?? nonEmpty(env.HFX_REGISTRY_USER);
  const pass = v.password ?? nonEmpty(env.HFX_REGISTRY_PASSWORD);
  if ((user === undefined) !== (pass === undefined)) {
    throw new HfxError(
      'HFX_E_USAGE',
      user === undefined ? 'a registry password without a user name' : `no password for the registry user ${user}`,
      {
        hint: 'Give both: --username and --password, or HFX_REGISTRY_USER and HFX_REGISTRY_PASSWORD.',
      },
    );
  }
  return {
    creds: user !== undefined && pass !== undefined ? { username: user, password: pass } : null,
    insecure: v.insecure === true,
  };
}
