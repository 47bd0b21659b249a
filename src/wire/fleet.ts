// Installations and what they report: the fleet's state, events and environment reports.

export interface FleetEvent {
  kind: 'applied' | 'reverted' | 'updated';
  archive: string;
  reason?: string;
  at: string;
}

export interface EnvironmentReport {
  installation: string;
  release: string;
  level: number;
  hotfixes: { id: string; digest: string }[];
  updates: { id: string; digest: string }[];
  packHash: string;
}

/** Installations counted by update level and by hotfix, over the whole fleet the caller may see. */
export interface FleetSummary {
  total: number;
  byLevel: { product: string; release: string; level: number; n: number }[];
  byHotfix: { hotfix: string; n: number }[];
  /** More hotfixes are applied than byHotfix names. */
  hotfixesCapped: boolean;
}

export interface Installation {
  id: string;
  customer_id: string | null;
  name: string;
  product: string;
  release: string;
  level: number;
  channel: string;
  hotfixes: string[];
  reported_at: string;
}

export interface HotfixSpread {
  id: string;
  applied: {
    id: string;
    name: string;
    customer_id: string | null;
    product: string;
    release: string;
    level: number;
    reported_at: string;
  }[];
  events: {
    installation_id: string;
    name: string;
    kind: 'applied' | 'reverted' | 'updated' | 'registered';
    reason: string | null;
    at: string;
  }[];
}
