import { useState, type FormEvent } from "react";
import { post } from "../../api/client";
import type { Session } from "../../api/types";
import { ErrorBox } from "../../components/feedback";
import { useSubmit } from "../../components/useSubmit";

export function LoginPage({ onLogin }: { onLogin: (s: Session) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, run } = useSubmit();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await run(async () => {
      onLogin(await post<Session>("/auth/login", { username, password }));
    });
  };

  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Log in">
        <h1>Corral</h1>
        <p className="muted">Log in to the hub.</p>
        <label>
          User name
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} autoFocus required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <ErrorBox error={error} title="Login failed" />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="muted small">
          The first start of the hub writes the admin's password to <code>initial_admin_password</code> in its data folder.
        </p>
      </form>
    </main>
  );
}
