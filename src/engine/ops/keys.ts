import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import type { Manifest } from '../archive/manifest.js';
import { DEFAULT_LIMITS, openArchive } from '../archive/read-archive.js';
import { generateKeys, parsePrivateKey, signManifest, SIGNATURE_FORMAT, type SignatureFile } from '../archive/signature.js';
import { writeArchive } from '../archive/write-archive.js';
import { readKey } from './diff.js';

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
    if (existsSync(f)) throw new HfxError('HFX_E_USAGE', `${f} already exists`, { hint: 'Choose another --out NAME; hfx never overwrites a key.' });
  }
  const k = generateKeys();
  writeFileSync(priv, k.privatePem, { mode: 0o600, flag: 'wx' });
  writeFileSync(pub, k.publicPem, { mode: 0o644, flag: 'wx' });
  return { privateKey: priv, publicKey: pub, keyid: k.keyid };
}

/**
 * Signs an archive in place (atomically: a new file replaces the old). An existing signature by
 * the same key is replaced; signatures by other keys are kept, so several parties can sign.
 */
export async function signArchive(file: string, keyFile: string): Promise<{ keyid: string; signatures: number }> {
  const key = parsePrivateKey(readKey(keyFile), keyFile);
  const a = await openArchive(file, DEFAULT_LIMITS);
  try {
    const mine = signManifest(a.rawManifest, key);
    const others = (a.signatures?.signatures ?? []).filter((s) => s.keyid !== mine.keyid);
    const sigs: SignatureFile = { format: SIGNATURE_FORMAT, signatures: [...others, mine] };
    await writeArchive(file, a.rawManifest as Manifest, sigs, (p) => ({ open: () => a.payloadStream(p) }));
    return { keyid: mine.keyid, signatures: sigs.signatures.length };
  } finally {
    a.close();
  }
}
