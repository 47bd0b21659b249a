import { DEFAULT_LIMITS } from '../archive/limits.js';
import type { Manifest } from '../archive/manifest.js';
import { openArchive } from '../archive/read-archive.js';
import { parsePrivateKey, signManifest, SIGNATURE_FORMAT, type SignatureFile } from '../archive/signature.js';
import { writeArchive } from '../archive/write-archive.js';
import { readKey } from './keys.js';

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
