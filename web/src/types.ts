/** The API's answers, as far as the dashboard reads them (the server's OpenAPI document is at /openapi.json). */
// Shapes the server already declares are its own types, imported; the rest are the JSON rows as sent.
import type { EnvView } from '../../src/server/environments/queries.js';
export type { FleetSummary } from '../../src/server/routes/fleet.js';
export type { TokenRow } from '../../src/server/routes/auth.js';
export type { CustomerRow, UserRow } from '../../src/server/routes/admin.js';
export type { Overview, SetupStep } from '../../src/server/routes/overview.js';
export type { CustomerCase, CustomerCaseDetail } from '../../src/server/routes/customer-cases.js';
export type { NotifyEvent } from '../../src/server/notify/outbox.js';
export type { RolloutView } from '../../src/server/rollouts/service.js';
import type { CaseTestCounts as TestCounts, Role, UserRole } from '../../src/store/schema.js';

export type { Role, UserRole };

/** A vendor's user (by role), or one of a customer's own people (who sees only that customer's things). */
export type Me =
  | { kind: 'user'; username: string; role: Role; email?: string | null }
  | { kind: 'customer-user'; username: string; customer: string };

export interface Product { name: string; title: string; releases: string[] }

export type { EnvView, HotfixView } from '../../src/server/environments/queries.js';
export interface Pipeline { product: string; environments: EnvView[]; next: { hotfix: string; update: string } | null }

export interface CaseRow {
  id: number; title: string; product: string; release: string | null; component: string | null; customer_id: string | null;
  severity: string; priority: string; state: string; assignee: string | null; team: string | null; hotfix_id: string | null;
  created_at: string; updated_at: string;
}
export type { CaseTestCounts as TestCounts } from '../../src/store/schema.js';
export interface CaseDetail extends CaseRow {
  description: string; source: string; reporter: string; level: number | null; impact: string; impact_text: string;
  priority_reason: string | null; root_cause: string | null; commits: { sha: string; subject?: string }[];
  functional: TestCounts | null; regression: TestCounts | null; window_start: string | null; window_end: string | null;
  deployed: { environment: string; at: string; by: string }[]; signoff_by: string | null; monitor_until: string | null;
  outcome: string | null; reopened: number; created_by: string;
  transitions: { id: number; action: string; from_state: string | null; to_state: string; actor: string; reason: string | null; at: string }[];
  evidence: { id: number; kind: string; counts: TestCounts; uploaded_by: string; at: string }[];
  notifications: { event_id: string; event: string; kind: string; target?: string; attempts: number; delivered_at: string | null; failed_at: string | null; last_error?: string | null }[];
}
export interface AuditEntry { id: number; at: string; actor: string; action: string; object_type: string; object_id: string; details: unknown }

export interface FileNode { type: 'file' | 'dir' | 'symlink'; sha256?: string; size?: number; mode?: string; target?: string }
export interface ArchiveRow {
  id: string; kind: 'hotfix' | 'update'; product: string; release: string; level: number; to_level: number | null; security: boolean;
  customer_id: string | null; title: string; severity: string; sha256: string; size: number; digest: string; signer: string | null;
  includes: string[]; uploaded_by: string; created_at: string;
  manifest?: { description?: string; entries?: { path: string; op: string; before: FileNode | null; after: FileNode | null }[]; requires?: string[]; supersedes?: string[]; createdAt?: string };
}

export interface Installation { id: string; customer_id: string | null; name: string; product: string; release: string; level: number; channel: string; hotfixes: string[]; reported_at: string }
export interface HotfixSpread {
  id: string;
  applied: { id: string; name: string; customer_id: string | null; product: string; release: string; level: number; reported_at: string }[];
  events: { installation_id: string; name: string; kind: 'applied' | 'reverted' | 'updated' | 'registered'; reason: string | null; at: string }[];
}
export type { Presence } from '../../src/server/environments/presence.js';

export interface PublisherKey { keyid: string; name: string; public_pem: string; created_at: string }
export interface Subscription {
  id: number; kind: 'webhook' | 'email'; target: string; customer_id: string | null; username: string | null; events: string[];
  created_by: string; created_at: string;
}
/** One row of the notification outbox (GET /v1/notifications). */
export interface OutboxRow {
  id: number; event_id: string; event: string; kind: string; target: string; attempts: number; next_at: string | null;
  delivered_at: string | null; failed_at: string | null; last_error: string | null; created_at: string;
}
