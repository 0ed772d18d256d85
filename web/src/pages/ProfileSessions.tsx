// The user's open sessions (browsers logged in): when, from where, with what; this one
// marked; end any other.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { del, get } from "../api/client";
import { queryKeys } from "../api/queryKeys";
import type { WebSessionOut } from "../api/types";
import { Empty, ErrorBox, Loading } from "../components/feedback";
import { useToast } from "../components/toast";
import { formatAgo, formatTime } from "../lib/format";
import { shortUserAgent } from "../lib/security";
import { useSession } from "../session";

export function SessionsPanel() {
  const client = useQueryClient();
  const toast = useToast();
  const { logout } = useSession();
  const sessions = useQuery({
    queryKey: queryKeys.sessions.list(),
    queryFn: ({ signal }) => get<WebSessionOut[]>("/auth/sessions", undefined, signal),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => del<void>(`/auth/sessions/${id}`),
    onSuccess: () => {
      toast("Session ended");
      void client.invalidateQueries({ queryKey: queryKeys.sessions.all });
    },
    onError: (e) => toast((e as Error).message, "error"),
  });
  if (sessions.isPending) return <Loading what="sessions" />;
  return (
    <>
      <p className="muted">Where you are logged in. Ending a session logs that browser out at once.</p>
      <ErrorBox error={sessions.error} title="Could not load the sessions" />
      {sessions.data && sessions.data.length === 0 && <Empty title="No sessions" />}
      {sessions.data && sessions.data.length > 0 && (
        <table className="grid" aria-label="Sessions">
          <thead>
            <tr>
              <th>Browser</th>
              <th>Address</th>
              <th>Logged in</th>
              <th>Last seen</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sessions.data.map((s) => (
              <tr key={s.id} data-session={s.id} data-current={s.current || undefined}>
                <td title={s.user_agent ?? ""}>
                  {shortUserAgent(s.user_agent)} {s.current && <span className="tag">this session</span>}
                </td>
                <td>{s.address ?? "—"}</td>
                <td>{formatTime(s.created_at)}</td>
                <td title={formatTime(s.last_seen_at)}>{formatAgo(s.last_seen_at)}</td>
                <td>{formatTime(s.expires_at)}</td>
                <td className="actions">
                  {s.current ? (
                    <button onClick={() => void logout()}>Log out</button>
                  ) : (
                    <button className="danger" disabled={revoke.isPending} onClick={() => revoke.mutate(s.id)}>
                      End session
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
