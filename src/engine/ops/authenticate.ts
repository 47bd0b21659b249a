import { HfxError } from '../../errors.js';
import type { OpenArchive } from '../archive/read-archive.js';
import { verifyManifestSignature } from '../archive/signature.js';
import type { Layout } from '../home/layout.js';
import { trustedKeys } from '../home/trust.js';

/**
 * Checks an archive's signature against the installation's trust store (apply, update, inspect).
 * Returns the signing key id, or null for an accepted unsigned archive.
 */
export function authenticate(l: Layout, a: OpenArchive, allowUnsigned: boolean): string | null {
  const trusted = trustedKeys(l);
  if (a.signatures === null || a.signatures.signatures.length === 0) {
    if (allowUnsigned) return null;
    throw new HfxError('HFX_E_UNSIGNED', `${a.file} is not signed`, {
      hint: 'Sign it with `hfx sign FILE --key NAME.key` and trust NAME.pub here, or pass --allow-unsigned if you know where it came from.',
    });
  }
  try {
    return verifyManifestSignature(a.rawManifest, a.signatures, trusted).keyid;
  } catch (e) {
    // --allow-unsigned accepts an unknown signer, never a signature that fails to verify.
    if (allowUnsigned && e instanceof HfxError && (e.code === 'HFX_E_UNTRUSTED' || e.code === 'HFX_E_UNSIGNED'))
      return null;
    throw e;
  }
}
