import { readFileSync } from 'node:fs';
import { loginMirror, loginToken, loginUser, type RootChoice, type RootInfo } from '../../../client/remote.js';
import { checkServerUrl } from '../../../client/server-url.js';
import { nonEmpty } from '../../../env.js';
import { HfxError } from '../../../errors.js';
import { defineCommand, flags, type FlagValues } from '../../command.js';
import type { Io, Output } from '../../output.js';
import { openPrompt, readSecret, readStdin, terminalOf } from '../../prompt.js';

const HELP = 'See `hfx login --help`.';

const LOGIN_FLAGS = flags({
  user: { type: 'string' },
  token: { type: 'string' },
  'token-stdin': { type: 'boolean' },
  home: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  insecure: { type: 'boolean' },
  root: { type: 'string' },
});
type LoginFlags = FlagValues<typeof LOGIN_FLAGS>;

/** The installation token: --token-stdin, --token, else HFX_TOKEN; undefined for a user login. */
async function installationToken(v: LoginFlags, io: Io, out: Output): Promise<string | undefined> {
  const flag = v.token;
  const fromStdin = v['token-stdin'] === true;
  if (flag !== undefined && fromStdin)
    throw new HfxError('HFX_E_USAGE', 'give the token by --token-stdin or by --token, not both', { hint: HELP });
  let token: string | undefined;
  if (fromStdin) token = (await readStdin(io)).trim();
  else if (flag !== undefined) {
    out.warn(
      '--token puts the token in the process list (ps) and the shell history, where other users of this machine can read it; ' +
        'give it on standard input with --token-stdin, or in HFX_TOKEN',
    );
    token = flag.trim();
  } else if (v.user === undefined) token = nonEmpty(io.env.HFX_TOKEN?.trim());
  if (token === '')
    throw new HfxError('HFX_E_USAGE', fromStdin ? 'no token on standard input' : '--token is empty', { hint: HELP });
  return token;
}

/** --root FILE; else, on a terminal, a question about the server's own root. */
function rootChoice(v: LoginFlags, io: Io, path: (p: string) => string): RootChoice {
  if (v.root !== undefined) {
    try {
      return { root: readFileSync(path(v.root)) };
    } catch (e) {
      throw new HfxError(
        'HFX_E_NOT_FOUND',
        `cannot read the root ${v.root}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        { hint: 'The vendor gives N.root.json with the installation token.' },
      );
    }
  }
  const stdin = terminalOf(io);
  if (!stdin || !io.stderr.isTTY) return {};
  return {
    confirm: async (info: RootInfo) => {
      io.stderr.write(
        `The server offers TUF root ${info.version}, signed by ${info.threshold} of these keys:\n${info.keyids.map((k) => `  ${k}\n`).join('')}`,
      );
      const prompt = openPrompt(stdin, io.stderr);
      try {
        return /^y(es)?$/i.test((await prompt.ask("Are these your vendor's root keys? Trust them [y/N] ")).trim());
      } finally {
        prompt.close();
      }
    },
  };
}

export const loginCommand = defineCommand({
  name: 'login',
  summary: 'log in to an hfx server (a user), or link an installation to it (an installation token)',
  usage:
    'hfx login URL --user NAME [--password-stdin] [--insecure] | hfx login URL --token-stdin [--home DIR --root FILE] [--insecure]\n       hfx login file:///MIRROR --home DIR --root FILE',
  details: `A user login is kept in $HFX_CONFIG_DIR (default ~/.config/hfx)/config.json, mode 0600; the
password comes from HFX_PASSWORD, standard input, or a prompt. An installation token comes from
standard input with --token-stdin, or from HFX_TOKEN (when no --user or --token flag is given);
--token TOKEN still works but shows the token to every user of the machine (ps, shell history), so
it warns. With a token and --home, the installation is linked to the server (.hfx/server.json, mode
0600) for check, apply --server, update --server and state --report, and trusts its customer's TUF
repository from --root FILE: the N.root.json the vendor gave out of band (docs/distribution.md).
Without --root, on a terminal, hfx shows the server's root (its key ids and threshold) and asks;
elsewhere it refuses. Every later check walks the roots from there, and refuses metadata the
trusted keys did not sign, that expired, or that is older than what it saw before.
A static mirror made by hfx tuf export (a directory carried into a site without a connection) is
linked with a file:// URL, --home and --root: the same checks, and nothing is reported.
Plain http:// is refused (HFX_E_INSECURE) unless the server is this machine (localhost, 127.0.0.0/8,
::1): the password or token would cross the network in clear. --insecure allows it on a network you
trust.`,
  examples: [
    '$ hfx login https://hfx.example.com --user alice',
    '$ hfx login https://hfx.example.com --token-stdin --home /opt/wso2am --root 1.root.json < acme-prod-1.token',
    '$ HFX_TOKEN="$(cat /run/secrets/hfx-token)" hfx login https://hfx.example.com --home /opt/wso2am --root 1.root.json',
    '$ hfx login file:///media/usb/acme-mirror --home /opt/wso2am --root 1.root.json   # a site without a connection',
    '$ hfx login http://hfx.lab.internal:8080 --user alice --insecure',
  ],
  options: LOGIN_FLAGS,
  args: ['URL'],
  async run({ values: v, args: [url] }, { io, out, path }) {
    const choice = rootChoice(v, io, path);
    if (url.startsWith('file:')) {
      if (v.home === undefined || !choice.root)
        throw new HfxError('HFX_E_USAGE', 'a mirror is linked to an installation with --home DIR and --root FILE', {
          hint: HELP,
        });
      const m = await loginMirror(url, path(v.home), choice);
      out.result({ url: m.url, who: m.who, file: m.file, root: m.root });
      out.line(`${out.c.green('✓')} ${m.file} reads the mirror ${m.url}`);
      out.line(
        `  TUF root ${m.root.version} trusted: ${m.root.threshold} of ${m.root.keyids.map((k) => k.slice(0, 12)).join(', ')}`,
      );
      return 0;
    }
    const tokenGiven = v.token !== undefined || v['token-stdin'] === true;
    if (v.user !== undefined && tokenGiven)
      throw new HfxError('HFX_E_USAGE', 'give --user NAME or an installation token, not both', { hint: HELP });
    if (v.user === undefined && !tokenGiven && !io.env.HFX_TOKEN?.trim()) {
      throw new HfxError('HFX_E_USAGE', 'give --user NAME, or an installation token with --token-stdin or HFX_TOKEN', {
        hint: HELP,
      });
    }
    // Refused before a secret is read or anything is sent.
    checkServerUrl(url, { insecure: v.insecure === true });
    const token = await installationToken(v, io, out);
    const password = () =>
      readSecret(io, { envVar: 'HFX_PASSWORD', fromStdin: v['password-stdin'] === true, prompt: 'password: ' });
    const r =
      token !== undefined
        ? await loginToken(io.env, url, token, v.home !== undefined ? path(v.home) : undefined, choice)
        : // Without a token there is a --user: checked above.
          await loginUser(io.env, url, v.user ?? '', await password());
    const root = 'root' in r ? (r.root as RootInfo | undefined) : undefined;
    out.result({ url: r.url, who: r.who, file: r.file, ...(root ? { root } : {}) });
    out.line(`${out.c.green('✓')} logged in to ${r.url} as ${r.who}; saved in ${r.file}`);
    if (root)
      out.line(
        `  TUF root ${root.version} trusted: ${root.threshold} of ${root.keyids.map((k) => k.slice(0, 12)).join(', ')}`,
      );
    return 0;
  },
});
