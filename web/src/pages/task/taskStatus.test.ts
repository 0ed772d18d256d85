import { describe, expect, it } from "vitest";
import { allowedActions, isEditable, resetNeedsForce } from "./taskStatus";

const actions = (status: string, archived = false) => [...allowedActions({ status, archived })].sort();

describe("allowedActions", () => {
  it("follows the hub's state machine", () => {
    expect(actions("created")).toEqual(["archive", "enqueue"]);
    expect(actions("queued")).toEqual(["abort", "dequeue", "reset"]);
    expect(actions("in_progress")).toEqual(["abort", "reset"]);
    expect(actions("completed")).toEqual(["archive", "publish", "reset"]);
    expect(actions("failed")).toEqual(["archive", "reset"]);
    expect(actions("stopped")).toEqual(["archive", "reset"]);
    expect(actions("published")).toEqual(["archive"]);
  });

  it("offers restore, not enqueue, for an archived task", () => {
    expect(actions("created", true)).toEqual(["restore"]);
    expect(actions("completed", true)).toEqual(["publish", "reset", "restore"]);
  });

  it("edits only drafts and forces the reset of a running task", () => {
    expect(isEditable("created")).toBe(true);
    expect(isEditable("completed")).toBe(false);
    expect(resetNeedsForce("in_progress")).toBe(true);
    expect(resetNeedsForce("failed")).toBe(false);
  });
});
