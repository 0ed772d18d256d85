// The experiment's header: name, status and why, project, id, tags, comment, actions.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { queries } from "../../api/queries";
import { taskTypeLabel, type TaskOut } from "../../api/types";
import { StatusBadge } from "../../components/StatusBadge";
import { useToast } from "../../components/toast";
import { formatAgo } from "../../lib/format";
import { TaskActions } from "./TaskActions";

export function TaskHeader({ task }: { task: TaskOut }) {
  const project = useQuery(queries.project(task.project_id));
  const toast = useToast();
  const projectName = project.data?.name ?? "";
  const copyId = async () => {
    try {
      await navigator.clipboard.writeText(task.id);
      toast("Id copied");
    } catch {
      toast("The browser refused the clipboard: select the id and copy it", "error");
    }
  };
  return (
    <header className="task-head">
      <div className="muted small">
        <Link to={`/projects/${task.project_id}/experiments`} data-testid="project-link">
          {projectName || "Project"}
        </Link>{" "}
        / experiment
      </div>
      <h1 data-testid="task-name">{task.name}</h1>
      <div className="facts">
        <span data-testid="task-status">
          <StatusBadge status={task.status} />
        </span>
        {task.archived && <span className="status archived-badge">archived</span>}
        {task.status_reason && <span data-testid="status-reason">{task.status_reason}</span>}
        <span>{taskTypeLabel(task.type)}</span>
        <span title={task.last_update}>updated {formatAgo(task.last_update)}</span>
        <span className="id" data-testid="task-id">
          {task.id}
        </span>
        <button className="small" onClick={() => void copyId()}>
          Copy id
        </button>
      </div>
      {task.tags.length > 0 && (
        <div aria-label="Tags" data-testid="task-tags">
          {task.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </div>
      )}
      {task.comment && <div className="comment">{task.comment}</div>}
      <TaskActions task={task} projectName={projectName} />
    </header>
  );
}
