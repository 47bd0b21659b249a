// Who may do what: the vendor's roles in order of rank, and the customer's own people.
/** The vendor's roles, each including the ones before it. */
export const ROLES = ['viewer', 'developer', 'release-manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** A user's role as stored: a vendor role, or 'customer' (a customer's own people; no vendor role at all). */
export const USER_ROLES = [...ROLES, 'customer'] as const;
export type UserRole = (typeof USER_ROLES)[number];
