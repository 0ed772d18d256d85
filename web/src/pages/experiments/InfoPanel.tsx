// The side panel of the highlighted row: the experiment's summary, its hyperparameters
// and last metrics, and a link to each tab of its page. The row's own data shows at once;
// the full task (hyperparameters, comment) comes from GET /tasks/{id}, kept live by the
// change stream like the experiment page.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { queries } from "../../api/queries";
import { taskTypeLabel, type LastMetrics, type TaskBrief } from "../../api/types";
import { ErrorBox } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import { formatNumber, formatValue } from "../../lib/format";
import { Duration, Time, type Names } from "./cells";
import { isMonitorMetric } from "./columns";

/** The experiment page's tabs, in the order a ClearML user looks for them. */
export const TASK_TABS: { id: string; label: string }[] = [
  { id: "info", label: "Info" },
  { id: "configuration", label: "Configuration" },
  { id: "execution", label: "Execution" },
  { id: "console", label: "Console" },
  { id: "scalars", label: "Scalars" },
  { id: "plots", label: "Plots" },
  { id: "debug-samples", label: "Debug samples" },
  { id: "artifacts", label: "Artifacts" },
  { id: "models", label: "Models" },
];

function Metrics({ metrics }: { metrics: LastMetrics }) {
  const rows = Object.entries(metrics)
    .flatMap(([metric, variants]) => Object.entries(variants).map(([variant, v]) => ({ metric, variant, v })))
    // the run's own series first, the machine's last
    .sort((a, b) => Number(isMonitorMetric(a.metric)) - Number(isMonitorMetric(b.metric)));
  if (!rows.length) return <p className="muted small">No metrics reported.</p>;
  return (
    <table aria-label="Last metrics">
      <thead>
        <tr>
          <th>Metric</th>
          <th>Last</th>
          <th>Min</th>
          <th>Max</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ metric, variant, v }) => (
          <tr key={`${metric}\u0000${variant}`}>
            <td>
              {metric}/{variant}
            </td>
            <td>{formatNumber(v.last)}</td>
            <td>{formatNumber(v.min)}</td>
            <td>{formatNumber(v.max)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function InfoPanel({ brief, names, onClose }: { brief: TaskBrief; names: Names; onClose: () => void }) {
  const full = useQuery(queries.task(brief.id));
  const task = full.data ?? null;
  const hyperparams = Object.entries(task?.hyperparams ?? {}).flatMap(([section, values]) =>
    Object.entries(values).map(([name, p]) => ({ section, name, value: p.value })),
  );
  const user = brief.user_id ? (names.users.get(brief.user_id) ?? brief.user_id.slice(0, 8)) : "—";
  const queue = brief.queue_id ? (names.queues.get(brief.queue_id) ?? brief.queue_id.slice(0, 8)) : "—";
  return (
    <aside className="xp-panel" aria-label="Experiment details" data-testid="info-panel" data-task-id={brief.id}>
      <div className="xp-panel-body">
        <header>
          <h2>
            <Link to={`/experiments/${brief.id}`} title="Open the experiment (Enter)">
              {brief.name}
            </Link>
          </h2>
          <button className="icon" aria-label="Close the details" title="Close (Escape)" onClick={onClose}>
            ×
          </button>
        </header>
        <nav className="xp-tabs" aria-label="Experiment tabs">
          {TASK_TABS.map((t) => (
            <Link key={t.id} to={`/experiments/${brief.id}/${t.id}`}>
              {t.label}
            </Link>
          ))}
        </nav>
        <dl>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={brief.status} />
            {brief.status_reason && <span className="muted small"> {brief.status_reason}</span>}
          </dd>
          <dt>Type</dt>
          <dd>{taskTypeLabel(brief.type)}</dd>
          <dt>User</dt>
          <dd>{user}</dd>
          <dt>Project</dt>
          <dd>
            <Link to={`/projects/${brief.project_id}/experiments`}>{names.projects.get(brief.project_id) ?? brief.project_id.slice(0, 8)}</Link>
          </dd>
          <dt>Started</dt>
          <dd>
            <Time iso={brief.started_at} />
          </dd>
          <dt>Duration</dt>
          <dd>
            <Duration task={brief} />
          </dd>
          <dt>Queue</dt>
          <dd>{queue}</dd>
          <dt>Worker</dt>
          <dd>{brief.worker ?? "—"}</dd>
          <dt>Tags</dt>
          <dd>
            {brief.tags.length
              ? brief.tags.map((t) => (
                  <span key={t} className="tag">
                    {t}
                  </span>
                ))
              : "—"}
          </dd>
          <dt>ID</dt>
          <dd className="mono">{brief.id}</dd>
          <dt>Comment</dt>
          <dd className="xp-comment">{(task?.comment ?? brief.comment) || "—"}</dd>
        </dl>
        <ErrorBox error={full.error} title="Could not load the experiment's details" />
        <h3>Hyperparameters</h3>
        {!task && !full.error && <p className="muted small">Loading…</p>}
        {task && !hyperparams.length && <p className="muted small">No hyperparameters.</p>}
        {hyperparams.length > 0 && (
          <table aria-label="Hyperparameters">
            <tbody>
              {hyperparams.map((h) => (
                <tr key={`${h.section}\u0000${h.name}`}>
                  <th scope="row">
                    {h.section}/{h.name}
                  </th>
                  <td>{formatValue(h.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3>Last metrics</h3>
        <Metrics metrics={brief.last_metrics} />
      </div>
    </aside>
  );
}
