// The login form, and the single sign-on button when the hub has OpenID Connect on
// (``GET /auth/providers``). A throttled login (429) says how long to wait.
import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { get, post } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { AuthProviders, Session } from "../../api/types";
import { useSubmit } from "../../components/useSubmit";
import { loginFailure, oidcLoginUrl } from "../../lib/security";

function LoginError({ error }: { error: unknown }) {
  if (!error) return null;
  const { title, text } = loginFailure(error);
  return (
    <div className="error-box" role="alert" data-testid="login-error">
      <strong>{title}</strong>
      <div>{text}</div>
    </div>
  );
}

export function LoginPage({ onLogin }: { onLogin: (s: Session) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useSubmit();
  // an older hub has no /auth/providers: then it is the password form alone
  const providers = useQuery({
    queryKey: queryKeys.providers.all,
    queryFn: ({ signal }) => get<AuthProviders>("/auth/providers", undefined, signal),
    retry: false,
    staleTime: Infinity,
  });
  const oidc = providers.data?.oidc ?? null;
  const passwordOn = providers.data?.password ?? true;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await run(async () => {
      onLogin(await post<Session>("/auth/login", { username, password }));
    });
  };
  const sso = () => {
    window.location.assign(oidcLoginUrl(window.location.pathname + window.location.search));
  };

  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Log in">
        <h1>Corral</h1>
        <p className="muted">Log in to the hub.</p>
        {oidc && (
          <>
            <button type="button" className="primary" onClick={sso} data-testid="oidc-login">
              Log in with {oidc.name}
            </button>
            {passwordOn && <div className="login-or muted small">or with a password</div>}
          </>
        )}
        {passwordOn && (
          <>
            <label>
              User name
              <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus required />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </label>
            <LoginError error={error} />
            <button className={oidc ? undefined : "primary"} type="submit" disabled={busy}>
              {busy ? "Logging in…" : "Log in"}
            </button>
            <p className="muted small">
              The first start of the hub writes the admin's password to <code>initial_admin_password</code> in its data folder.
            </p>
          </>
        )}
      </form>
    </main>
  );
}
