import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HfxError } from '../../errors.js';
import { keyId, parsePublicKey, type TrustedKey } from '../archive/signature.js';
import { writeFileAtomicSync } from '../fs/durable.js';
import type { Layout } from './layout.js';

interface TrustFile {
  name: string;
  keyid: string;
  publicKey: string;
  addedAt: string;
}

export interface TrustEntry {
  name: string;
  keyid: string;
  addedAt: string;
}

function entries(l: Layout): TrustFile[] {
  let names: string[];
  try {
    names = readdirSync(l.trust);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(l.trust, n), 'utf8')) as TrustFile);
}

export function trustedKeys(l: Layout): TrustedKey[] {
  return entries(l).map((t) => ({
    name: t.name,
    keyid: t.keyid,
    key: parsePublicKey(t.publicKey, `${t.name} in the trust store`),
  }));
}

export function listTrust(l: Layout): TrustEntry[] {
  return entries(l).map(({ name, keyid, addedAt }) => ({ name, keyid, addedAt }));
}

export function addTrust(l: Layout, pubFile: string, name?: string): TrustEntry {
  let pem: string;
  try {
    pem = readFileSync(pubFile, 'utf8');
  } catch {
    throw new HfxError('HFX_E_NOT_FOUND', `public key ${pubFile} does not exist`, {
      hint: '`hfx keygen --out NAME` writes NAME.pub.',
    });
  }
  const key = parsePublicKey(pem, pubFile);
  const id = keyId(key);
  const entry: TrustFile = {
    name: name ?? basename(pubFile).replace(/\.pub$/, ''),
    keyid: id,
    publicKey: pem,
    addedAt: new Date().toISOString(),
  };
  mkdirSync(l.trust, { recursive: true });
  writeFileAtomicSync(join(l.trust, `${id}.json`), JSON.stringify(entry, null, 2) + '\n');
  return { name: entry.name, keyid: id, addedAt: entry.addedAt };
}

/** Removes by name or by key id (a prefix of 8 or more hex digits is enough). */
export function removeTrust(l: Layout, which: string): TrustEntry {
  const all = entries(l);
  const hits = all.filter((t) => t.name === which || (which.length >= 8 && t.keyid.startsWith(which)));
  if (hits.length > 1)
    throw new HfxError('HFX_E_USAGE', `${which} names ${hits.length} keys`, {
      hint: 'Give the full key id from `hfx trust list`.',
    });
  const t = hits[0];
  if (t === undefined) {
    throw new HfxError('HFX_E_NOT_FOUND', `no trusted key named ${which}`, { hint: 'See `hfx trust list`.' });
  }
  rmSync(join(l.trust, `${t.keyid}.json`));
  return { name: t.name, keyid: t.keyid, addedAt: t.addedAt };
}
