// Users, customers, tokens and publisher keys as the admin routes list them: never a secret.
import type { Role, UserRole } from './roles.js';

/** A vendor's user (by role), or one of a customer's own people (who sees only that customer's things). */
export type Me =
  | { kind: 'user'; username: string; role: Role; email?: string | null }
  | { kind: 'customer-user'; username: string; customer: string };

/** A user as the admin views list them: never the password hash. */
export interface UserRow {
  username: string;
  role: UserRole;
  customer: string | null;
  email: string | null;
  disabled: boolean;
  createdAt: string;
}

/** A customer with what the admin needs to onboard it: how many installation tokens and installations it has. */
export interface CustomerRow {
  id: string;
  name: string;
  createdAt: string;
  tokens: number;
  installations: number;
  users: number;
}

/** A token as GET /v1/tokens lists it: never its secret. */
export interface TokenRow {
  id: number;
  name: string;
  user: string | null;
  customer: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revoked: boolean;
  /** The token of the request that asked. */
  current: boolean;
}

export interface PublisherKey {
  keyid: string;
  name: string;
  public_pem: string;
  created_at: string;
}

export interface Product {
  name: string;
  title: string;
  releases: string[];
}
