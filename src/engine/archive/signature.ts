import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import canonicalize from 'canonicalize';
import { HfxError } from '../../errors.js';
import { ARCHIVE_FORMAT } from './format.js';

export const SIGNATURE_FORMAT = 'hfx-signature/1';

export interface SignatureFile {
  format: typeof SIGNATURE_FORMAT;
  signatures: { keyid: string; sig: string }[];
}

/**
 * The bytes a signature covers: a domain tag (the archive format), then the RFC 8785 canonical
 * manifest. The tag keeps a signature made for another kind of document from being accepted as
 * an archive's.
 */
export function signedBytes(manifest: unknown): Buffer {
  const c = canonicalize(manifest);
  if (c === undefined) throw new HfxError('HFX_E_MANIFEST', 'the document cannot be canonicalised');
  return Buffer.from(`${ARCHIVE_FORMAT}\n${c}`, 'utf8');
}

/** Key ids are the sha256 of the raw 32-byte ed25519 public key, as in TUF. */
export function keyId(pub: KeyObject): string {
  const jwk = pub.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new HfxError('HFX_E_USAGE', 'only ed25519 keys are supported');
  }
  return createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex');
}

export function generateKeys(): { privatePem: string; publicPem: string; keyid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyid: keyId(publicKey),
  };
}

export function parsePrivateKey(pem: string, from: string): KeyObject {
  try {
    const k = createPrivateKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`a ${String(k.asymmetricKeyType)} key`);
    return k;
  } catch (e) {
    throw new HfxError('HFX_E_USAGE', `${from} is not an ed25519 private key (${(e as Error).message})`, {
      hint: 'Make one with `hfx keygen --out NAME`; sign with NAME.key.',
    });
  }
}

export function parsePublicKey(pem: string, from: string): KeyObject {
  // Node derives a public key from a private one without a word: a NAME.key given here would be
  // stored and shown as if it were public.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new HfxError('HFX_E_USAGE', `${from} is a private key: it must never be given to anyone, and is not kept`, {
      hint: 'Give the NAME.pub file that `hfx keygen` wrote, not NAME.key.',
    });
  }
  try {
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`a ${String(k.asymmetricKeyType)} key`);
    return k;
  } catch (e) {
    throw new HfxError('HFX_E_USAGE', `${from} is not an ed25519 public key (${(e as Error).message})`, {
      hint: 'Trust the NAME.pub file that `hfx keygen` wrote, not NAME.key.',
    });
  }
}

export function signManifest(manifest: unknown, key: KeyObject): { keyid: string; sig: string } {
  const pub = createPublicKey(key);
  return { keyid: keyId(pub), sig: sign(null, signedBytes(manifest), key).toString('base64') };
}

export function parseSignatureFile(raw: unknown): SignatureFile {
  // Parsed JSON: any field may be missing or of another type until checked.
  const r = raw as { format?: unknown; signatures?: unknown } | null;
  const ok =
    r !== null &&
    typeof r === 'object' &&
    r.format === SIGNATURE_FORMAT &&
    Array.isArray(r.signatures) &&
    r.signatures.length <= 16 &&
    r.signatures.every(
      (s: { keyid?: unknown; sig?: unknown } | null) =>
        s &&
        typeof s.keyid === 'string' &&
        /^[0-9a-f]{64}$/.test(s.keyid) &&
        typeof s.sig === 'string' &&
        s.sig.length <= 200,
    );
  if (!ok)
    throw new HfxError('HFX_E_SIGNATURE', `the signature file is not ${SIGNATURE_FORMAT}`, {
      hint: 'Re-sign the archive with `hfx sign`.',
    });
  return r as SignatureFile;
}

export interface TrustedKey {
  keyid: string;
  name: string;
  key: KeyObject;
}

/**
 * Returns the trusted key that signed the manifest. Every signature present must verify:
 * a bad one means tampering, even when another signature is good.
 */
export function verifyManifestSignature(
  manifest: unknown,
  sigs: SignatureFile,
  trusted: readonly TrustedKey[],
): TrustedKey {
  const bytes = signedBytes(manifest);
  let good: TrustedKey | undefined;
  for (const s of sigs.signatures) {
    const k = trusted.find((t) => t.keyid === s.keyid);
    if (!k) continue;
    const sig = Buffer.from(s.sig, 'base64');
    if (sig.length !== 64 || !verify(null, bytes, k.key, sig)) {
      throw new HfxError(
        'HFX_E_SIGNATURE',
        `the signature by key ${k.name} (${s.keyid.slice(0, 12)}) does not match the manifest`,
        {
          hint: 'The manifest was changed after signing. Do not apply this archive; ask its publisher for a new one.',
        },
      );
    }
    good ??= k;
  }
  if (!good) {
    const ids = sigs.signatures.map((s) => s.keyid.slice(0, 12)).join(', ') || 'none';
    throw new HfxError(
      sigs.signatures.length === 0 ? 'HFX_E_UNSIGNED' : 'HFX_E_UNTRUSTED',
      `the archive is signed by key(s) ${ids}, none of which this installation trusts`,
      {
        hint: 'If you trust the publisher, add its public key: `hfx trust add PUBLISHER.pub`.',
      },
    );
  }
  return good;
}
