// The distribution metadata's shapes (TUF, docs/distribution.md): what an installation reads
// before it downloads anything. Signing and checking them is src/tuf's.

/** A signed document as it is served: `{ signed, signatures }`. */
export type Signed = Record<string, unknown> & {
  signed: Record<string, unknown>;
  signatures: { keyid: string; sig: string }[];
};

/** What an installation needs to know of a target before it downloads it (TUF `custom`). */
export interface HfxCustom {
  kind: 'hotfix' | 'update';
  id: string;
  product: string;
  release: string;
  level: number;
  toLevel: number | null;
  /** Updates: which channel offers them (security updates are in both). */
  channel: 'full' | 'security';
  includes: string[];
  severity: string;
  title: string;
  /** sha256 of the archive's signed manifest bytes: names its content (the environments compare it). */
  digest: string;
  customer: string | null;
  /**
   * Present when the archive is under rollouts (docs/rollouts.md): then it is offered only to the
   * installations one of them takes in. Absent: to everyone who may see it.
   */
  rollouts?: RolloutOffer[];
}

/**
 * A rollout as an installation reads it from signed metadata: an installation of the scope is in
 * when bucket(seed, its id) < percent (src/tuf/rollout.ts). `outside`: the rollout is for others
 * (another customer's, or an environment with none of this repository's installations).
 */
export interface RolloutOffer {
  id: number;
  state: 'active' | 'paused' | 'completed' | 'aborted';
  percent: number;
  scope: 'all' | 'customer' | 'env' | 'outside';
  seed?: string;
  /** scope env: the environment's installations of this repository, when the step began. */
  installations?: string[];
}

export interface TargetEntry {
  sha256: string;
  size: number;
  custom: HfxCustom;
}
