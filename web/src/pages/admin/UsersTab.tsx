// Users and service accounts: role, kind, state, where they log in from; create one,
// change a role, reset a password, set allowed addresses, deactivate or reactivate,
// and make a service account's keys.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { del, patch } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { HubRole, ApiKeyCreated, User } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { ConfirmDialog, Modal } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { formatTime } from "../../lib/format";
import { addressListText } from "../../lib/security";
import { useSession } from "../../session";
import { NewKeyCard, NewKeyForm } from "../account/NewKeyForm";
import { AllowedIpsDialog, CreateUserDialog, HUB_ROLES, ResetPasswordDialog } from "./UserDialogs";

function ServiceKeyDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  return (
    <Modal title={`New API key for ${user.name}`} onClose={onClose} footer={<button onClick={onClose}>Close</button>}>
      {created ? <NewKeyCard created={created} onDone={onClose} /> : <NewKeyForm userId={user.id} onCreated={setCreated} />}
    </Modal>
  );
}

type Dialog = { kind: "create" } | { kind: "password" | "ips" | "key" | "deactivate"; user: User } | null;

export function UsersTab() {
  const client = useQueryClient();
  const toast = useToast();
  const me = useSession().user;
  const users = useQuery(queries.users());
  const [dialog, setDialog] = useState<Dialog>(null);
  const [text, setText] = useState("");
  const [showInactive, setShowInactive] = useState(false);
  const refresh = () => void client.invalidateQueries({ queryKey: queryKeys.users.all });

  const update = useMutation({
    mutationFn: ({ user, change }: { user: User; change: { role?: HubRole; active?: boolean } }) =>
      patch<User>(`/users/${user.id}`, change),
    onSuccess: (u, { change }) => {
      refresh();
      toast(change.role ? `${u.name} is now ${u.role}` : `${u.name} reactivated`);
    },
    onError: (e) => toast((e as Error).message, "error"),
  });
  const deactivate = useMutation({
    mutationFn: (user: User) => del<User>(`/users/${user.id}`),
    onSuccess: (u) => {
      refresh();
      void client.invalidateQueries({ queryKey: queryKeys.keys.all });
      toast(`${u.name} deactivated: their sessions, keys and streams are ended`);
    },
    onError: (e) => toast((e as Error).message, "error"),
  });

  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return ((users.data ?? []) as User[]).filter(
      (u) =>
        (showInactive || u.active) &&
        (!needle || u.name.toLowerCase().includes(needle) || (u.email ?? "").toLowerCase().includes(needle)),
    );
  }, [users.data, text, showInactive]);

  if (users.isPending) return <Loading what="users" />;
  return (
    <>
      <div className="row">
        <input type="search" aria-label="Search users" data-shortcut="search" placeholder="Search by name or e-mail…" value={text} onChange={(e) => setText(e.target.value)} />
        <label className="inline">
          <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.target.checked)} /> Show deactivated
        </label>
        <span className="spacer" />
        <button className="primary" onClick={() => setDialog({ kind: "create" })}>
          New user
        </button>
      </div>
      <ErrorBox error={users.error} title="Could not load the users" />
      {users.data && rows.length === 0 && <Empty title="No user matches" />}
      {rows.length > 0 && (
        <table className="grid" aria-label="Users">
          <thead>
            <tr>
              <th>Name</th>
              <th>E-mail</th>
              <th>Role</th>
              <th>Kind</th>
              <th>Logs in with</th>
              <th>Teams</th>
              <th>Allowed addresses</th>
              <th>Created</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((u) => (
              <tr key={u.id} data-user={u.name} className={u.active ? undefined : "inactive"}>
                <td>{u.name}</td>
                <td>{u.email ?? "—"}</td>
                <td>
                  <select
                    aria-label={`Role of ${u.name}`}
                    value={u.role ?? ""}
                    disabled={!u.active || u.id === me.id || update.isPending}
                    title={u.id === me.id ? "Another admin changes your own role" : undefined}
                    onChange={(e) => update.mutate({ user: u, change: { role: e.target.value as HubRole } })}
                  >
                    {HUB_ROLES.map((r) => (
                      <option key={r.value} value={r.value}>
                        {r.label}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{u.kind === "service" ? "service account" : "person"}</td>
                <td>{u.auth_source === "oidc" ? "single sign-on" : u.kind === "service" ? "API keys" : "password"}</td>
                <td>{u.teams && u.teams.length ? u.teams.map((t) => t.name).join(", ") : "—"}</td>
                <td>{addressListText(u.allowed_ips, "anywhere")}</td>
                <td>{formatTime(u.created_at)}</td>
                <td>{u.active ? "active" : "deactivated"}</td>
                <td className="actions">
                  {u.kind === "service" && u.active && <button onClick={() => setDialog({ kind: "key", user: u })}>New key</button>}
                  {u.kind !== "service" && u.auth_source !== "oidc" && u.active && (
                    <button onClick={() => setDialog({ kind: "password", user: u })}>Reset password</button>
                  )}
                  <button onClick={() => setDialog({ kind: "ips", user: u })}>Addresses</button>
                  {u.active ? (
                    u.id !== me.id && (
                      <button
                        className="danger"
                        disabled={deactivate.isPending}
                        onClick={() => setDialog({ kind: "deactivate", user: u })}
                      >
                        Deactivate
                      </button>
                    )
                  ) : (
                    <button onClick={() => update.mutate({ user: u, change: { active: true } })}>Reactivate</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {dialog?.kind === "create" && <CreateUserDialog onClose={() => setDialog(null)} />}
      {dialog?.kind === "password" && <ResetPasswordDialog user={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === "ips" && <AllowedIpsDialog user={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === "key" && <ServiceKeyDialog user={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === "deactivate" && (
        <ConfirmDialog
          title={`Deactivate ${dialog.user.name}?`}
          action="Deactivate"
          busy={deactivate.isPending}
          onClose={() => setDialog(null)}
          onConfirm={() => deactivate.mutate(dialog.user, { onSettled: () => setDialog(null) })}
        >
          <p>Their sessions and keys stop working at once. An admin can reactivate the account later.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
