// A table of API keys: label, scope, created, last use (and from where), state, revoke.
// The profile lists the user's own; the admin page everyone's, with a user column.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { del } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { ApiKey } from "../../api/types";
import { ConfirmDialog } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { formatTime } from "../../lib/format";
import { keyScope, keyState } from "../../lib/security";

export function useRevokeKey() {
  const client = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: (id: string) => del<ApiKey>(`/keys/${id}`),
    onSuccess: () => {
      toast("Key revoked");
      void client.invalidateQueries({ queryKey: queryKeys.keys.all });
    },
    onError: (e) => toast((e as Error).message, "error"),
  });
}

export function KeysTable({ keys, userNames }: { keys: ApiKey[]; /** with a user column */ userNames?: ReadonlyMap<string, string> }) {
  const projects = useQuery(queries.projects());
  const projectNames = new Map((projects.data ?? []).map((p) => [p.id, p.name]));
  const revoke = useRevokeKey();
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  return (
    <>
    <table className="grid" aria-label="API keys">
      <thead>
        <tr>
          {userNames && <th>User</th>}
          <th>Access key</th>
          <th>Label</th>
          <th>Scope</th>
          <th>Created</th>
          <th>Last used</th>
          <th>State</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const state = keyState(k);
          const scope = keyScope(k, projectNames);
          return (
            <tr key={k.id} className={state === "active" ? undefined : "inactive"}>
              {userNames && <td>{userNames.get(k.user_id) ?? k.user_id}</td>}
              <td>
                <code>{k.access_key}</code>
              </td>
              <td>{k.label}</td>
              <td>
                {scope.length ? (
                  <span className="scope-list">
                    {scope.map((s) => (
                      <span key={s} className="tag">
                        {s}
                      </span>
                    ))}
                  </span>
                ) : (
                  <span className="muted">full rights</span>
                )}
              </td>
              <td>{formatTime(k.created_at)}</td>
              <td>
                {formatTime(k.last_used_at)}
                {k.last_used_address && <div className="muted small">from {k.last_used_address}</div>}
              </td>
              <td>{state === "revoked" ? `revoked ${formatTime(k.revoked_at)}` : state}</td>
              <td className="actions">
                {state !== "revoked" && (
                  <button
                    className="danger"
                    disabled={revoke.isPending}
                    onClick={() => setRevoking(k)}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
    {revoking && (
      <ConfirmDialog
        title={`Revoke key ${revoking.access_key}?`}
        action="Revoke"
        busy={revoke.isPending}
        onClose={() => setRevoking(null)}
        onConfirm={() => revoke.mutate(revoking.id, { onSettled: () => setRevoking(null) })}
      >
        <p>
          Programs using <code>{revoking.access_key}</code>
          {revoking.label ? ` (${revoking.label})` : ""} stop working at once. This cannot be undone.
        </p>
      </ConfirmDialog>
    )}
    </>
  );
}
