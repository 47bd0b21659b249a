import { readFile } from 'node:fs/promises';
import { HfxError } from '../../errors.js';
import { writeFileAtomicSync } from '../fs/durable.js';
import type { Layout } from './layout.js';

export const STATE_FORMAT = 'hfx-state/1';

/** Which updates an installation follows: all of them, or only security updates. */
export type Channel = 'full' | 'security';

export interface AppliedHotfix {
  id: string;
  title: string;
  severity: string;
  appliedAt: string;
  /** sha256 of the signed manifest bytes; names the archive's content. */
  digest: string;
  /** The trusted key that signed it, or null when applied with --allow-unsigned. */
  keyid: string | null;
  customer: string | null;
  /**
   * Applied, its health check not yet passed (engine/ops/health.ts): reverted by the next command's
   * recovery if the process died during the check.
   */
  unconfirmed?: { health: string; since: string };
}

/** An update applied on top of the baseline; kept so that `hfx update --revert` can undo it. */
export interface AppliedUpdate {
  id: string;
  fromLevel: number;
  toLevel: number;
  security: boolean;
  appliedAt: string;
  digest: string;
  keyid: string | null;
  /** Hotfixes the update included, reverted for it. */
  reverted: string[];
}

export interface InstallState {
  format: typeof STATE_FORMAT;
  product: string;
  version: string;
  level: number;
  channel: Channel;
  initializedAt: string;
  /** Number of committed transactions; a journal with a larger txid was not committed. */
  tx: number;
  hotfixes: AppliedHotfix[];
  /** Updates applied since `init`, oldest first. Every applied hotfix is newer than every update. */
  updates: AppliedUpdate[];
  /** The product's health check (`hfx init --health CMD`): run after applies from a server. */
  health?: string;
}

export async function readState(l: Layout): Promise<InstallState> {
  let text: string;
  try {
    text = await readFile(l.state, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new HfxError('HFX_E_NOT_INITIALISED', `${l.home} is not an hfx installation`, {
        hint: 'Adopt it first: `hfx init --home DIR --product P --version V`, or point --home (or HFX_HOME) at the pack.',
      });
    }
    throw new HfxError('HFX_E_STATE', `cannot read ${l.state}: ${(e as Error).message}`, { cause: e });
  }
  try {
    // Parsed JSON: the fields checked here may be missing or of another type until then.
    const s = JSON.parse(text) as Partial<Record<keyof InstallState, unknown>>;
    if (s.format !== STATE_FORMAT || !Array.isArray(s.hotfixes) || typeof s.tx !== 'number')
      throw new Error(`not ${STATE_FORMAT}`);
    s.updates ??= [];
    return s as InstallState;
  } catch (e) {
    throw new HfxError('HFX_E_STATE', `${l.state} is damaged: ${(e as Error).message}`, {
      hint: 'Restore .hfx/ from a backup, or re-adopt the pack with a fresh `hfx init` in a copy.',
    });
  }
}

export function writeStateSync(l: Layout, s: InstallState): void {
  writeFileAtomicSync(l.state, JSON.stringify(s, null, 2) + '\n');
}
