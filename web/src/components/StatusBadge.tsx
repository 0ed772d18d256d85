// A task status as a coloured badge with its label (created reads "draft").
import type { TaskStatus } from "../api/types";

/** every status of the hub (the type check fails on a missing one) */
const LABELS: Record<TaskStatus, string> = {
  created: "draft",
  queued: "queued",
  in_progress: "running",
  stopped: "aborted",
  completed: "completed",
  failed: "failed",
  published: "published",
};

export function statusLabel(status: string): string {
  return LABELS[status as TaskStatus] ?? status;
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
