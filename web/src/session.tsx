import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { ROLES } from '../../src/store/schema.js';
import { api, ApiError, setToken, storedMe, token, whenUnauthorized } from './api.js';
import type { Me, Role } from './types.js';

interface Session {
  me: Me | null;
  /** True until the stored token has been checked. */
  checking: boolean;
  signIn(username: string, password: string, remember: boolean): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  // With a stored token and its user, views start at once; /v1/me confirms (a 401 signs out, a
  // changed role is taken) without the first view waiting for it.
  const remembered = token() ? storedMe<Me>() : null;
  const [me, setMe] = useState<Me | null>(remembered);
  const [checking, setChecking] = useState(token() !== null && remembered === null);

  useEffect(() => {
    whenUnauthorized(() => {
      setToken(null);
      setMe(null);
    });
    if (!token()) return;
    api<Me | { kind: 'customer' }>('GET', '/v1/me')
      .then((m) => setMe(m.kind === 'user' ? m : null))
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
    const r = await api<{ token: string; user: { username: string; role: Role } }>('POST', '/v1/login', { username, password, name: 'dashboard', ttl: remember ? 30 * 86400 : 12 * 3600 });
    const m: Me = { kind: 'user', username: r.user.username, role: r.user.role };
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

/** Whether the signed-in user's role is at least `min` (the server checks again; this only hides what it would refuse). */
export function useCan(): (min: Role) => boolean {
  const { me } = useSession();
  return (min) => me !== null && ROLES.indexOf(me.role) >= ROLES.indexOf(min);
}
