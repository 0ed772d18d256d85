// Which actions the experiment page offers, from the hub's task state machine
// (src/corral/core/task_status.py): a button the hub would refuse is not shown.

export type TaskAction = "enqueue" | "dequeue" | "abort" | "reset" | "publish" | "archive" | "restore";

const FROM: Record<Exclude<TaskAction, "archive" | "restore">, string[]> = {
  enqueue: ["created"],
  dequeue: ["queued"],
  abort: ["queued", "in_progress"],
  reset: ["queued", "in_progress", "completed", "failed", "stopped"],
  publish: ["completed"],
};

/** The actions allowed for a task in ``status`` (archived or not). */
export function allowedActions(task: { status: string; archived: boolean }): Set<TaskAction> {
  const allowed = new Set<TaskAction>();
  for (const [action, from] of Object.entries(FROM)) {
    if (from.includes(task.status)) allowed.add(action as TaskAction);
  }
  // an archived task must be restored before it is enqueued again
  if (task.archived) {
    allowed.delete("enqueue");
    allowed.add("restore");
  } else if (!["queued", "in_progress"].includes(task.status)) {
    allowed.add("archive");
  }
  return allowed;
}

/** Inputs (code, parameters, configuration, container) change only in a draft. */
export const isEditable = (status: string) => status === "created";

/** A reset of a running task needs force (it drops the run's state). */
export const resetNeedsForce = (status: string) => status === "in_progress";
