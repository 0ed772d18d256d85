// What each column shows for a task.
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { taskTypeLabel, type TaskBrief } from "../../api/types";
import { StatusBadge } from "../../components/StatusBadge";
import { formatCompactTime, formatDuration, formatNumber, formatTime, formatValue, taskDuration } from "../../lib/format";
import { metricValue, paramValue, type Column } from "./columns";

/** Names of the users, queues and projects the rows refer to by id. */
export interface Names {
  users: ReadonlyMap<string, string>;
  queues: ReadonlyMap<string, string>;
  projects: ReadonlyMap<string, string>;
}

/** A running task's duration ticks every second; a finished one is fixed. */
export function Duration({ task }: { task: TaskBrief }) {
  const running = task.status === "in_progress" && !task.completed_at;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return <>{formatDuration(taskDuration(task.started_at, task.completed_at, running ? now : undefined))}</>;
}

/** A compact time ("3 min ago", "14:02", "Dec 4"), the full date on hover. */
export function Time({ iso }: { iso: string | null }) {
  return (
    <time dateTime={iso ?? undefined} title={iso ? formatTime(iso) : undefined}>
      {formatCompactTime(iso)}
    </time>
  );
}

function Builtin({ column, task, names }: { column: Extract<Column, { kind: "builtin" }>; task: TaskBrief; names: Names }) {
  switch (column.builtin) {
    case "status":
      return <StatusBadge status={task.status} />;
    case "name":
      return (
        <>
          <Link to={`/experiments/${task.id}`} title={task.name} className="xp-name">
            {task.name}
          </Link>
          {task.archived && <span className="muted small"> (archived)</span>}
        </>
      );
    case "type":
      return <>{taskTypeLabel(task.type)}</>;
    case "tags":
      return (
        <>
          {task.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </>
      );
    case "user":
      return <>{task.user_id ? (names.users.get(task.user_id) ?? task.user_id.slice(0, 8)) : "—"}</>;
    case "started":
      return <Time iso={task.started_at} />;
    case "duration":
      return <Duration task={task} />;
    case "queue":
      return <>{task.queue_id ? (names.queues.get(task.queue_id) ?? task.queue_id.slice(0, 8)) : "—"}</>;
    case "worker":
      return <>{task.worker ?? "—"}</>;
    case "project":
      return (
        <Link to={`/projects/${task.project_id}/experiments`}>{names.projects.get(task.project_id) ?? task.project_id.slice(0, 8)}</Link>
      );
    case "created":
      return <Time iso={task.created_at} />;
    case "updated":
      return <Time iso={task.last_update} />;
    case "iteration":
      return <>{task.last_iteration ?? "—"}</>;
    case "id":
      return <span className="mono" title={task.id}>{task.id.slice(0, 8)}</span>;
  }
}

export function Cell({ column, task, names }: { column: Column; task: TaskBrief; names: Names }) {
  if (column.kind === "builtin") return <Builtin column={column} task={task} names={names} />;
  if (column.kind === "param") {
    const value = paramValue(task, column.section, column.name);
    return <>{value === undefined || value === null ? "—" : formatValue(value)}</>;
  }
  return <>{formatNumber(metricValue(task, column.metric, column.variant, column.agg))}</>;
}

/** The cell's text for its tooltip (the table truncates long values). */
export function cellTitle(column: Column, task: TaskBrief): string | undefined {
  if (column.kind === "param") {
    const value = paramValue(task, column.section, column.name);
    return value === undefined || value === null ? undefined : formatValue(value);
  }
  if (column.kind === "builtin" && column.builtin === "tags") return task.tags.join(", ") || undefined;
  return undefined;
}
