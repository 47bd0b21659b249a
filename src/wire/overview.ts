// The dashboard's first screen (GET /v1/overview).

/** One step from a fresh server to a customer's installation reporting a fix (docs/getting-started.md). */
export interface SetupStep {
  id: 'publisher-key' | 'product' | 'customer' | 'installation-token' | 'first-push' | 'first-report';
  done: boolean;
  count: number;
}

/** What the dashboard's first screen shows: the way in on a fresh server, and what needs attention now. */
export interface Overview {
  setup: SetupStep[];
  red: { product: string; environment: string; hotfix: string; missingIn: string[] }[];
  cases: {
    id: number;
    title: string;
    severity: string;
    priority: string;
    state: string;
    customer: string | null;
    createdAt: string;
    ageDays: number;
  }[];
  failedNotifications: {
    id: number;
    event: string;
    kind: string;
    target: string | null;
    lastError: string | null;
    failedAt: string;
  }[];
  reverted: {
    installation: string;
    name: string;
    customer: string | null;
    hotfix: string | null;
    reason: string | null;
    at: string;
  }[];
}
