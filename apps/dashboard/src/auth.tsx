// Who is signed in. Pages below <RequireSession> can rely on `useMe()`.
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api, type Me } from './api';
import { useResource } from './hooks';
import { session } from './session';
import { ErrorNotice, Loading } from './ui';

interface SessionContext {
  me: Me;
  reload: () => void;
}

const Context = createContext<SessionContext | null>(null);

export function useMe(): SessionContext {
  const value = useContext(Context);
  if (!value) throw new Error('useMe() outside <RequireSession>');
  return value;
}

/** Follows log-in, log-out and expiry, from this tab or another. */
export function useSessionToken(): string | null {
  const [token, setToken] = useState(session.token());
  const navigate = useNavigate();
  const location = useLocation();
  useEffect(
    () =>
      session.subscribe((reason) => {
        if (reason === 'expired') {
          const next = location.pathname + location.search;
          navigate(`/login?expired=1&next=${encodeURIComponent(next)}`, { replace: true });
        }
        setToken(session.token());
      }),
    [navigate, location],
  );
  return token;
}

export function RequireSession({ children }: { children: ReactNode }) {
  const token = useSessionToken();
  const location = useLocation();
  const me = useResource(token, (signal) => api.me(signal));
  if (!token) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!me.data) return me.error ? <main className="page"><ErrorNotice error={me.error} onRetry={me.reload} /></main> : <main className="page"><Loading /></main>;
  return <Context.Provider value={{ me: me.data, reload: me.reload }}>{children}</Context.Provider>;
}
