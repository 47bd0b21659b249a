import type { CaseTestCounts } from '../wire/cases.js';
import type { Role } from '../wire/roles.js';
import type { ColumnType, Generated } from 'kysely';
import type { ReleaseManifest } from '../release/schema.js';
import type { RolloutState } from '../wire/rollouts.js';

type Created = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export interface Database {
  products: { name: string; title: string; created_at: Created };
  releases: { product: string; version: string; created_at: Created };
  customers: { id: string; name: string; created_at: Created };
  users: {
    id: Generated<number>;
    username: string;
    password_hash: string;
    /** A vendor role, or 'customer' for a customer's own people (customer_id says whose). */
    role: Role | 'customer';
    email: ColumnType<string | null, string | null | undefined, string | null>;
    customer_id: ColumnType<string | null, string | null | undefined, string | null>;
    disabled: ColumnType<boolean, boolean | undefined, boolean>;
    created_at: Created;
  };
  tokens: {
    id: Generated<number>;
    hash: string;
    name: string;
    user_id: number | null;
    customer_id: string | null;
    created_at: Created;
    last_used_at: Date | null;
    revoked: ColumnType<boolean, boolean | undefined, boolean>;
    /** null: valid until revoked. */
    expires_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  };
  publisher_keys: { keyid: string; name: string; public_pem: string; created_at: Created };
  archives: {
    id: string;
    kind: 'hotfix' | 'update';
    product: string;
    release: string;
    level: number;
    to_level: number | null;
    security: boolean;
    customer_id: string | null;
    title: string;
    severity: string;
    sha256: string;
    size: number;
    digest: string;
    signer: string | null;
    manifest: Json<unknown>;
    includes: Json<string[]>;
    uploaded_by: string;
    /** The metadata version that first offered it; null until that version is taken (metadata-version.ts). */
    seq: ColumnType<number | null, number | null | undefined, number | null>;
    created_at: Created;
  };
  rollouts: {
    id: Generated<number>;
    archive_id: string;
    customer_id: string | null;
    env_product: string | null;
    env_name: string | null;
    steps: Json<number[]>;
    step: ColumnType<number, number | undefined, number>;
    every_seconds: number | null;
    max_failure_rate: number;
    min_sample: number;
    state: RolloutState;
    seed: string;
    reason: string | null;
    created_by: string;
    created_at: Created;
    step_at: ColumnType<Date, Date | string | undefined, Date | string>;
  };
  env_gates: { product: string; environment: string; soak_seconds: number | null; freeze: Json<string[]> };
  rollout_log: {
    id: Generated<number>;
    rollout_id: number;
    seq: number;
    state: RolloutState;
    percent: number;
    installations: Json<string[]> | null;
    at: Created;
  };
  /** One row: the metadata version, and what of the TUF keys it was last moved for. */
  metadata_state: {
    id: number;
    version: number;
    tuf_targets: ColumnType<number, number | undefined, number>;
    tuf_online: ColumnType<string, string | undefined, string>;
  };
  installations: {
    id: string;
    customer_id: string | null;
    name: string;
    product: string;
    release: string;
    level: number;
    channel: string;
    hotfixes: Json<string[]>;
    registered_at: Created;
    reported_at: Date;
  };
  installation_events: {
    id: Generated<number>;
    installation_id: string;
    kind: 'applied' | 'reverted' | 'updated' | 'registered';
    archive_id: string | null;
    reason: string | null;
    at: Created;
  };
  login_failures: { id: Generated<number>; username: string; address: string; at: Created };
  audit_log: {
    id: Generated<number>;
    at: Created;
    actor: string;
    action: string;
    object_type: string;
    object_id: string;
    details: Json<unknown>;
  };
  // environments (issue 5)
  env_pipelines: { product: string; name: string; position: number };
  env_members: { installation_id: string; product: string; environment: string; assigned_at: Created };
  env_reports: {
    installation_id: string;
    release: string;
    level: number;
    hotfixes: Json<{ id: string; digest: string }[]>;
    updates: Json<{ id: string; digest: string }[]>;
    pack_hash: string;
    reported_at: Date;
  };
  env_tags: {
    id: Generated<number>;
    product: string;
    environment: string;
    tag: string;
    content: string;
    pack_hash: string | null;
    actor: string;
    at: Created;
  };
  env_deployments: {
    id: Generated<number>;
    product: string;
    environment: string;
    kind: 'hotfix' | 'update' | 'merge';
    archive_id: string | null;
    level: number | null;
    tag: string | null;
    commit: string | null;
    files: Json<Record<string, string | null>> | null;
    approval: string | null;
    actor: string;
    at: Created;
  };
  // cases (issue 5)
  cases: {
    id: Generated<number>;
    title: string;
    description: string;
    source: 'customer' | 'monitoring' | 'testing';
    reporter: string;
    customer_id: string | null;
    product: string;
    release: string | null;
    level: number | null;
    component: string | null;
    impact: 'all' | 'many' | 'few' | 'internal';
    impact_text: string;
    severity: 'S1' | 'S2' | 'S3' | 'S4';
    priority: 'P1' | 'P2' | 'P3' | 'P4';
    priority_reason: string | null;
    state: string;
    assignee: string | null;
    team: string | null;
    root_cause: string | null;
    commits: ColumnType<{ sha: string; subject?: string }[], string | undefined, string>;
    hotfix_id: string | null;
    functional: Json<CaseTestCounts> | null;
    regression: Json<CaseTestCounts> | null;
    window_start: Date | null;
    window_end: Date | null;
    deployed: ColumnType<{ environment: string; at: string; by: string }[], string | undefined, string>;
    signoff_by: string | null;
    signoff_at: Date | null;
    monitor_until: Date | null;
    outcome: string | null;
    release_notes: string | null;
    reopened: ColumnType<number, number | undefined, number>;
    created_by: string;
    created_at: Created;
    updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  };
  case_transitions: {
    id: Generated<number>;
    case_id: number;
    action: string;
    from_state: string | null;
    to_state: string;
    actor: string;
    reason: string | null;
    details: Json<unknown>;
    at: Created;
  };
  case_evidence: {
    id: Generated<number>;
    case_id: number;
    kind: 'functional' | 'regression';
    counts: Json<CaseTestCounts>;
    xml: string;
    uploaded_by: string;
    at: Created;
  };
  notify_subscriptions: {
    id: Generated<number>;
    kind: 'webhook' | 'email';
    target: string;
    secret: string | null;
    customer_id: string | null;
    username: string | null;
    events: Json<string[]>;
    created_by: string;
    created_at: Created;
  };
  notify_outbox: {
    id: Generated<number>;
    event_id: string;
    event: string;
    kind: 'webhook' | 'email';
    target: string;
    secret: string | null;
    payload: Json<unknown>;
    attempts: ColumnType<number, number | undefined, number>;
    next_at: ColumnType<Date, Date | string | undefined, Date | string>;
    claimed_until: Date | null;
    delivered_at: Date | null;
    failed_at: Date | null;
    last_error: string | null;
    created_at: Created;
  };
  notify_announced: { archive_id: string; at: Created };
  // release manifests
  release_manifests: {
    product: string;
    version: string;
    manifest: Json<ReleaseManifest>;
    released_at: ColumnType<Date, Date | string, never>;
    published_at: ColumnType<Date, Date | string, never>;
    uploaded_by: string;
    created_at: Created;
  };
}

export { ROLES, USER_ROLES, type Role, type UserRole } from '../wire/roles.js';
export type { CaseTestCounts } from '../wire/cases.js';
