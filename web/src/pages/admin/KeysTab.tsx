// Every API key of the hub (admins): whose, its scope, when and from where it was last
// used; revoke one. Task tokens (the hub's short-lived keys for running tasks) on demand.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { get } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { ApiKey } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { keyState } from "../../lib/security";
import { KeysTable } from "../account/KeysTable";

export function KeysTab() {
  const keys = useQuery({
    queryKey: queryKeys.keys.everyone(),
    queryFn: ({ signal }) => get<ApiKey[]>("/keys", { all: true }, signal),
  });
  const users = useQuery(queries.users());
  const [text, setText] = useState("");
  const [showInactive, setShowInactive] = useState(false);
  const [showTasks, setShowTasks] = useState(false);
  const userNames = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u.name])), [users.data]);
  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return (keys.data ?? []).filter(
      (k) =>
        (showInactive || keyState(k) === "active") &&
        (showTasks || k.kind !== "task") &&
        (!needle ||
          (userNames.get(k.user_id) ?? "").toLowerCase().includes(needle) ||
          k.label.toLowerCase().includes(needle) ||
          k.access_key.toLowerCase().includes(needle)),
    );
  }, [keys.data, text, showInactive, showTasks, userNames]);

  if (keys.isPending) return <Loading what="keys" />;
  return (
    <>
      <div className="row">
        <input type="search" aria-label="Search keys" data-shortcut="search" placeholder="Search by user, label or access key…" value={text} onChange={(e) => setText(e.target.value)} />
        <label className="inline">
          <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.target.checked)} /> Show revoked and expired
        </label>
        <label className="inline">
          <input type="checkbox" checked={showTasks} onChange={(e) => setShowTasks(e.target.checked)} /> Show task tokens
        </label>
      </div>
      <ErrorBox error={keys.error} title="Could not load the keys" />
      {keys.data && rows.length === 0 && <Empty title="No key matches" />}
      {rows.length > 0 && <KeysTable keys={rows} userNames={userNames} />}
    </>
  );
}
