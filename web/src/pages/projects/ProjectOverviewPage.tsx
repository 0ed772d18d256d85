// A project at a glance (/projects/:id): its runs by status, what runs now, compute time,
// recent runs, the best runs by a chosen metric (remembered per project), and its
// description, editable. One hub call: GET /projects/{id}/overview.
import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError, patch } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { Project, TaskBrief, TaskStatus } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { StatusBadge, statusLabel } from "../../components/StatusBadge";
import { useToast } from "../../components/toast";
import { useSubmit } from "../../components/useSubmit";
import { formatAgo, formatDuration, formatNumber, formatTime, taskDuration } from "../../lib/format";
import { canManageProject } from "../../lib/security";
import { useSession } from "../../session";
import { loadBest, orderSeries, overviewParams, saveBest, seriesLabel, splitSeries, type BestChoice, type MetricOrder, type MetricValue } from "./overview";
import { ArchiveProjectDialog, DeleteProjectDialog, fetchOverview, overviewKey, type ProjectOverview } from "./ProjectDialogs";
import "./projects.css";

const STATUSES: TaskStatus[] = ["created", "queued", "in_progress", "completed", "published", "failed", "stopped"];

function experimentsLink(projectId: string, status?: string): string {
  return `/projects/${projectId}/experiments${status ? `?status=${encodeURIComponent(status)}` : ""}`;
}

export function ProjectOverviewPage() {
  const { projectId = "" } = useParams();
  const [best, setBest] = useState<BestChoice | null>(() => loadBest(projectId));
  const [bestFor, setBestFor] = useState(projectId);
  // another project opened in the same page: its own remembered choice
  if (bestFor !== projectId) {
    setBestFor(projectId);
    setBest(loadBest(projectId));
  }
  const params = overviewParams(best);
  const overview = useQuery({
    queryKey: overviewKey(projectId, params),
    queryFn: ({ signal }) => fetchOverview(projectId, params, signal),
    placeholderData: keepPreviousData,
  });
  const choose = (choice: BestChoice | null) => {
    saveBest(projectId, choice);
    setBest(choice);
  };

  if (overview.isPending) return <Loading what="the project" />;
  if (!overview.data) {
    const missing = overview.error instanceof ApiError && overview.error.status === 404;
    return (
      <section className="page">
        {missing ? (
          <Empty title="Project not found">
            It may have been deleted or renamed. <Link to="/projects">Go to the projects</Link>
          </Empty>
        ) : (
          <ErrorBox error={overview.error} title="Could not load the project" />
        )}
      </section>
    );
  }
  const o = overview.data;
  return (
    <section className="page project-overview" data-testid="project-overview" data-project-id={o.project.id}>
      <OverviewHeader project={o.project} />
      {overview.error && <ErrorBox error={overview.error} title="Could not refresh the project" reveal={false} />}
      <StatusCounts overview={o} />
      <div className="overview-columns">
        <section className="card" aria-label="Running now">
          <h2>Running now</h2>
          <RunsTable runs={o.running} empty="Nothing runs in this project now." running />
        </section>
        <section className="card" aria-label="Recent runs">
          <h2>Recent runs</h2>
          <RunsTable runs={o.recent} empty="No experiments yet." />
        </section>
      </div>
      <section className="card" aria-label="Best runs">
        <div className="row">
          <h2>Best runs</h2>
          <span className="spacer" />
          <BestPicker series={o.metric_series} choice={best} onChange={choose} />
        </div>
        {best ? <BestTable overview={o} choice={best} /> : <p className="muted">Choose a metric to rank the runs by.</p>}
      </section>
      <Description project={o.project} />
    </section>
  );
}

function OverviewHeader({ project }: { project: Project }) {
  const { user } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  const [dialog, setDialog] = useState<"archive" | "delete" | null>(null);
  const parts = project.name.split("/");
  return (
    <div className="row overview-head">
      <div>
        <div className="muted small breadcrumb">
          <Link to="/projects">Projects</Link>
          {parts.slice(0, -1).map((p, i) => (
            <span key={i}> / {p}</span>
          ))}
        </div>
        <h1>
          {parts[parts.length - 1]}
          {project.archived && <span className="tag archived-tag">archived</span>}
          {project.visibility === "private" && <span className="tag private-tag">private</span>}
        </h1>
      </div>
      <span className="spacer" />
      <Link className="button primary" to={experimentsLink(project.id)}>
        Experiments ({formatNumber(project.task_count ?? 0)})
      </Link>
      {canManageProject(user, project) && (
        <>
          <button onClick={() => setDialog("archive")}>{project.archived ? "Restore" : "Archive"}</button>
          <button className="danger" onClick={() => setDialog("delete")}>
            Delete
          </button>
        </>
      )}
      {dialog === "archive" && (
        <ArchiveProjectDialog
          project={project}
          onClose={() => setDialog(null)}
          onDone={(p) => {
            setDialog(null);
            toast(`Project ${p.name} ${p.archived ? "archived" : "restored"}`);
            void client.invalidateQueries({ queryKey: queryKeys.projects.all });
          }}
        />
      )}
      {dialog === "delete" && (
        <DeleteProjectDialog
          project={project}
          onClose={() => setDialog(null)}
          onDeleted={() => {
            toast(`Project ${project.name} deleted`);
            client.removeQueries({ queryKey: [...queryKeys.projects.all, "overview", project.id] });
            void client.invalidateQueries({ queryKey: queryKeys.projects.all });
            navigate("/projects");
          }}
        />
      )}
    </div>
  );
}

