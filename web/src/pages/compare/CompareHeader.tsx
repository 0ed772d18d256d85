// The compared experiments, one card each (name, status, project), with a way out.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { queries } from "../../api/queries";
import { ErrorBox } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import type { Compared } from "./useCompared";

function ProjectName({ id }: { id: string }) {
  const project = useQuery(queries.project(id));
  return (
    <Link to={`/projects/${id}/experiments`} className="muted small">
      {project.data?.name ?? "project"}
    </Link>
  );
}

function Card({ c, onRemove }: { c: Compared; onRemove: () => void }) {
  const remove = (
    <button className="small" aria-label={`Remove ${c.task ? c.label : c.id} from the comparison`} onClick={onRemove}>
      Remove
    </button>
  );
  if (!c.task) {
    return (
      <div className="card compare-task" data-testid="compared-task" data-task-id={c.id}>
        {c.pending ? (
          <span className="muted">Loading {c.id}…</span>
        ) : c.missing ? (
          <div role="alert">
            <strong>Unknown experiment</strong>
            <div className="muted small">
              No experiment has the id <code>{c.id}</code>: it may have been deleted.
            </div>
          </div>
        ) : (
          <ErrorBox error={c.error} title={`Could not load ${c.id}`} />
        )}
        {remove}
      </div>
    );
  }
  const t = c.task;
  return (
    <div className="card compare-task" data-testid="compared-task" data-task-id={c.id} style={{ borderTopColor: c.color }}>
      <Link to={`/experiments/${t.id}`} className="compare-task-name">
        {c.label}
      </Link>
      <div className="row compare-task-facts">
        <StatusBadge status={t.status} />
        <ProjectName id={t.project_id} />
      </div>
      {remove}
    </div>
  );
}

export function CompareHeader({ compared, onRemove }: { compared: Compared[]; onRemove: (id: string) => void }) {
  return (
    <div className="compare-header" aria-label="Compared experiments" role="list">
      {compared.map((c) => (
        <div role="listitem" key={c.id}>
          <Card c={c} onRemove={() => onRemove(c.id)} />
        </div>
      ))}
    </div>
  );
}
