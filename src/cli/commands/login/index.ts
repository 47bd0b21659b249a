import { createInterface } from 'node:readline/promises';
import { HfxError } from '../../../errors.js';
import { loginToken, loginUser } from '../../../client/remote.js';
import { onePositional, type Command } from '../../command.js';

async function readPassword(io: { env: NodeJS.ProcessEnv; stdin?: NodeJS.ReadableStream }, fromStdin: boolean): Promise<string> {
  if (io.env['HFX_PASSWORD']) return io.env['HFX_PASSWORD'];
  const stdin = io.stdin ?? process.stdin;
  if (fromStdin || !(stdin as { isTTY?: boolean }).isTTY) {
    let s = '';
    for await (const c of stdin) s += c;
    return s.replace(/\r?\n$/, '');
  }
  const rl = createInterface({ input: stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question('password: ');
  } finally {
    rl.close();
  }
}

export const loginCommand: Command = {
  name: 'login',
  summary: 'log in to an hfx server (a user), or link an installation to it (an installation token)',
  usage: 'hfx login URL --user NAME [--password-stdin] | hfx login URL --token TOKEN [--home DIR]',
  details: `A user login is kept in $HFX_CONFIG_DIR (default ~/.config/hfx)/config.json, mode 0600; the
password comes from HFX_PASSWORD, standard input, or a prompt. With --token and --home, the
installation is linked to the server (.hfx/server.json, mode 0600) for check, apply --server,
update --server and state --report. Either way the server's metadata key is pinned now: later
metadata signed by another key is refused.`,
  examples: [
    '$ hfx login https://hfx.example.com --user alice',
    '$ hfx login https://hfx.example.com --token hfx_… --home /opt/wso2am',
  ],
  options: { user: { type: 'string' }, token: { type: 'string' }, home: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
  async run({ values: v, positionals }, { io, out, path }) {
    const url = onePositional(positionals, 'URL', 'login');
    if (!/^https?:\/\//.test(url)) throw new HfxError('HFX_E_USAGE', `${url} is not an http(s) URL`);
    if ((v['user'] === undefined) === (v['token'] === undefined)) throw new HfxError('HFX_E_USAGE', 'give --user NAME or --token TOKEN', { hint: 'See `hfx login --help`.' });
    const r = typeof v['token'] === 'string'
      ? await loginToken(io.env, url, v['token'], typeof v['home'] === 'string' ? path(v['home']) : undefined)
      : await loginUser(io.env, url, v['user'] as string, await readPassword(io, v['password-stdin'] === true));
    out.result({ url: r.url, who: r.who, keyid: r.keyid, file: r.file });
    out.line(`${out.c.green('✓')} logged in to ${r.url} as ${r.who}; saved in ${r.file}`);
    out.line(`  server metadata key ${r.keyid.slice(0, 16)} pinned`);
    return 0;
  },
};
