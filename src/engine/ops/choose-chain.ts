import { HfxError } from '../../errors.js';
import type { Channel } from '../home/state.js';

/** An update on offer, from an archive (`hfx update --from`) or the server's metadata. */
export interface Candidate {
  id: string;
  level: number;
  toLevel: number;
  security: boolean;
}

/**
 * Picks the chain of updates from `level`, pure. At each level it takes the update that goes
 * furthest without passing `target` (updates are cumulative), on the security channel only
 * security updates. A gap before `target` is an error; so are two different archives for the
 * same step.
 */
export function chooseChain<C extends Candidate>(
  cands: readonly C[],
  level: number,
  channel: Channel,
  target?: number,
): C[] {
  if (target !== undefined && target < level) {
    throw new HfxError('HFX_E_INCOMPATIBLE', `the installation is at level ${level}, above ${target}`, {
      hint: 'Go back one level at a time with `hfx update --revert`.',
    });
  }
  const usable = cands.filter((c) => channel === 'full' || c.security);
  const chain: C[] = [];
  let cur = level;
  for (;;) {
    if (target !== undefined && cur >= target) break;
    const next = usable.filter((c) => c.level === cur && (target === undefined || c.toLevel <= target));
    if (next.length === 0) {
      if (target !== undefined) {
        throw new HfxError(
          'HFX_E_INCOMPATIBLE',
          `no ${channel === 'security' ? 'security ' : ''}update goes from level ${cur}${cur === level ? '' : ` (reached from ${level})`} towards level ${target}`,
          {
            hint: 'A level is missing from the updates given. Get the missing update, or choose a lower --level.',
          },
        );
      }
      break;
    }
    const far = Math.max(...next.map((c) => c.toLevel));
    const best = next.filter((c) => c.toLevel === far);
    if (new Set(best.map((c) => c.id)).size > 1) {
      throw new HfxError(
        'HFX_E_INCOMPATIBLE',
        `${best.map((c) => c.id).join(' and ')} both go from level ${cur} to ${far}`,
        { hint: 'Keep one of them in the directory.' },
      );
    }
    const step = best[0];
    if (step === undefined) throw new HfxError('HFX_E_INTERNAL', `no update goes from level ${cur} to ${far}`);
    chain.push(step);
    cur = far;
  }
  return chain;
}
