import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { call } from '../../../client/http.js';
import { keyId, parsePublicKey } from '../../../engine/index.js';
import { HfxError } from '../../../errors.js';
import { defineCommandWithSubcommands, flags, subcommandsOf, synopsis } from '../../command.js';
import { remoteOf } from '../../server-remote.js';

const KEY_FLAGS = flags({ server: { type: 'string' }, name: { type: 'string' } });
const subcommand = subcommandsOf<typeof KEY_FLAGS>();

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
      throw new HfxError('HFX_E_USAGE', `${file} is too large for a public key`, {
        hint: 'Give the NAME.pub file that `hfx keygen` wrote.',
      });
    }
    pem = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof HfxError) throw e;
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new HfxError('HFX_E_NOT_FOUND', `public key ${file} cannot be read (${why})`, {
      hint: '`hfx keygen --out NAME` writes NAME.pub.',
    });
  }
  // Node derives a public key from a private one, so the parse below would accept NAME.key and
  // the server would store (and show every viewer) the private key itself.
  if (pem.includes('PRIVATE KEY')) {
    throw new HfxError('HFX_E_USAGE', `${file} is a private key: nothing was sent`, {
      hint: 'Give the public half, the NAME.pub next to it (`hfx keygen` writes both); keep NAME.key secret.',
    });
  }
  // Checked here too, so a wrong file is named as the user gave it rather than as `publicKey`.
  keyId(parsePublicKey(pem, file));
  return pem;
}

const list = subcommand({
  name: 'list',
  summary: "the publisher keys the server accepts: each one's id, name and date",
  async run({ values: v }, ctx) {
    const { out } = ctx;
    const r = await call<{ keys: PublisherKey[] }>(remoteOf(ctx, v), 'GET', '/v1/publisher-keys');
    out.result(r);
    for (const k of r.keys)
      out.line(
        `${k.keyid.slice(0, 16)}  ${k.name}  ${out.c.dim(`trusted ${new Date(k.created_at).toISOString().slice(0, 10)}`)}`,
      );
    if (r.keys.length === 0)
      out.line(
        'no publisher keys: the server refuses every upload until an admin runs `hfx key trust NAME.pub --name NAME`',
      );
    return 0;
  },
});

const trust = subcommand({
  name: 'trust',
  summary: 'add the public key `hfx keygen` wrote (admin), named --name (default: the file name without .pub)',
  args: ['FILE.pub'],
  usage: 'FILE.pub [--name N]',
  async run({ values: v, args: [file] }, ctx) {
    const { out } = ctx;
    const remote = remoteOf(ctx, v);
    const abs = ctx.path(file);
    const pem = readPublicPem(abs);
    const name = v.name !== undefined && v.name !== '' ? v.name : basename(abs).replace(/\.pub$/, '');
    const r = await call<{ keyid: string; name: string; existed: boolean }>(remote, 'POST', '/v1/publisher-keys', {
      name,
      publicKey: pem,
    });
    // The answer repeats the name sent; an existing key keeps the name it was trusted under.
    const known = r.existed ? (await call<{ keys: PublisherKey[] }>(remote, 'GET', '/v1/publisher-keys')).keys : [];
    const stored = known.find((k) => k.keyid === r.keyid)?.name ?? r.name;
    out.result({ keyid: r.keyid, name: stored, existed: r.existed });
    out.line(
      r.existed
        ? `key ${r.keyid.slice(0, 16)} is already trusted${stored !== name ? ` (as ${stored})` : ''}: nothing changed`
        : `${out.c.green('✓')} the server trusts ${r.name} (${r.keyid.slice(0, 16)}): archives it signed can be pushed`,
    );
    return 0;
  },
});

const SUBCOMMANDS = [list, trust];

export const keyCommand = defineCommandWithSubcommands({
  name: 'key',
  summary: "the server's publisher keys: the signatures it accepts on `hfx push` (not an installation's `hfx trust`)",
  usage: `hfx key ${synopsis(SUBCOMMANDS)} [--server URL]`,
  details: [
    'The server refuses an upload (`hfx push`) unless its archive is signed by one of these keys (HFX_E_UNTRUSTED). ' +
      '`trust FILE.pub` (admin) adds the public key `hfx keygen` wrote, named --name (default: the file name without .pub); ' +
      "trusting a key again changes nothing and says it is already trusted. `list` (viewer and up) shows each key's id, name and date.",
    'These keys live on the server. An installation keeps its own trust store, managed with `hfx trust add/list/remove --home DIR`, ' +
      'which `hfx apply` checks; trusting a key here does not reach installations, nor the reverse. ' +
      'Uses the login of `hfx login URL --user NAME` (--server URL picks one of several).',
  ].join('\n\n'),
  examples: [
    '$ hfx key trust vendor.pub --name release-2026',
    '$ hfx key list',
    '$ hfx trust add vendor.pub --home /opt/wso2am      # the same key, on an installation',
  ],
  options: KEY_FLAGS,
  commonUsage: '[--server URL]',
  subcommands: SUBCOMMANDS,
});
