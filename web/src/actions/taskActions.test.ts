import { describe, expect, it } from "vitest";
import { describeResult } from "./taskActions";

describe("describeResult", () => {
  it("counts what was done", () => {
    expect(describeResult({ done: ["a"], failed: [] }, "enqueued")).toBe("1 task enqueued");
    expect(describeResult({ done: ["a", "b"], failed: [] }, "aborted")).toBe("2 tasks aborted");
  });
  it("says why the hub refused", () => {
    const r = { done: ["a"], failed: [{ id: "b", error: "cannot abort a completed task" }] };
    expect(describeResult(r, "aborted")).toBe("1 task aborted; 1 refused: cannot abort a completed task");
  });
});
