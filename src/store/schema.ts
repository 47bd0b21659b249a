import type { ColumnType, Generated } from 'kysely';

type Created = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;

export interface Database {
  products: { name: string; title: string; created_at: Created };
  releases: { product: string; version: string; created_at: Created };
  customers: { id: string; name: string; created_at: Created };
  users: { id: Generated<number>; username: string; password_hash: string; role: Role; created_at: Created };
  tokens: {
    id: Generated<number>;
    hash: string;
    name: string;
    user_id: number | null;
    customer_id: string | null;
    created_at: Created;
    last_used_at: Date | null;
    revoked: ColumnType<boolean, boolean | undefined, boolean>;
  };
  publisher_keys: { keyid: string; name: string; public_pem: string; created_at: Created };
  server_keys: { id: string; keyid: string; private_pem: string; public_pem: string; created_at: Created };
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
    created_at: Created;
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
  login_failures: { id: Generated<number>; username: string; at: Created };
  audit_log: {
    id: Generated<number>;
    at: Created;
    actor: string;
    action: string;
    object_type: string;
    object_id: string;
    details: Json<unknown>;
  };
}

export const ROLES = ['viewer', 'developer', 'release-manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];
