// Login lockouts (admins): the users and addresses the hub slows down or locks out
// after failed logins; clearing one lets it try again at once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { del, get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { Lockout } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { useToast } from "../../components/toast";
import { formatTime } from "../../lib/format";

/** Lockouts do not come through the change stream: the tab asks again on a timer. */
const REFRESH_MS = 10_000;

export function LockoutsTab() {
  const client = useQueryClient();
  const toast = useToast();
  const lockouts = useQuery({
    queryKey: queryKeys.lockouts.list(),
    queryFn: ({ signal }) => get<Lockout[]>("/lockouts", undefined, signal),
    refetchInterval: REFRESH_MS,
  });
  const clear = useMutation({
    mutationFn: (l: Lockout) => del<void>(`/lockouts/${encodeURIComponent(l.subject)}`),
    onSuccess: (_, l) => {
      toast(`${l.subject} may log in again`);
      void client.invalidateQueries({ queryKey: queryKeys.lockouts.all });
    },
    onError: (e) => toast((e as Error).message, "error"),
  });
  if (lockouts.isPending) return <Loading what="lockouts" />;
  // "now" is when the list came: it is asked again every few seconds
  const now = lockouts.dataUpdatedAt;
  return (
    <>
      <p className="muted">
        After failed logins the hub makes a user name or an address wait longer between attempts, then locks it out for a while.
      </p>
      <ErrorBox error={lockouts.error} title="Could not load the lockouts" />
      {lockouts.data && lockouts.data.length === 0 && <Empty title="No lockouts">Nobody is failing to log in.</Empty>}
      {lockouts.data && lockouts.data.length > 0 && (
        <table className="grid" aria-label="Lockouts">
          <thead>
            <tr>
              <th>Subject</th>
              <th>Kind</th>
              <th>Failures</th>
              <th>Locked until</th>
              <th>Next attempt</th>
              <th>Last failure</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {lockouts.data.map((l) => {
              const locked = l.locked_until !== null && new Date(l.locked_until).getTime() > now;
              const delayed = !!l.next_attempt_at && new Date(l.next_attempt_at).getTime() > now;
              return (
                <tr key={l.subject} data-subject={l.subject}>
                  <td>
                    <code>{l.subject}</code>
                  </td>
                  <td>{l.kind === "address" ? "address" : "user"}</td>
                  <td>{l.failures}</td>
                  <td>{locked ? <strong>{formatTime(l.locked_until)}</strong> : <span className="muted">not locked</span>}</td>
                  <td>{delayed ? formatTime(l.next_attempt_at) : <span className="muted">now</span>}</td>
                  <td>{formatTime(l.last_failure_at)}</td>
                  <td className="actions">
                    <button disabled={clear.isPending} onClick={() => clear.mutate(l)}>
                      Clear
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
