const LABELS: Record<string, string> = {
  created: "draft",
  queued: "queued",
  in_progress: "running",
  stopped: "aborted",
  completed: "completed",
  failed: "failed",
  published: "published",
};

export function statusLabel(status: string): string {
  return LABELS[status] ?? status;
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status status-${status}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
