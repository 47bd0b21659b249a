// Rollouts as the API takes and shows them (docs/rollouts.md).

export type RolloutState = 'active' | 'paused' | 'completed' | 'aborted';

/**
 * Rollouts (docs/rollouts.md): a fix offered to a growing share of a scope — a customer's
 * installations, an environment's, or everyone who may see the archive. Every change moves the
 * metadata version in the same transaction and is logged at it, so the signed metadata of each
 * version says what the rollout was then; installations decide from the signed seed whether they
 * are in (the same installation stays in as the share grows; a new rollout draws anew).
 */
export interface RolloutInput {
  archive: string;
  customer?: string;
  /** PRODUCT/ENV */
  env?: string;
  steps: number[];
  /** Seconds between automatic steps; none: advanced by hand. */
  everySeconds?: number;
  maxFailureRate: number;
  minSample: number;
}

export type RolloutAction = 'pause' | 'resume' | 'advance' | 'abort';

export interface RolloutView {
  id: number;
  archive: string;
  scope: { customer: string | null; env: string | null };
  steps: number[];
  step: number;
  percent: number;
  state: RolloutState;
  everySeconds: number | null;
  maxFailureRate: number;
  minSample: number;
  reason: string | null;
  createdBy: string;
  createdAt: string;
  stepAt: string;
  /** Installations in scope that applied it since the rollout began, and of those, how many reverted it. */
  applied: number;
  reverted: number;
  failureRate: number;
}
