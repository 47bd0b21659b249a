import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { currentLogin } from '../../../client/config.js';
import { userRemote } from '../../../client/environments.js';
import { call } from '../../../client/http.js';
import { keyId, parsePublicKey } from '../../../engine/index.js';
import { HfxError } from '../../../errors.js';
import { exactArgs, type Command } from '../../command.js';

const SUBS = 'list | trust FILE.pub [--name N]';

function unknownSub(sub: string | undefined): HfxError {
  return new HfxError('HFX_E_USAGE', sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'a subcommand is missing', { hint: `hfx key ${SUBS}` });
}
/** The server takes a PEM of at most this many characters; an ed25519 public key is about 113. */
const MAX_PEM = 4096;

interface PublisherKey {
  keyid: string;
  name: string;
  public_pem: string;
  created_at: string;
}

/** The PEM in `file`, checked here: a private key must never leave the machine it is on. */
function readPublicPem(file: string): string {
  let pem: string;
  try {
    if (statSync(file).size > MAX_PEM) {
      throw new HfxError('HFX_E_USAGE', `${file} is too large for a public key`, { hint: 'Give the NAME.pub file that `hfx keygen` wrote.' });
    }
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof HfxError) throw e;
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new HfxError('HFX_E_NOT_FOUND', `public key ${file} cannot be read (${why})`, { hint: '`hfx keygen --out NAME` writes NAME.pub.' });
  }
  // Node derives a public key from a private one, so the parse below would accept NAME.key and
  // the server would store (and show every viewer) the private key itself.
  if (/PRIVATE KEY/.test(pem)) {
    throw new HfxError('HFX_E_USAGE', `${file} is a private key: nothing was sent`, {
      hint: 'Give the public half, the NAME.pub next to it (`hfx keygen` writes both); keep NAME.key secret.',
    });
  }
  // Checked here too, so a wrong file is named as the user gave it rather than as `publicKey`.
  keyId(parsePublicKey(pem, file));
  return pem;
}

export const keyCommand: Command = {
  name: 'key',
  summary: "the server's publisher keys: the signatures it accepts on `hfx push` (not an installation's `hfx trust`)",
  usage: `hfx key ${SUBS} [--server URL]`,
  details: [
    'The server refuses an upload (`hfx push`) unless its archive is signed by one of these keys (HFX_E_UNTRUSTED). '
      + '`trust FILE.pub` (admin) adds the public key `hfx keygen` wrote, named --name (default: the file name without .pub); '
      + 'trusting a key again changes nothing and says it is already trusted. `list` (viewer and up) shows each key\'s id, name and date.',
    'These keys live on the server. An installation keeps its own trust store, managed with `hfx trust add/list/remove --home DIR`, '
      + 'which `hfx apply` checks; trusting a key here does not reach installations, nor the reverse. '
      + 'Uses the login of `hfx login URL --user NAME` (--server URL picks one of several).',
  ].join('\n\n'),
  examples: [
    '$ hfx key trust vendor.pub --name release-2026',
    '$ hfx key list',
    '$ hfx trust add vendor.pub --home /opt/wso2am      # the same key, on an installation',
  ],
  options: { server: { type: 'string' }, name: { type: 'string' } },
  async run({ values: v, positionals }, ctx) {
    const { out } = ctx;
    const [sub, ...rest] = positionals;
    // A mistyped subcommand is named before the login is looked for.
    if (!['list', 'trust'].includes(sub ?? '')) throw unknownSub(sub);
    const remote = userRemote(currentLogin(ctx.io.env, v['server'] as string | undefined));
    switch (sub) {
      case 'list': {
        exactArgs(rest, 0, 'key', 'list');
        const r = await call<{ keys: PublisherKey[] }>(remote, 'GET', '/v1/publisher-keys');
        out.result(r);
        for (const k of r.keys) out.line(`${k.keyid.slice(0, 16)}  ${k.name}  ${out.c.dim(`trusted ${new Date(k.created_at).toISOString().slice(0, 10)}`)}`);
        if (r.keys.length === 0) out.line('no publisher keys: the server refuses every upload until an admin runs `hfx key trust NAME.pub --name NAME`');
        return 0;
      }
      case 'trust': {
        const [file] = exactArgs(rest, 1, 'key', 'trust FILE.pub [--name N]');
        const abs = ctx.path(file!);
        const pem = readPublicPem(abs);
        const name = typeof v['name'] === 'string' && v['name'] !== '' ? v['name'] : basename(abs).replace(/\.pub$/, '');
        const r = await call<{ keyid: string; name: string; existed: boolean }>(remote, 'POST', '/v1/publisher-keys', { name, publicKey: pem });
        // The answer repeats the name sent; an existing key keeps the name it was trusted under.
        const known = r.existed ? (await call<{ keys: PublisherKey[] }>(remote, 'GET', '/v1/publisher-keys')).keys : [];
        const stored = known.find((k) => k.keyid === r.keyid)?.name ?? r.name;
        out.result({ keyid: r.keyid, name: stored, existed: r.existed });
        out.line(r.existed
          ? `key ${r.keyid.slice(0, 16)} is already trusted${stored !== name ? ` (as ${stored})` : ''}: nothing changed`
          : `${out.c.green('✓')} the server trusts ${r.name} (${r.keyid.slice(0, 16)}): archives it signed can be pushed`);
        return 0;
      }
      default:
        throw unknownSub(sub);
    }
  },
};
