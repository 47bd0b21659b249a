import { resolve } from 'node:path';
import { HfxError } from '../../errors.js';
import { payloadName, type Manifest } from '../archive/manifest.js';
import { DEFAULT_LIMITS } from '../archive/limits.js';
import { openArchive } from '../archive/read-archive.js';
import { layout } from '../home/layout.js';
import { authenticate } from './authenticate.js';

export interface InspectResult {
  file: string;
  digest: string;
  manifest: Manifest;
  signatures: { keyid: string }[];
  /** Whether the signature is trusted by the installation given with --home (null: not asked). */
  trust: { ok: boolean; keyid: string | null; error?: string } | null;
  payloadBytes: number;
}

/** Reads and validates an archive without applying it. With `home`, also says whether that installation trusts it. */
export async function inspectArchive(file: string, home?: string): Promise<InspectResult> {
  const a = await openArchive(resolve(file), DEFAULT_LIMITS);
  try {
    let trust: InspectResult['trust'] = null;
    if (home !== undefined) {
      try {
        trust = { ok: true, keyid: authenticate(layout(resolve(home)), a, false) };
      } catch (e) {
        if (!(e instanceof HfxError)) throw e;
        trust = { ok: false, keyid: null, error: `${e.code}: ${e.message}` };
      }
    }
    let payloadBytes = 0;
    for (const e of a.manifest.entries) if (payloadName(e) && e.after?.type === 'file') payloadBytes += e.after.size;
    return {
      file: a.file,
      digest: a.digest,
      manifest: a.manifest,
      signatures: (a.signatures?.signatures ?? []).map((s) => ({ keyid: s.keyid })),
      trust,
      payloadBytes,
    };
  } finally {
    a.close();
  }
}
