// Which actions the experiment page offers: those the hub allows now. Every task the hub
// answers carries its `allowed_actions`, from the one state machine
// (src/corral/core/task_status.py), so a button the hub would refuse is not shown.
import type { TaskAction, TaskOut } from "../../api/types";

/** The hub accepts ``action`` for ``task`` now. */
export const allows = (task: Pick<TaskOut, "allowed_actions">, action: TaskAction) =>
  task.allowed_actions.includes(action);

/** Inputs (code, parameters, configuration, container) change only while the hub allows ``edit`` (a draft). */
export const isEditable = (task: Pick<TaskOut, "allowed_actions">) => allows(task, "edit");

/**
 * A reset of a running task needs ``force`` (it drops the run's state): the hub's
 * ``NEEDS_FORCE``, which the task does not carry.
 */
export const resetNeedsForce = (status: TaskOut["status"]) => status === "in_progress";
