// The pipelines: the controller tasks grouped by project and name, each pipeline with its
// runs (status, version, parameters, start, duration). The project filter lives in the
// URL, as on the datasets page; new runs and their changes show up as they happen.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { queries } from "../../api/queries";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import { formatCompactTime, formatDuration, formatTime, taskDuration } from "../../lib/format";
import type { TaskBrief } from "../../api/types";
import { compactParameters, groupPipelines, isActive, runParameters, runVersion, type Pipeline } from "./pipelineModel";
import { pipelineQueries, RUNS_MAX } from "./pipelineQueries";
import { PipelinesEmpty } from "./PipelinesEmpty";
import { useNow } from "../../lib/useNow";
import "./pipelines.css";

/** runs a pipeline shows before "Show all" */
const RUNS_SHOWN = 10;

export function PipelinesPage() {
  const [params, setParams] = useSearchParams();
  const projectId = params.get("project") ?? "";
  const setProject = (value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set("project", value);
    else next.delete("project");
    setParams(next, { replace: true });
  };
  const projects = useQuery(queries.projects());
  const runs = useQuery(pipelineQueries.runs(projectId));
  const pipelines = useMemo(() => groupPipelines(runs.data?.items ?? []), [runs.data]);
  const projectName = useMemo(() => new Map((projects.data ?? []).map((p) => [p.id, p.name])), [projects.data]);

  return (
    <section className="page pipelines-page">
      <div className="row">
        <h1>Pipelines</h1>
        <span className="spacer" />
        {runs.data && (
          <span className="muted" data-testid="pipelines-count">
            {pipelines.length} pipeline{pipelines.length === 1 ? "" : "s"}, {runs.data.items.length}
            {runs.data.next_cursor ? "+" : ""} run{runs.data.items.length === 1 ? "" : "s"}
          </span>
        )}
      </div>
      <div className="row">
        <select aria-label="Project" value={projectId} onChange={(e) => setProject(e.target.value)}>
          <option value="">All projects</option>
          {(projects.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        {projectId && <button onClick={() => setProject("")}>Clear filter</button>}
      </div>
      <ErrorBox error={runs.error} title="Could not load the pipelines" />
      {runs.isPending ? (
        <Loading what="pipelines" />
      ) : pipelines.length === 0 && !runs.error ? (
        projectId ? <Empty title="No pipeline in this project">Choose another project, or all of them.</Empty> : <PipelinesEmpty />
      ) : (
        pipelines.map((p) => <PipelineCard key={p.key} pipeline={p} project={projectName.get(p.projectId) ?? p.projectId} />)
      )}
      {runs.data?.next_cursor && <p className="muted small">The list shows the newest {RUNS_MAX} runs; choose a project to see others.</p>}
    </section>
  );
}

function PipelineCard({ pipeline: p, project }: { pipeline: Pipeline; project: string }) {
  const [all, setAll] = useState(false);
  const shown = all ? p.runs : p.runs.slice(0, RUNS_SHOWN);
  const now = useNow(shown.some((r) => isActive(r.status)));
  return (
    <section className="card pipeline-card" aria-label={`Pipeline ${p.name}`} data-testid="pipeline" data-name={p.name}>
      <div className="row pipeline-card-head">
        <h2>{p.name}</h2>
        <Link className="muted" to={`/pipelines?project=${p.projectId}`}>
          {project}
        </Link>
        <span className="spacer" />
        <span className="muted small">
          {p.runs.length} run{p.runs.length === 1 ? "" : "s"}
        </span>
      </div>
      <table className="grid" aria-label={`Runs of ${p.name}`}>
        <thead>
          <tr>
            <th>Status</th>
            <th>Run</th>
            <th>Version</th>
            <th>Parameters</th>
            <th>Started</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((run) => (
            <RunRow key={run.id} run={run} now={now} />
          ))}
        </tbody>
      </table>
      {p.runs.length > RUNS_SHOWN && (
        <button className="pipeline-more" onClick={() => setAll(!all)}>
          {all ? "Show fewer" : `Show all ${p.runs.length} runs`}
        </button>
      )}
    </section>
  );
}

function RunRow({ run, now }: { run: TaskBrief; now: number }) {
  // the list's rows leave out the runtime, where the version is: each run shown reads
  // its task (the cache the run page shares, refreshed by the change stream)
  const full = useQuery(queries.task(run.id));
  const version = full.data ? runVersion(full.data) : null;
  const params = compactParameters(runParameters(run));
  return (
    <tr data-testid="pipeline-run" data-id={run.id}>
      <td>
        <StatusBadge status={run.status} />
      </td>
      <td>
        <Link to={`/pipelines/${run.id}`} title={formatTime(run.created_at)}>
          {formatCompactTime(run.created_at, now)}
        </Link>{" "}
        <span className="mono muted small">{run.id.slice(0, 8)}</span>
      </td>
      <td className="mono" data-testid="run-version">
        {version ?? "—"}
      </td>
      <td className="mono small pipeline-params" title={params} data-testid="run-params">
        {params || "—"}
      </td>
      <td title={formatTime(run.started_at)}>{formatCompactTime(run.started_at, now)}</td>
      <td>{formatDuration(taskDuration(run.started_at, run.completed_at, now))}</td>
    </tr>
  );
}
