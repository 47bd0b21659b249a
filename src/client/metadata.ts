import { HfxError } from '../errors.js';
import { keyId, parsePublicKey, verifyManifestSignature } from '../engine/archive/signature.js';
import type { TargetsSigned } from '../server/routes/distribution.js';

export interface Expect {
  publicKey: string;
  product: string;
  release: string;
  level: number;
  lastVersion: number;
  now?: Date;
}

/**
 * Checks signed distribution metadata as The Update Framework's client does: signed by the
 * pinned key, for this product and release (wrong software, mix-and-match), not expired (freeze),
 * and not older than what was already seen (rollback).
 */
export function verifyMetadata(doc: unknown, e: Expect): TargetsSigned {
  const d = doc as { signed?: TargetsSigned; signatures?: { keyid: string; sig: string }[] };
  if (!d || typeof d !== 'object' || !d.signed || !Array.isArray(d.signatures)) throw new HfxError('HFX_E_METADATA', 'the server sent no signed metadata');
  const key = parsePublicKey(e.publicKey, 'the pinned server key');
  try {
    verifyManifestSignature(d.signed, { format: 'hfx-signature/1', signatures: d.signatures }, [{ keyid: keyId(key), name: 'server', key }], 'hfx-targets/1');
  } catch (err) {
    throw new HfxError('HFX_E_METADATA', `the server metadata is not signed by the key pinned at login: ${(err as Error).message}`, {
      hint: 'Someone may be between you and the server. If the server key really changed, log in again and check its key id.',
    });
  }
  const s = d.signed;
  if (s._type !== 'hfx-targets/1') throw new HfxError('HFX_E_METADATA', `unknown metadata type ${String(s._type)}`);
  if (s.product !== e.product || s.release !== e.release || s.level !== e.level) {
    throw new HfxError('HFX_E_METADATA', `the metadata is for ${s.product} ${s.release} level ${s.level}, not ${e.product} ${e.release} level ${e.level}`, { hint: 'The answer was swapped for another one; nothing was downloaded.' });
  }
  if (!(Date.parse(s.expires) > (e.now ?? new Date()).getTime())) {
    throw new HfxError('HFX_E_EXPIRED', `the server metadata expired at ${s.expires}`, { hint: 'Someone may be replaying an old answer (a freeze attack), or a clock is wrong.' });
  }
  if (!Number.isSafeInteger(s.version) || s.version < e.lastVersion) {
    throw new HfxError('HFX_E_ROLLBACK', `the server metadata has version ${s.version}, older than version ${e.lastVersion} already seen`, { hint: 'Someone may be replaying an old answer to hide newer fixes.' });
  }
  return s;
}

