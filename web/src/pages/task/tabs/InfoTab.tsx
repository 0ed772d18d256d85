// Info: the run's lifecycle (times, duration, queue, worker, user, parent, status and
// exit code) and every machine fact it reported.
import { useQuery } from "@tanstack/react-query";
import { type ReactNode } from "react";
import { Link } from "react-router-dom";
import { queries } from "../../../api/queries";
import { taskTypeLabel, type TaskOut } from "../../../api/types";
import { StatusBadge } from "../../../components/StatusBadge";
import { formatDuration, formatTime, taskDuration } from "../../../lib/format";
import { useNow } from "../../../lib/useNow";
import { runtimeFacts } from "../runtimeFacts";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={`info-${label.toLowerCase().replace(/ /g, "-")}`}>{children ?? "—"}</dd>
    </>
  );
}

const dash = (v: string | number | null | undefined) => (v === null || v === undefined || v === "" ? "—" : String(v));

export function InfoTab({ task }: { task: TaskOut }) {
  const running = task.status === "in_progress";
  const now = useNow(running);
  const queues = useQuery(queries.queues());
  const user = useQuery({ ...queries.user(task.user_id ?? ""), enabled: !!task.user_id });
  const parent = useQuery({ ...queries.task(task.parent_id ?? ""), enabled: !!task.parent_id });
  const queue = queues.data?.find((q) => q.id === task.queue_id);
  const facts = runtimeFacts(task.runtime);

  return (
    <div>
      <section className="card" aria-label="Run">
        <h2>Run</h2>
        <dl className="kv">
          <Row label="Status">
            <StatusBadge status={task.status} />
            {task.archived && " (archived)"}
          </Row>
          <Row label="Status reason">{dash(task.status_reason)}</Row>
          <Row label="Status message">
            {/* a failed run's message is often a traceback: its lines as they were */}
            {task.status_message.includes("\n") ? <pre className="code status-message">{task.status_message}</pre> : dash(task.status_message)}
          </Row>
          <Row label="Exit code">{dash(task.exit_code)}</Row>
          <Row label="Type">{taskTypeLabel(task.type)}</Row>
          <Row label="Created">{formatTime(task.created_at)}</Row>
          <Row label="Started">{formatTime(task.started_at)}</Row>
          <Row label="Completed">{formatTime(task.completed_at)}</Row>
          <Row label="Last update">{formatTime(task.last_update)}</Row>
          <Row label="Duration">{formatDuration(taskDuration(task.started_at, task.completed_at, now))}</Row>
          <Row label="Last iteration">{dash(task.last_iteration)}</Row>
          <Row label="Queue">{task.queue_id ? (queue?.name ?? task.queue_id) : "—"}</Row>
          <Row label="Worker">{dash(task.worker)}</Row>
          <Row label="User">{task.user_id ? (user.data?.name ?? task.user_id) : "—"}</Row>
          <Row label="Parent">
            {task.parent_id ? <Link to={`/experiments/${task.parent_id}`}>{parent.data?.name ?? task.parent_id}</Link> : "—"}
          </Row>
          <Row label="Id">
            <code>{task.id}</code>
          </Row>
          <Row label="Comment">{task.comment ? <span className="pre-wrap">{task.comment}</span> : "—"}</Row>
        </dl>
      </section>
      <section className="card" aria-label="Machine">
        <h2>Machine</h2>
        {facts.length ? (
          <dl className="kv" data-testid="runtime-facts">
            {facts.map(([label, value]) => (
              <Row key={label} label={label}>
                {value}
              </Row>
            ))}
          </dl>
        ) : (
          <div className="muted">The run reported no machine facts{task.status === "created" ? " yet" : ""}.</div>
        )}
      </section>
    </div>
  );
}
