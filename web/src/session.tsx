// Who is logged in. The cookie is HttpOnly, so the app asks /auth/me on load; the
// answer also carries the CSRF token that every change must send.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { ApiError, get, onUnauthorized, post, setCsrfToken } from "./api/client";
import type { Session, User } from "./api/types";
import { ErrorBox, Loading } from "./components/feedback";
import { LoginPage } from "./pages/account/LoginPage";

interface SessionValue {
  user: User;
  logout: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionGate");
  return value;
}

export function SessionGate({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(null);
  const [state, setState] = useState<"checking" | "anonymous" | "in" | "error">("checking");
  const [error, setError] = useState<unknown>(null);

  const accept = useCallback((s: Session) => {
    setCsrfToken(s.csrf_token);
    setSession(s);
    setState("in");
  }, []);

  useEffect(() => {
    get<Session>("/auth/me")
      .then(accept)
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) setState("anonymous");
        else {
          setError(e);
          setState("error");
        }
      });
    return onUnauthorized(() => {
      setCsrfToken(null);
      setSession(null);
      setState("anonymous");
    });
  }, [accept]);

  const logout = useCallback(async () => {
    await post("/auth/logout").catch(() => undefined);
    setCsrfToken(null);
    setSession(null);
    setState("anonymous");
  }, []);

  if (state === "checking") return <Loading what="session" />;
  if (state === "error") return <ErrorBox error={error} title="Cannot reach the hub" />;
  if (state === "anonymous" || !session) return <LoginPage onLogin={accept} />;
  return <SessionContext.Provider value={{ user: session.user, logout }}>{children}</SessionContext.Provider>;
}
