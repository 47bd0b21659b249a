import { HfxError } from '../../../errors.js';
import { loginToken, loginUser } from '../../../client/remote.js';
import { checkServerUrl } from '../../../client/server-url.js';
import { onePositional, type Command } from '../../command.js';
import type { Io, Output } from '../../output.js';
import { readSecret, readStdin } from '../../read-secret.js';

const HELP = 'See `hfx login --help`.';

/** The installation token: --token-stdin, --token, else HFX_TOKEN; undefined for a user login. */
async function installationToken(v: Record<string, unknown>, io: Io, out: Output): Promise<string | undefined> {
  const flag = typeof v['token'] === 'string' ? v['token'] : undefined;
  const fromStdin = v['token-stdin'] === true;
  if (flag !== undefined && fromStdin) throw new HfxError('HFX_E_USAGE', 'give the token by --token-stdin or by --token, not both', { hint: HELP });
  let token: string | undefined;
  if (fromStdin) token = (await readStdin(io)).trim();
  else if (flag !== undefined) {
    out.warn('--token puts the token in the process list (ps) and the shell history, where other users of this machine can read it; '
      + 'give it on standard input with --token-stdin, or in HFX_TOKEN');
    token = flag.trim();
  } else if (v['user'] === undefined) token = io.env['HFX_TOKEN']?.trim() || undefined;
  if (token === '') throw new HfxError('HFX_E_USAGE', fromStdin ? 'no token on standard input' : '--token is empty', { hint: HELP });
  return token;
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'log in to an hfx server (a user), or link an installation to it (an installation token)',
  usage: 'hfx login URL --user NAME [--password-stdin] [--insecure] | hfx login URL --token-stdin [--home DIR] [--insecure]',
  details: `A user login is kept in $HFX_CONFIG_DIR (default ~/.config/hfx)/config.json, mode 0600; the
password comes from HFX_PASSWORD, standard input, or a prompt. An installation token comes from
standard input with --token-stdin, or from HFX_TOKEN (when no --user or --token flag is given);
--token TOKEN still works but shows the token to every user of the machine (ps, shell history), so
it warns. With a token and --home, the installation is linked to the server (.hfx/server.json, mode
0600) for check, apply --server, update --server and state --report. Either way the server's metadata
key is pinned now: later metadata signed by another key is refused.
Plain http:// is refused (HFX_E_INSECURE) unless the server is this machine (localhost, 127.0.0.0/8,
::1): the password or token would cross the network in clear. --insecure allows it on a network you
trust.`,
  examples: [
    '$ hfx login https://hfx.example.com --user alice',
    '$ hfx login https://hfx.example.com --token-stdin --home /opt/wso2am < acme-prod-1.token',
    '$ HFX_TOKEN="$(cat /run/secrets/hfx-token)" hfx login https://hfx.example.com --home /opt/wso2am',
    '$ hfx login http://hfx.lab.internal:8080 --user alice --insecure',
  ],
  options: {
    user: { type: 'string' },
    token: { type: 'string' },
    'token-stdin': { type: 'boolean' },
    home: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    insecure: { type: 'boolean' },
  },
  async run({ values: v, positionals }, { io, out, path }) {
    const url = onePositional(positionals, 'URL', 'login');
    const tokenGiven = v['token'] !== undefined || v['token-stdin'] === true;
    if (v['user'] !== undefined && tokenGiven) throw new HfxError('HFX_E_USAGE', 'give --user NAME or an installation token, not both', { hint: HELP });
    if (v['user'] === undefined && !tokenGiven && !io.env['HFX_TOKEN']?.trim()) {
      throw new HfxError('HFX_E_USAGE', 'give --user NAME, or an installation token with --token-stdin or HFX_TOKEN', { hint: HELP });
    }
    // Refused before a secret is read or anything is sent.
    checkServerUrl(url, { insecure: v['insecure'] === true });
    const token = await installationToken(v, io, out);
    const password = () => readSecret(io, { envVar: 'HFX_PASSWORD', fromStdin: v['password-stdin'] === true, prompt: 'password: ' });
    const r = token !== undefined
      ? await loginToken(io.env, url, token, typeof v['home'] === 'string' ? path(v['home']) : undefined)
      : await loginUser(io.env, url, v['user'] as string, await password());
    out.result({ url: r.url, who: r.who, keyid: r.keyid, file: r.file });
    out.line(`${out.c.green('✓')} logged in to ${r.url} as ${r.who}; saved in ${r.file}`);
    out.line(`  server metadata key ${r.keyid.slice(0, 16)} pinned`);
    return 0;
  },
};
