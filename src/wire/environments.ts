// A product's pipeline of environments as the API shows it: what each holds, and where a fix is.

export interface HotfixView {
  id: string;
  digest: string | null;
  /** applied: every installation reports it by digest; partial: some do; deployed: a deployment is recorded, not yet reported. */
  state: 'applied' | 'partial' | 'deployed';
  /** Present here but not in every earlier environment: "not propagated". */
  red: boolean;
  missingIn: string[];
}

export interface EnvView {
  name: string;
  position: number;
  installations: { assigned: number; reported: number };
  release: string | null;
  level: number | null;
  packHash: string | null;
  /** false when the environment's installations report different contents. */
  consistent: boolean;
  tag: string | null;
  /** Changed since the tag (or, without a tag, hotfixes on the release): shown with '+'. */
  untagged: boolean;
  version: string | null;
  red: boolean;
  hotfixes: HotfixView[];
}

/** A product's board (GET /v1/products/:product/pipeline). */
export interface Pipeline {
  product: string;
  environments: EnvView[];
  /** The tags the next deployment would get (the dashboard shows them on the board). */
  next: { hotfix: string; update: string } | null;
}

export type PresenceHow = 'hotfix' | 'update' | 'merged' | null;

export interface Presence {
  everywhere: boolean;
  environments: { name: string; present: boolean; how: PresenceHow }[];
}
