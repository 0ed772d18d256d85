import { describe, expect, it } from "vitest";
import type { QueueDetail, QueueEntry } from "../../api/types";
import { formatWait, queueCharts } from "./queueStats";
import { dropIndex, dropSide, moveItem, withMove, withoutEntry } from "./reorder";

describe("moveItem", () => {
  it("moves up and down like the hub's reorder", () => {
    expect(moveItem(["A", "B", "C"], 2, 0)).toEqual(["C", "A", "B"]);
    expect(moveItem(["A", "B", "C"], 0, 2)).toEqual(["B", "C", "A"]);
    expect(moveItem(["A", "B", "C"], 0, 1)).toEqual(["B", "A", "C"]);
    expect(moveItem(["A", "B", "C"], 1, 1)).toEqual(["A", "B", "C"]);
  });

  it("clamps past the end and counts negative indices from the back", () => {
    expect(moveItem(["A", "B", "C"], 0, 99)).toEqual(["B", "C", "A"]);
    expect(moveItem(["A", "B", "C"], 2, -2)).toEqual(["A", "C", "B"]);
    expect(moveItem(["A", "B", "C"], 2, -9)).toEqual(["C", "A", "B"]);
    expect(moveItem(["A", "B", "C"], 0, -1)).toEqual(["B", "C", "A"]);
    expect(moveItem(["A", "B"], 5, 0)).toEqual(["A", "B"]);
  });
});

describe("drop", () => {
  it("puts the row in the place of the row it is dropped on", () => {
    expect(dropIndex(0, 3)).toBe(0);
    expect(dropIndex(2, 3)).toBe(2);
    expect(dropIndex(7, 3)).toBe(2);
    expect(moveItem(["A", "B", "C"], 2, dropIndex(0, 3))).toEqual(["C", "A", "B"]);
  });

  it("shows the indicator on the side the row goes", () => {
    expect(dropSide(2, 0)).toBe("above");
    expect(dropSide(0, 2)).toBe("below");
    expect(dropSide(1, 1)).toBeNull();
  });
});

const entry = (task_id: string, index: number): QueueEntry => ({
  task_id,
  task_name: task_id,
  status: "queued",
  project_id: "p",
  user_id: null,
  index,
  enqueued_at: "2024-01-01T00:00:00Z",
  wait: 1,
});

const detail = (ids: string[]): QueueDetail => ({
  id: "q",
  name: "q",
  tags: [],
  created_at: "2024-01-01T00:00:00Z",
  builtin: false,
  pending: ids.length,
  workers: [],
  avg_wait: null,
  current_wait: null,
  entries: ids.map(entry),
});

describe("optimistic queue", () => {
  it("moves an entry and renumbers", () => {
    const moved = withMove(detail(["a", "b", "c"]), "c", 0);
    expect(moved.entries.map((e) => [e.task_id, e.index])).toEqual([["c", 0], ["a", 1], ["b", 2]]);
    expect(withMove(detail(["a"]), "zzz", 0).entries.map((e) => e.task_id)).toEqual(["a"]);
  });

  it("removes an entry", () => {
    const left = withoutEntry(detail(["a", "b", "c"]), "a");
    expect(left.entries.map((e) => [e.task_id, e.index])).toEqual([["b", 0], ["c", 1]]);
    expect(left.pending).toBe(2);
  });
});

describe("queueCharts", () => {
  const t0 = Date.parse("2024-01-01T00:00:00Z") / 1000;
  it("draws the length up to now and the waits of dequeued tasks", () => {
    const charts = queueCharts(
      [
        { time: "2024-01-01T00:00:00Z", pending: 1, wait: null },
        { time: "2024-01-01T00:00:10Z", pending: 0, wait: 10 },
      ],
      t0 + 60,
      0,
    );
    expect(charts.length).toEqual([{ label: "waiting tasks", x: [t0, t0 + 10, t0 + 60], y: [1, 0, 0] }]);
    expect(charts.wait).toEqual([{ label: "wait", x: [t0 + 10], y: [10] }]);
  });

  it("shows the present length of a queue that did not move in the window", () => {
    const charts = queueCharts([], t0, 3);
    expect(charts.length[0].y).toEqual([3]);
    expect(charts.wait).toEqual([]);
  });
});

describe("formatWait", () => {
  it("keeps short waits readable", () => {
    expect(formatWait(0.0412)).toBe("0.041s");
    expect(formatWait(12.3)).toBe("12s");
    expect(formatWait(185)).toBe("3m 05s");
  });
});
