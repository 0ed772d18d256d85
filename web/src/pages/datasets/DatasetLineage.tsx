// Where a version comes from and where it went: its parents and children (versions), and
// the tasks that used it (``Dataset.get(alias=...)`` records a usage), linked.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { ErrorBox, Loading } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import { formatTime } from "../../lib/format";
import { StateBadge } from "./DatasetBits";
import { datasetQueries } from "./datasetQueries";
import type { DatasetGraph, DatasetGraphNode, DatasetVersion } from "../../api/types";

export function DatasetLineage({ version, graph }: { version: DatasetVersion; graph: DatasetGraph | undefined }) {
  const byId = new Map((graph?.nodes ?? []).map((n) => [n.id, n]));
  const children = (graph?.nodes ?? []).filter((n) => n.parents.includes(version.id));
  return (
    <>
      <section className="card" aria-label="Parents and children">
        <h2>Parents and children</h2>
        <dl className="dataset-kv">
          <dt>Parents</dt>
          <dd data-testid="lineage-parents">
            {version.parents.length === 0 ? (
              <span className="muted">none (a first version)</span>
            ) : (
              <VersionLinks ids={version.parents} byId={byId} />
            )}
          </dd>
          <dt>Children</dt>
          <dd data-testid="lineage-children">
            {children.length === 0 ? <span className="muted">none yet</span> : <VersionLinks ids={children.map((c) => c.id)} byId={byId} />}
          </dd>
        </dl>
      </section>
      <Usages version={version} />
    </>
  );
}

function VersionLinks({ ids, byId }: { ids: string[]; byId: Map<string, DatasetGraphNode> }) {
  return (
    <ul className="dataset-links">
      {ids.map((id) => {
        const n = byId.get(id);
        return (
          <li key={id}>
            <Link to={`/datasets/${id}`}>{n ? `${n.name} ${n.version}` : id}</Link> {n && <StateBadge state={n.state} />}
          </li>
        );
      })}
    </ul>
  );
}

function Usages({ version }: { version: DatasetVersion }) {
  const usages = useQuery(datasetQueries.usages(version.id));
  return (
    <section className="card" aria-label="Used by">
      <h2>Used by</h2>
      <ErrorBox error={usages.error} title="Could not load the tasks that used this version" />
      {usages.isPending ? (
        <Loading what="usages" />
      ) : usages.data && usages.data.items.length === 0 ? (
        <p className="muted">
          No task used this version yet. A script records it with <code>Dataset.get(..., alias="train")</code>.
        </p>
      ) : (
        usages.data && (
          <table className="grid" aria-label="Tasks that used this version">
            <thead>
              <tr>
                <th>Task</th>
                <th>Status</th>
                <th>Alias</th>
                <th>Used</th>
              </tr>
            </thead>
            <tbody>
              {usages.data.items.map((u) => (
                <tr key={`${u.task_id}/${u.alias}`} data-testid="usage-row">
                  <td>
                    <Link to={`/experiments/${u.task_id}`}>{u.task_name}</Link>
                  </td>
                  <td>
                    <StatusBadge status={u.status} />
                  </td>
                  <td className="mono">{u.alias}</td>
                  <td>{formatTime(u.used_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
    </section>
  );
}