function StatusCounts({ overview: o }: { overview: ProjectOverview }) {
  const total = Object.values(o.counts).reduce((a, b) => a + b, 0);
  return (
    <section className="overview-stats" aria-label="Status counts">
      <Stat label="Experiments" value={formatNumber(total)} to={experimentsLink(o.project.id)} testId="count-total" />
      {STATUSES.filter((s) => o.counts[s]).map((s) => (
        <Stat key={s} label={statusLabel(s)} value={formatNumber(o.counts[s])} to={experimentsLink(o.project.id, s)} status={s} testId={`count-${s}`} />
      ))}
      <Stat label="Compute time" value={formatDuration(o.compute_seconds)} title={`${formatNumber(Math.round(o.compute_seconds))} s of run time in all`} testId="compute-time" />
      <Stat label="Models" value={formatNumber(o.model_count)} to={`/models?project=${o.project.id}`} testId="count-models" />
      {o.subproject_count > 0 && <Stat label="Subprojects" value={formatNumber(o.subproject_count)} testId="count-subprojects" />}
      {o.archived_count > 0 && <Stat label="Archived" value={formatNumber(o.archived_count)} to={`${experimentsLink(o.project.id)}?archived=1`} testId="count-archived" />}
    </section>
  );
}

function Stat({ label, value, to, status, title, testId }: { label: string; value: string; to?: string; status?: string; title?: string; testId: string }) {
  const body = (
    <>
      <span className="stat-value">{value}</span>
      <span className={status ? `status status-${status}` : "stat-label muted"}>{label}</span>
    </>
  );
  return to ? (
    <Link className="card stat" to={to} data-testid={testId} title={title}>
      {body}
    </Link>
  ) : (
    <div className="card stat" data-testid={testId} title={title}>
      {body}
    </div>
  );
}

function RunsTable({ runs, empty, running = false }: { runs: TaskBrief[]; empty: string; running?: boolean }) {
  if (runs.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="grid">
      <thead>
        <tr>
          <th>Name</th>
          <th>Status</th>
          <th>{running ? "Running for" : "Updated"}</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((t) => (
          <tr key={t.id} data-task-id={t.id}>
            <td>
              <Link to={`/experiments/${t.id}`}>{t.name}</Link>
            </td>
            <td>
              <StatusBadge status={t.status} />
            </td>
            <td title={formatTime(t.last_update)}>
              {running ? formatDuration(taskDuration(t.started_at, null)) : formatAgo(t.last_update)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function BestPicker({ series, choice, onChange }: { series: string[]; choice: BestChoice | null; onChange: (c: BestChoice | null) => void }) {
  const options = orderSeries(choice && !series.includes(choice.series) ? [choice.series, ...series] : series);
  const base: BestChoice = choice ?? { series: "", value: "last", order: "max" };
  const update = (edit: Partial<BestChoice>) => {
    const next = { ...base, ...edit };
    onChange(next.series ? next : null);
  };
  return (
    <div className="row best-picker" role="group" aria-label="Rank by">
      <select aria-label="Metric" value={base.series} onChange={(e) => update({ series: e.target.value })}>
        <option value="">{series.length ? "Choose a metric…" : "No metric reported yet"}</option>
        {options.map((s) => (
          <option key={s} value={s}>
            {seriesLabel(s)}
          </option>
        ))}
      </select>
      <select aria-label="Value" value={base.value} onChange={(e) => update({ value: e.target.value as MetricValue })}>
        <option value="last">last value</option>
        <option value="min">minimum</option>
        <option value="max">maximum</option>
      </select>
      <select aria-label="Order" value={base.order} onChange={(e) => update({ order: e.target.value as MetricOrder })}>
        <option value="max">highest first</option>
        <option value="min">lowest first</option>
      </select>
    </div>
  );
}

function BestTable({ overview: o, choice }: { overview: ProjectOverview; choice: BestChoice }) {
  const [metric, variant] = splitSeries(choice.series) ?? ["", ""];
  if (o.best.length === 0) return <p className="muted">No run of this project reported {seriesLabel(choice.series)}.</p>;
  return (
    <table className="grid" aria-label="Ranked runs">
      <thead>
        <tr>
          <th>#</th>
          <th>Name</th>
          <th>Status</th>
          <th className="num">
            {metric} / {variant} ({choice.value})
          </th>
        </tr>
      </thead>
      <tbody>
        {o.best.map((t, i) => (
          <tr key={t.id} data-task-id={t.id}>
            <td>{i + 1}</td>
            <td>
              <Link to={`/experiments/${t.id}`}>{t.name}</Link>
            </td>
            <td>
              <StatusBadge status={t.status} />
            </td>
            <td className="num" data-testid="best-value">
              {formatNumber(t.last_metrics[metric]?.[variant]?.[choice.value])}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Description({ project }: { project: Project }) {
  const [draft, setDraft] = useState<string | null>(null);
  const { busy, error, run } = useSubmit();
  const client = useQueryClient();
  const toast = useToast();
  const save = () =>
    void run(async () => {
      await patch<Project>(`/projects/${project.id}`, { description: draft ?? "" });
      setDraft(null);
      toast("Description saved");
      await client.invalidateQueries({ queryKey: queryKeys.projects.all });
    });
  return (
    <section className="card" aria-label="Description">
      <div className="row">
        <h2>Description</h2>
        <span className="spacer" />
        {draft === null && <button onClick={() => setDraft(project.description)}>Edit</button>}
      </div>
      {draft === null ? (
        project.description ? (
          <p className="project-overview-desc">{project.description}</p>
        ) : (
          <p className="muted">No description yet.</p>
        )
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <textarea aria-label="Project description" className="project-description" autoFocus value={draft} onChange={(e) => setDraft(e.target.value)} />
          <ErrorBox error={error} title="Could not save the description" />
          <div className="row">
            <button type="button" onClick={() => setDraft(null)}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy || draft === project.description}>
              Save
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
