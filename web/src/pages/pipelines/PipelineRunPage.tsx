// One pipeline run: its header (name, version, status, duration, the controller's task
// page), its parameters, and its DAG, live: the controller records each step's state in
// its task, whose change arrives on the change stream and redraws the graph. "Run again"
// clones the run with edited parameters.
import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError } from "../../api/client";
import { queries } from "../../api/queries";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDuration, formatTime, formatValue, taskDuration } from "../../lib/format";
import { useShortcuts } from "../../lib/shortcuts";
import type { TaskOut } from "../../api/types";
import { DagView, nodeLine, taskPath } from "./DagView";
import { isActive, nodeTarget, pipelineNodes, runParameters, runVersion, statusSummary, type PipelineNode } from "./pipelineModel";
import { pipelineQueries } from "./pipelineQueries";
import { RunAgainDialog } from "./RunAgainDialog";
import { useNow } from "../../lib/useNow";
import "./pipelines.css";

export function PipelineRunPage() {
  const { runId = "" } = useParams();
  const run = useQuery(queries.task(runId));
  if (run.isPending) return <Loading what="the pipeline run" />;
  if (run.error instanceof ApiError && run.error.status === 404) {
    return (
      <section className="page">
        <Empty title="No such pipeline run">
          It may have been deleted. <Link to="/pipelines">Go to the pipelines</Link>
        </Empty>
      </section>
    );
  }
  if (run.error) {
    return (
      <section className="page">
        <ErrorBox error={run.error} title="Could not load the pipeline run" />
      </section>
    );
  }
  // keyed: the selection and the dialog do not follow the page to another run
  return <RunView key={run.data.id} run={run.data} />;
}

function RunView({ run }: { run: TaskOut }) {
  const navigate = useNavigate();
  const steps = useQuery(pipelineQueries.steps(run.id));
  const project = useQuery(queries.project(run.project_id));
  const nodes = pipelineNodes(run, steps.data?.items ?? []);
  const active = isActive(run.status) || nodes.some((n) => n.status === "running");
  const now = useNow(active);
  const [pointed, setPointed] = useState<string | null>(null);
  const [dialog, setDialog] = useState(false);
  // until a step is pointed at, the panel shows the first that failed, else one running
  const selected =
    nodes.find((n) => n.name === pointed) ?? nodes.find((n) => n.status === "failed") ?? nodes.find((n) => n.status === "running") ?? null;
  useShortcuts("Pipeline run", [{ key: "r", description: "Run this pipeline again (edit its parameters)", run: () => setDialog(true) }]);
  const version = runVersion(run);
  const isController = run.type === "controller";

  return (
    <section className="page pipeline-run-page">
      <nav className="muted small" aria-label="Breadcrumb">
        <Link to="/pipelines">Pipelines</Link> / <Link to={`/pipelines?project=${run.project_id}`}>{project.data?.name ?? "project"}</Link> / {run.name}
      </nav>
      <header className="card pipeline-header">
        <div className="row">
          <h1>{run.name}</h1>
          {version && (
            <span className="pipeline-version mono" data-testid="run-version">
              {version}
            </span>
          )}
          <span data-testid="run-status">
            <StatusBadge status={run.status} />
          </span>
          <span className="spacer" />
          <Link className="button" to={taskPath(run.id)} title="The controller task: console, log, artifacts, actions">
            Controller task
          </Link>
          <button className="primary" onClick={() => setDialog(true)} disabled={!run.allowed_actions.includes("clone")}>
            Run again…
          </button>
        </div>
        {!isController && <p className="muted">This task is not a pipeline controller (its type is {run.type}).</p>}
        {run.status_reason && <p className="muted">{run.status_reason}</p>}
        <dl className="pipeline-facts">
          <Fact label="Started">{formatTime(run.started_at)}</Fact>
          <Fact label="Duration">
            <span data-testid="run-duration">{formatDuration(taskDuration(run.started_at, run.completed_at, now))}</span>
          </Fact>
          <Fact label="Steps">{nodes.length ? `${nodes.length}: ${statusSummary(nodes)}` : "—"}</Fact>
          <Fact label="Id">
            <span className="mono">{run.id}</span>
          </Fact>
        </dl>
      </header>
      <Parameters run={run} />
      <section className="card" aria-label="Steps">
        <h2>Steps</h2>
        <ErrorBox error={steps.error} title="Could not load the step tasks" reveal={false} />
        {nodes.length === 0 ? (
          <Empty title="No steps yet">
            {isActive(run.status) ? "The steps appear as the controller adds them." : "This run has no recorded steps."}
          </Empty>
        ) : (
          <div className="pipeline-dag-layout">
            <DagView nodes={nodes} now={now} selected={selected?.name ?? null} onSelect={setPointed} />
            <NodePanel node={selected} now={now} />
          </div>
        )}
      </section>
      {dialog && (
        <RunAgainDialog
          run={run}
          onClose={() => setDialog(false)}
          onDone={(id) => {
            setDialog(false);
            navigate(`/pipelines/${id}`);
          }}
        />
      )}
    </section>
  );
}

