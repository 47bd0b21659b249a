import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { canonicalize } from '@tufjs/canonical-json';
import { Signature } from '@tufjs/models';
import { HfxError } from '../errors.js';

/** A TUF key as metadata names it (specification §4.2): ed25519, its public half in hex. */
export interface TufKeyJson {
  keytype: 'ed25519';
  scheme: 'ed25519';
  keyval: { public: string };
}

/** A key pair for signing metadata: its id, its public form, and a signer for @tufjs/models. */
export interface SigningKey {
  keyid: string;
  json: TufKeyJson;
  sign(data: Buffer): Signature;
}

/** The raw 32-byte ed25519 public key in hex, as TUF's `keyval.public`. */
function publicHex(pub: KeyObject): string {
  const jwk = pub.export({ format: 'jwk' }) as { x?: string };
  if (!jwk.x) throw new HfxError('HFX_E_USAGE', 'not an ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('hex');
}

export function keyJson(pub: KeyObject): TufKeyJson {
  if (pub.asymmetricKeyType !== 'ed25519')
    throw new HfxError('HFX_E_USAGE', `a TUF key here is ed25519, not ${pub.asymmetricKeyType ?? 'unknown'}`);
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex(pub) } };
}

/** The key id: sha256 of the key's canonical JSON (specification §4.2, "KEYID"). */
export function keyIdOf(json: TufKeyJson): string {
  return createHash('sha256').update(canonicalize(json)).digest('hex');
}

export function signingKey(priv: KeyObject): SigningKey {
  const json = keyJson(createPublicKey(priv));
  const keyid = keyIdOf(json);
  return { keyid, json, sign: (data) => new Signature({ keyID: keyid, sig: sign(null, data, priv).toString('hex') }) };
}

/** A new ed25519 key pair; the private half as PKCS#8 PEM (what the files hold). */
export function newKey(): { key: SigningKey; pem: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { key: signingKey(privateKey), pem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

/** Writes a private key readable by its owner only. */
export function writeKeyFile(file: string, pem: string): void {
  writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

/** Reads a private key file (PEM, ed25519); `what` names it in errors. */
export function readKeyFile(file: string, what: string): SigningKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HfxError(
      'HFX_E_NOT_FOUND',
      `cannot read the ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { hint: 'Keys are made by `hfx tuf init --out DIR`.' },
    );
  }
  return keyFromPem(text, `the ${what} ${file}`);
}

export function keyFromPem(text: string, what: string): SigningKey {
  let priv: KeyObject;
  try {
    priv = createPrivateKey(text);
  } catch {
    throw new HfxError('HFX_E_USAGE', `${what} is not a PEM private key`, {
      hint: 'Keys are made by `hfx tuf init --out DIR`.',
    });
  }
  if (priv.asymmetricKeyType !== 'ed25519')
    throw new HfxError('HFX_E_USAGE', `${what} is ${priv.asymmetricKeyType ?? 'unknown'}, not ed25519`);
  return signingKey(priv);
}
