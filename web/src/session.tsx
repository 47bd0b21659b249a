import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ROLES } from '../../src/wire/roles.js';
import { api, ApiError, setToken, storedMe, token, whenUnauthorized } from './api.js';
import type { Me, Role, UserRole } from './types.js';

interface Session {
  me: Me | null;
  /** True until the stored token has been checked. */
  checking: boolean;
  signIn: (username: string, password: string, remember: boolean) => Promise<void>;
  signOut: () => Promise<void>;
}

/** What /v1/me answers: a vendor's user, a customer's user, or an installation token (which has no place here). */
type MeAnswer = Me | { kind: 'customer'; customer: string; token: string };

/** Only a person's sign-in opens the dashboard: an installation's token is refused like none. */
function person(m: MeAnswer): Me | null {
  if (m.kind === 'user') return { kind: 'user', username: m.username, role: m.role, email: m.email ?? null };
  if (m.kind === 'customer-user') return { kind: 'customer-user', username: m.username, customer: m.customer };
  return null;
}

/** What was stored as the signed-in person, if it still reads as one (storage is anyone's to edit). */
function isMe(v: unknown): v is Me {
  if (typeof v !== 'object' || v === null) return false;
  const kind = (v as { kind?: unknown }).kind;
  return kind === 'user' || kind === 'customer-user';
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  // With a stored token and its user, views start at once; /v1/me confirms (a 401 signs out, a
  // changed role is taken) without the first view waiting for it.
  const remembered = token() ? storedMe() : null;
  const [me, setMe] = useState<Me | null>(isMe(remembered) ? remembered : null);
  const [checking, setChecking] = useState(token() !== null && me === null);

  useEffect(() => {
    whenUnauthorized(() => {
      setToken(null);
      setMe(null);
    });
    if (!token()) return;
    api<MeAnswer>('GET', '/v1/me')
      .then((m) => setMe(person(m)))
      .catch((e: unknown) => {
        // The server said no (401 is handled above): sign out. Unreachable: keep what was remembered.
        if (e instanceof ApiError && e.status !== 0) {
          setToken(null);
          setMe(null);
        }
      })
      .finally(() => setChecking(false));
  }, []);

  const signIn = useCallback(async (username: string, password: string, remember: boolean) => {
    // A browser's token expires: 12 hours for a tab, 30 days when kept on this browser.
    const body = { username, password, name: 'dashboard', ttl: remember ? 30 * 86400 : 12 * 3600 };
    const r = await api<{ token: string; user: { username: string; role: UserRole; customer: string | null } }>(
      'POST',
      '/v1/login',
      body,
    );
    const m: Me =
      r.user.role === 'customer'
        ? { kind: 'customer-user', username: r.user.username, customer: r.user.customer ?? '' }
        : { kind: 'user', username: r.user.username, role: r.user.role };
    setToken(r.token, remember, m);
    setMe(m);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api('POST', '/v1/logout', {});
    } finally {
      setToken(null);
      setMe(null);
    }
  }, []);

  return <SessionContext.Provider value={{ me, checking, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** Whether the signed-in person is a vendor's user with at least role `min` (the server checks again; this only hides what it would refuse). */
export function useCan(): (min: Role) => boolean {
  const { me } = useSession();
  return (min) => me?.kind === 'user' && ROLES.indexOf(me.role) >= ROLES.indexOf(min);
}

/** The customer a customer's user belongs to; null for the vendor's users. */
export function useCustomer(): string | null {
  const { me } = useSession();
  return me?.kind === 'customer-user' ? me.customer : null;
}

export const ROLE_LABEL: Record<UserRole, string> = {
  viewer: 'Viewer',
  developer: 'Developer',
  'release-manager': 'Release manager',
  admin: 'Administrator',
  customer: 'Customer',
};
