// One model: where it comes from (its task and parent model), what it is (framework,
// labels, metadata, design), where its weights are (download), and what may be done with
// it (publish, archive, tags, description), and what was reported for it (charts, plots).
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router-dom";
import { ApiError, downloadUrl } from "../../api/client";
import { queries } from "../../api/queries";
import type { ModelOut } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import { formatTime, formatValue } from "../../lib/format";
import { ModelActions, ModelComment, ModelTags } from "./ModelEdit";
import { ModelReports } from "./ModelReports";
import { hubFilePath, labelRows } from "./modelFilters";
import { ModelState } from "./ModelsPage";
import "./models.css";

export function useModel(id: string | null | undefined) {
  return useQuery({ ...queries.model(id ?? ""), enabled: !!id });
}

export function ModelPage() {
  const { modelId = "" } = useParams();
  const model = useModel(modelId);
  if (model.isPending) return <Loading what="the model" />;
  if (model.error instanceof ApiError && model.error.status === 404) {
    return (
      <section className="page">
        <Empty title="No such model">
          It may have been deleted. <Link to="/models">Go to the models</Link>
        </Empty>
      </section>
    );
  }
  if (model.error) {
    return (
      <section className="page">
        <ErrorBox error={model.error} title="Could not load the model" />
      </section>
    );
  }
  const m = model.data;
  return (
    <section className="page model-page">
      <nav className="muted small" aria-label="Breadcrumb">
        <Link to="/models">Models</Link> / {m.name}
      </nav>
      <div className="row model-title">
        <h1>{m.name}</h1>
        <ModelState model={m} />
        <span className="spacer" />
        <ModelActions model={m} />
      </div>
      {/* keyed: a form's draft does not follow the page to another model */}
      <div className="model-columns" key={m.id}>
        <div>
          <Lineage model={m} />
          <Details model={m} />
          <ModelComment model={m} />
        </div>
        <div>
          <ModelTags model={m} />
          <Labels labels={m.labels} />
          <Metadata metadata={m.metadata} />
        </div>
      </div>
      <section className="card" aria-label="Design">
        <h2>Design</h2>
        {m.design ? <pre className="code">{m.design}</pre> : <p className="muted">No design or configuration was recorded.</p>}
      </section>
      <ModelReports model={m} />
    </section>
  );
}

function Lineage({ model }: { model: ModelOut }) {
  const task = useQuery({ ...queries.task(model.task_id ?? ""), enabled: !!model.task_id });
  const projectId = task.data?.project_id ?? model.project_id;
  const project = useQuery({ ...queries.project(projectId ?? ""), enabled: !!projectId });
  const parent = useModel(model.parent_id);
  const projectLink = projectId ? (
    <Link to={`/projects/${projectId}/experiments`}>{project.data?.name ?? "project"}</Link>
  ) : (
    "—"
  );
  return (
    <section className="card" aria-label="Lineage">
      <h2>Lineage</h2>
      <dl className="model-kv">
        <dt>Made by</dt>
        <dd data-testid="lineage-task">
          {!model.task_id ? (
            <span className="muted">registered outside a task</span>
          ) : task.error ? (
            <span className="muted">
              task {model.task_id} ({(task.error as Error).message})
            </span>
          ) : (
            <>
              <Link to={`/experiments/${model.task_id}`}>{task.data?.name ?? model.task_id}</Link>{" "}
              {task.data && <StatusBadge status={task.data.status} />}
            </>
          )}
        </dd>
        <dt>Project</dt>
        <dd>{projectLink}</dd>
        <dt>Parent model</dt>
        <dd data-testid="lineage-parent">
          {!model.parent_id ? (
            <span className="muted">none (trained from scratch)</span>
          ) : parent.error ? (
            <span className="muted">
              {model.parent_id} ({(parent.error as Error).message})
            </span>
          ) : (
            <Link to={`/models/${model.parent_id}`}>{parent.data?.name ?? model.parent_id}</Link>
          )}
        </dd>
      </dl>
    </section>
  );
}

function Details({ model }: { model: ModelOut }) {
  const path = hubFilePath(model.uri);
  return (
    <section className="card" aria-label="Details">
      <h2>Details</h2>
      <dl className="model-kv">
        <dt>Id</dt>
        <dd className="mono">{model.id}</dd>
        <dt>Framework</dt>
        <dd data-testid="model-framework">{model.framework || "—"}</dd>
        <dt>Weights</dt>
        <dd className="model-uri">
          {!model.uri ? (
            <span className="muted">no file yet</span>
          ) : (
            <>
              <code>{model.uri}</code>
              {path && (
                <>
                  {" "}
                  <a href={downloadUrl(path, { download: true })} download>
                    Download
                  </a>
                </>
              )}
            </>
          )}
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(model.created_at)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(model.last_update)}</dd>
      </dl>
    </section>
  );
}

function Labels({ labels }: { labels: Record<string, number> }) {
  const rows = labelRows(labels);
  return (
    <section className="card" aria-label="Labels">
      <h2>Labels</h2>
      {rows.length === 0 ? (
        <p className="muted">No class enumeration.</p>
      ) : (
        <table className="grid" aria-label="Class labels">
          <thead>
            <tr>
              <th>Class</th>
              <th>Id</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([name, id]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{id}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Metadata({ metadata }: { metadata: Record<string, unknown> }) {
  const rows = Object.entries(metadata).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section className="card" aria-label="Metadata">
      <h2>Metadata</h2>
      {rows.length === 0 ? (
        <p className="muted">No metadata.</p>
      ) : (
        <table className="grid" aria-label="Metadata values">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(([key, value]) => (
              <tr key={key}>
                <td>{key}</td>
                <td className="mono">{formatValue(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
