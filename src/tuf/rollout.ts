import { createHash } from 'node:crypto';
import type { HfxCustom, RolloutOffer } from '../wire/metadata.js';

/**
 * Where an installation stands in a rollout: a number in [0, 100) from the rollout's signed seed
 * and the installation's id. The same installation keeps its number as the share grows (so it stays
 * in), and a new rollout (a new seed) draws anew. Computed by the client from signed metadata, so
 * a cached or mirrored answer decides the same.
 */
export function bucket(seed: string, installation: string): number {
  const h = createHash('sha256').update(`${seed}:${installation}`).digest();
  return (h.readUInt32BE(0) / 2 ** 32) * 100;
}

export interface Decision {
  offered: boolean;
  /** The rollout that decided, and how it stands, for `hfx check` to say. */
  rollout: { id: number; state: RolloutOffer['state']; percent: number; inScope: boolean } | null;
}

/**
 * Whether an archive is offered to this installation (docs/rollouts.md): always without rollouts;
 * under rollouts, when one takes it in — completed for its scope, or active with its bucket under
 * the share. Paused and aborted rollouts take in nobody new. An installation not yet registered
 * (no id) is in completed rollouts only.
 */
export function decide(custom: Pick<HfxCustom, 'rollouts'>, installation: string | null): Decision {
  const rs = custom.rollouts;
  if (!rs || rs.length === 0) return { offered: true, rollout: null };
  let shown: Decision['rollout'] = null;
  for (const r of rs) {
    const inScope =
      r.scope === 'all' ||
      r.scope === 'customer' ||
      (r.scope === 'env' && installation !== null && (r.installations ?? []).includes(installation));
    const view = { id: r.id, state: r.state, percent: r.percent, inScope };
    if (inScope && r.state === 'completed') return { offered: true, rollout: view };
    if (inScope && r.state === 'active' && installation !== null && r.seed && bucket(r.seed, installation) < r.percent)
      return { offered: true, rollout: view };
    if (inScope || !shown) shown = view;
  }
  return { offered: false, rollout: shown };
}
