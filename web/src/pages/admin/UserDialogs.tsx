// The users tab's dialogs: a new user or service account, a password reset, a user's
// allowed addresses.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { patch, post } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { HubRole, User, UserKind } from "../../api/types";
import { ErrorBox } from "../../components/feedback";
import { DialogFooter, Modal } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { addressListText, parseAddressList } from "../../lib/security";

export const HUB_ROLES: { value: HubRole; label: string; hint: string }[] = [
  { value: "user", label: "User", hint: "works in the projects they are given" },
  { value: "admin", label: "Admin", hint: "everything, on every project" },
  { value: "worker", label: "Worker", hint: "an agent: takes tasks from queues, nothing else" },
];

function useRefreshUsers() {
  const client = useQueryClient();
  return () => void client.invalidateQueries({ queryKey: queryKeys.users.all });
}

export function CreateUserDialog({ onClose }: { onClose: () => void }) {
  const [kind, setKind] = useState<UserKind>("person");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<HubRole>("user");
  const [ips, setIps] = useState("");
  const refresh = useRefreshUsers();
  const toast = useToast();
  const create = useMutation({
    mutationFn: () =>
      post<User>("/users", {
        name: name.trim(),
        kind,
        role,
        email: email.trim() || null,
        password: kind === "person" && password ? password : null,
        allowed_ips: parseAddressList(ips),
      }),
    onSuccess: (u) => {
      refresh();
      toast(`${u.kind === "service" ? "Service account" : "User"} ${u.name} created`);
      onClose();
    },
  });
  return (
    <Modal
      title={kind === "service" ? "New service account" : "New user"}
      onClose={onClose}
      footer={<DialogFooter action="Create" form="user-form" disabled={!name.trim() || create.isPending} onClose={onClose} />}
    >
      <form
        id="user-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) create.mutate();
        }}
      >
        <div className="row" role="radiogroup" aria-label="Kind">
          <label className="inline">
            <input type="radio" name="kind" checked={kind === "person"} onChange={() => setKind("person")} /> Person
          </label>
          <label className="inline">
            <input type="radio" name="kind" checked={kind === "service"} onChange={() => setKind("service")} /> Service account
          </label>
        </div>
        <p className="muted small">
          {kind === "service"
            ? "For agents and automation: it has no password and authenticates with API keys an admin makes for it."
            : "A person logs in with a password (or single sign-on) and makes their own API keys."}
        </p>
        <div className="form-grid">
          <label>
            Name
            <input aria-label="Name" autoFocus value={name} maxLength={64} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Role
            <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as HubRole)}>
              {HUB_ROLES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label} — {r.hint}
                </option>
              ))}
            </select>
          </label>
          <label>
            E-mail
            <input aria-label="E-mail" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          {kind === "person" && (
            <label>
              Password
              <input aria-label="Password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
          )}
        </div>
        <label>
          Allowed addresses
          <input aria-label="Allowed addresses" placeholder="anywhere (e.g. 10.0.0.0/8, 2001:db8::/32)" value={ips} onChange={(e) => setIps(e.target.value)} />
          <span className="muted small">Addresses or CIDR blocks, IPv4 or IPv6; empty means anywhere.</span>
        </label>
      </form>
      <ErrorBox error={create.error} title="Could not create the user" />
    </Modal>
  );
}

export function ResetPasswordDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState("");
  const toast = useToast();
  const refresh = useRefreshUsers();
  const reset = useMutation({
    mutationFn: () => patch<User>(`/users/${user.id}`, { password }),
    onSuccess: () => {
      refresh();
      toast(`Password of ${user.name} reset; their sessions are ended`);
      onClose();
    },
  });
  return (
    <Modal
      title={`Reset the password of ${user.name}`}
      onClose={onClose}
      footer={<DialogFooter action="Reset password" form="reset-form" disabled={!password || reset.isPending} onClose={onClose} />}
    >
      <form
        id="reset-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (password) reset.mutate();
        }}
      >
        <label>
          New password
          <input aria-label="New password" type="password" autoComplete="new-password" autoFocus value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <p className="muted small">Their open sessions end: they log in again with the new password.</p>
      </form>
      <ErrorBox error={reset.error} title="Could not reset the password" />
    </Modal>
  );
}

export function AllowedIpsDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const [ips, setIps] = useState(addressListText(user.allowed_ips));
  const toast = useToast();
  const refresh = useRefreshUsers();
  const save = useMutation({
    mutationFn: () => patch<User>(`/users/${user.id}`, { allowed_ips: parseAddressList(ips) }),
    onSuccess: (u) => {
      refresh();
      toast(`${u.name} may connect from ${addressListText(u.allowed_ips, "anywhere")}`);
      onClose();
    },
  });
  return (
    <Modal
      title={`Allowed addresses of ${user.name}`}
      onClose={onClose}
      footer={<DialogFooter action="Save" form="ips-form" disabled={save.isPending} onClose={onClose} />}
    >
      <form
        id="ips-form"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate();
        }}
      >
        <label>
          Addresses or CIDR blocks
          <textarea aria-label="Allowed addresses" autoFocus value={ips} placeholder="anywhere" onChange={(e) => setIps(e.target.value)} />
          <span className="muted small">One per line or comma separated, IPv4 or IPv6 (10.0.0.0/8, 2001:db8::/32). Empty means anywhere.</span>
        </label>
      </form>
      <ErrorBox error={save.error} title="Could not save the addresses" />
    </Modal>
  );
}
