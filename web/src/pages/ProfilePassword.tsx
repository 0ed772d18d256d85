// Changing one's own password: the current one, the new one twice. The hub checks its
// password policy (its message is shown as it says it) and ends the other sessions.
import { useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { post } from "../api/client";
import { queryKeys } from "../api/queryKeys";
import { ErrorBox, FormProblem } from "../components/feedback";
import { useToast } from "../components/toast";
import { useSubmit } from "../components/useSubmit";
import { passwordFormProblem } from "../lib/security";

export function PasswordForm() {
  const [old, setOld] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [tried, setTried] = useState(false);
  // counts the Saves refused here, so that each one reveals the message again
  const [attempt, setAttempt] = useState(0);
  const { busy, error, run } = useSubmit();
  const toast = useToast();
  const client = useQueryClient();
  const problem = passwordFormProblem(old, next, confirm);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (problem) {
      setAttempt((n) => n + 1);
      return;
    }
    await run(async () => {
      await post<void>("/auth/password", { old_password: old, new_password: next });
      setOld("");
      setNext("");
      setConfirm("");
      setTried(false);
      toast("Password changed; your other sessions are ended");
      void client.invalidateQueries({ queryKey: queryKeys.sessions.all });
    });
  };

  return (
    <form className="card password-form" aria-label="Change password" onSubmit={submit}>
      <h2>Change password</h2>
      <label>
        Current password
        <input type="password" autoComplete="current-password" value={old} onChange={(e) => setOld(e.target.value)} />
      </label>
      <label>
        New password
        <input type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <label>
        New password again
        <input type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} />
      </label>
      <FormProblem problem={tried && problem ? `${problem}#${attempt}` : null}>{problem}</FormProblem>
      <ErrorBox error={error} title="The hub refused the new password" />
      <button className="primary" type="submit" disabled={busy}>
        {busy ? "Changing…" : "Change password"}
      </button>
      <p className="muted small">Your other sessions (other browsers, other computers) are logged out; API keys keep working.</p>
    </form>
  );
}
