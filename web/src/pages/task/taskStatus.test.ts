import { describe, expect, it } from "vitest";
import type { TaskOut } from "../../api/types";
import { allows, isEditable, resetNeedsForce } from "./taskStatus";

describe("allowed actions", () => {
  it("are the ones the hub sent with the task", () => {
    const task: Pick<TaskOut, "allowed_actions"> = { allowed_actions: ["clone", "dequeue", "abort", "reset", "delete"] };
    expect(allows(task, "dequeue")).toBe(true);
    expect(allows(task, "enqueue")).toBe(false);
    expect(isEditable(task)).toBe(false);
    expect(isEditable({ allowed_actions: ["edit", "clone", "enqueue"] })).toBe(true);
  });

  it("forces the reset of a running task", () => {
    expect(resetNeedsForce("in_progress")).toBe(true);
    expect(resetNeedsForce("failed")).toBe(false);
  });
});