function Parameters({ run }: { run: TaskOut }) {
  const params = Object.entries(runParameters(run));
  return (
    <section className="card" aria-label="Parameters">
      <h2>Parameters</h2>
      {params.length === 0 ? (
        <p className="muted">This pipeline has no parameters.</p>
      ) : (
        <table className="grid pipeline-params-table" aria-label="Parameters of the run">
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
              <th>Type</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {params.map(([name, p]) => (
              <tr key={name} data-testid="run-param" data-name={name}>
                <td className="mono">{name}</td>
                <td className="mono">{formatValue(p.value)}</td>
                <td className="muted">{p.type || "—"}</td>
                <td>{p.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NodePanel({ node, now }: { node: PipelineNode | null; now: number }) {
  if (!node) {
    return (
      <aside className="pipeline-node-panel muted" aria-label="Step details">
        Point at a step to see its details; click it to open its task.
      </aside>
    );
  }
  const target = nodeTarget(node);
  return (
    <aside className="pipeline-node-panel" aria-label="Step details" data-testid="node-panel" data-name={node.name}>
      <h3>{node.name}</h3>
      <dl className="pipeline-kv">
        <dt>Status</dt>
        <dd>
          <span className={`dag-status dag-status-${node.status}`} data-status={node.status}>
            {node.status}
          </span>
        </dd>
        {node.reason && (
          <>
            <dt>Reason</dt>
            <dd data-testid="node-reason">{node.reason}</dd>
          </>
        )}
        <dt>Kind</dt>
        <dd>{node.kind}</dd>
        <dt>Queue</dt>
        <dd>{node.queue ?? <span className="muted">runs with the controller</span>}</dd>
        <dt>Timing</dt>
        <dd>{nodeLine(node, now / 1000)}</dd>
        {node.attempts > 1 && (
          <>
            <dt>Attempts</dt>
            <dd>{node.attempts}</dd>
          </>
        )}
        {node.parents.length > 0 && (
          <>
            <dt>After</dt>
            <dd>{node.parents.join(", ")}</dd>
          </>
        )}
        <dt>Task</dt>
        <dd>
          {node.taskId ? (
            <Link to={taskPath(node.taskId)} data-testid="node-task-link">
              {node.taskId.slice(0, 8)}
            </Link>
          ) : node.cachedFrom ? (
            <>
              none: the result of <Link to={taskPath(node.cachedFrom)}>{node.cachedFrom.slice(0, 8)}</Link> (cached)
            </>
          ) : (
            <span className="muted">not made yet</span>
          )}
        </dd>
      </dl>
      {target && (
        <Link className="button" to={taskPath(target)}>
          Open the task
        </Link>
      )}
    </aside>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
