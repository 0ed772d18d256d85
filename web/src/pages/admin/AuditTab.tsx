// The audit log (admins): who did what, to what, when, from where, and whether it went
// through — newest first, filtered by actor, action, target type, outcome and time (the
// filters live in the URL), 100 entries at a time with "Load more" (the hub's cursor).
import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useSearchParams } from "react-router-dom";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { AuditEntry, AuditOutcome, AuditPage } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { formatTime } from "../../lib/format";
import { useStateFor } from "../../lib/useStateFor";
import {
  AUDIT_ACTIONS,
  AUDIT_TARGET_TYPES,
  auditQuery,
  auditSearch,
  isAuditFiltered,
  NO_AUDIT_FILTERS,
  parseAuditFilters,
  type AuditFilters,
} from "./auditFilters";

const PAGE = 100;

function FilterBar({ filters, onApply }: { filters: AuditFilters; onApply: (f: AuditFilters) => void }) {
  // the text boxes apply on Enter (or the button); the lists and times at once
  const [draft, setDraft] = useStateFor(auditSearch(filters).toString(), () => filters);
  const set = (patch: Partial<AuditFilters>, now = false) => {
    const next = { ...draft, ...patch };
    setDraft(next);
    if (now) onApply(next);
  };
  return (
    <form
      className="row admin-filters"
      aria-label="Audit filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <label>
        Actor
        <input aria-label="Actor" placeholder="user name" value={draft.actor} onChange={(e) => set({ actor: e.target.value })} />
      </label>
      <label>
        Action
        <input aria-label="Action" placeholder="login.failed" list="audit-actions" value={draft.action} onChange={(e) => set({ action: e.target.value })} />
        <datalist id="audit-actions">
          {AUDIT_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
      </label>
      <label>
        Target
        <select aria-label="Target type" value={draft.targetType} onChange={(e) => set({ targetType: e.target.value }, true)}>
          <option value="">any</option>
          {AUDIT_TARGET_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Outcome
        <select aria-label="Outcome" value={draft.outcome} onChange={(e) => set({ outcome: e.target.value as AuditOutcome | "" }, true)}>
          <option value="">any</option>
          <option value="ok">ok</option>
          <option value="denied">denied</option>
          <option value="failed">failed</option>
        </select>
      </label>
      <label>
        From
        <input aria-label="From" type="datetime-local" value={draft.since} onChange={(e) => set({ since: e.target.value }, true)} />
      </label>
      <label>
        Until
        <input aria-label="Until" type="datetime-local" value={draft.until} onChange={(e) => set({ until: e.target.value }, true)} />
      </label>
      <button type="submit">Filter</button>
      {isAuditFiltered(filters) && (
        <button type="button" onClick={() => onApply(NO_AUDIT_FILTERS)}>
          Clear filters
        </button>
      )}
    </form>
  );
}

function detailText(detail: Record<string, unknown>): string {
  const keys = Object.keys(detail ?? {});
  if (!keys.length) return "";
  return keys.map((k) => `${k}: ${typeof detail[k] === "string" ? detail[k] : JSON.stringify(detail[k])}`).join(", ");
}

function Row({ entry, onFilter }: { entry: AuditEntry; onFilter: (patch: Partial<AuditFilters>) => void }) {
  const detail = detailText(entry.detail);
  return (
    <tr data-action={entry.action} data-outcome={entry.outcome}>
      <td>{formatTime(entry.time)}</td>
      <td>
        {entry.actor_name ? (
          <button className="linkish" title="Only this actor" onClick={() => onFilter({ actor: entry.actor_name })}>
            {entry.actor_name}
          </button>
        ) : (
          <span className="muted">anonymous</span>
        )}
      </td>
      <td>
        <button className="linkish" title="Only this action" onClick={() => onFilter({ action: entry.action })}>
          {entry.action}
        </button>
      </td>
      <td>
        {entry.target_type && <span className="muted">{entry.target_type} </span>}
        {entry.target_name || entry.target_id}
        {detail && (
          <div className="muted small audit-detail" title={detail}>
            {detail}
          </div>
        )}
      </td>
      <td>{entry.address ?? "—"}</td>
      <td>
        <span className={`outcome outcome-${entry.outcome}`}>{entry.outcome}</span>
      </td>
    </tr>
  );
}

export function AuditTab() {
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => parseAuditFilters(search), [search]);
  const apply = (f: AuditFilters) => setSearch(auditSearch(f));
  const pages = useInfiniteQuery({
    queryKey: queryKeys.audit.list(auditQuery(filters, null, PAGE)),
    queryFn: ({ pageParam, signal }) => get<AuditPage>("/audit", auditQuery(filters, pageParam, PAGE), signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: (previous) => previous,
  });
  const entries = pages.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <FilterBar filters={filters} onApply={apply} />
      <div className="row">
        <span className="muted" data-testid="audit-count">
          {pages.data ? `${entries.length.toLocaleString()} entr${entries.length === 1 ? "y" : "ies"}${pages.hasNextPage ? " shown" : ""}` : ""}
        </span>
        <span className="spacer" />
        <button onClick={() => void pages.refetch()} disabled={pages.isFetching}>
          Refresh
        </button>
      </div>
      <ErrorBox error={pages.error} title="Could not load the audit log" />
      {pages.isPending && <Loading what="the audit log" />}
      {pages.data && entries.length === 0 && (
        <Empty title={isAuditFiltered(filters) ? "No entry matches" : "The audit log is empty"}>
          {isAuditFiltered(filters) ? "Try other filters." : "Logins, key and role changes, deletions and more are recorded here."}
        </Empty>
      )}
      {entries.length > 0 && (
        <table className="grid" aria-label="Audit log">
          <thead>
            <tr>
              <th>Time</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>Address</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <Row key={e.id} entry={e} onFilter={(patch) => apply({ ...filters, ...patch })} />
            ))}
          </tbody>
        </table>
      )}
      {pages.hasNextPage && (
        <div className="row">
          <button onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
            {pages.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </>
  );
}
