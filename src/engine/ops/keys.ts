import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import { generateKeys } from '../archive/signature.js';

export interface KeygenResult {
  privateKey: string;
  publicKey: string;
  keyid: string;
}

/** Writes NAME.key (mode 0600) and NAME.pub; never overwrites an existing key. */
export function keygen(out: string): KeygenResult {
  const base = resolve(out.replace(/\.(key|pub)$/, ''));
  const priv = `${base}.key`;
  const pub = `${base}.pub`;
  for (const f of [priv, pub]) {
    if (existsSync(f))
      throw new HfxError('HFX_E_USAGE', `${f} already exists`, {
        hint: 'Choose another --out NAME; hfx never overwrites a key.',
      });
  }
  const k = generateKeys();
  writeFileSync(priv, k.privatePem, { mode: 0o600, flag: 'wx' });
  writeFileSync(pub, k.publicPem, { mode: 0o644, flag: 'wx' });
  return { privateKey: priv, publicKey: pub, keyid: k.keyid };
}

/** The text of a key file (NAME.key to sign with), or a friendly error. */
export function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new HfxError('HFX_E_NOT_FOUND', `key file ${file} does not exist`, {
      hint: 'Make one with `hfx keygen --out NAME`.',
    });
  }
}
