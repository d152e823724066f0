import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, csrfToken, onSessionLost, unwrap } from '../api/client';

// Who is signed in and what they may do. Pages ask `can(permission)` to decide what to offer; the
// server enforces the same permissions, so hiding is for clarity, not for safety.

export interface ScopeRow {
  fondsCode: string | null;
  regionCode: string | null;
  categoryCode: string | null;
}

export interface CurrentUser {
  username: string;
  displayName: string | null;
  roles: string[];
  permissions: string[];
  scope: ScopeRow[] | null;
  /** The password was chosen by someone else: the owner changes it before anything else. */
  mustChangePassword?: boolean;
  /** An administrator's second factor must be enrolled by its owner before anything else. */
  mustEnrolTotp?: boolean;
}

interface AuthState {
  user: CurrentUser | null;
  /** True until the first /auth/me answer is in. */
  loading: boolean;
  can: (permission: string) => boolean;
  signIn: (username: string, password: string, totp?: string) => Promise<void>;
  signOut: () => Promise<void>;
  refresh: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

function asUser(value: unknown): CurrentUser {
  const user = value as CurrentUser;
  return { ...user, displayName: user.displayName ?? null, scope: user.scope ?? null };
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<CurrentUser | null>(null);
  const [loading, setLoading] = useState(true);

  const refresh = useCallback(async () => {
    try {
      setUser(asUser(await unwrap(api.GET('/api/v1/auth/me'))));
    } catch {
      setUser(null);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    onSessionLost(() => {
      csrfToken.set(null);
      setUser(null);
    });
    void refresh();
  }, [refresh]);

  const signIn = useCallback(async (username: string, password: string, totp?: string) => {
    const answer = await unwrap(
      api.POST('/api/v1/auth/login', { body: { username, password, ...(totp ? { totp } : {}) } }),
    );
    const signedIn = answer as unknown as { user: unknown; csrfToken: string };
    csrfToken.set(signedIn.csrfToken);
    setUser(asUser(signedIn.user));
  }, []);

  const signOut = useCallback(async () => {
    try {
      await unwrap(api.POST('/api/v1/auth/logout'));
    } finally {
      csrfToken.set(null);
      setUser(null);
    }
  }, []);

  const value = useMemo<AuthState>(
    () => ({
      user,
      loading,
      can: (permission) => Boolean(user?.permissions.includes(permission)),
      signIn,
      signOut,
      refresh,
    }),
    [user, loading, signIn, signOut, refresh],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth outside AuthProvider');
  return state;
}
