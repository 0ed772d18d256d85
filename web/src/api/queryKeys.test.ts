import { describe, expect, it } from "vitest";
import { keysFor } from "../live/changes";
import type { Change } from "./types";
import { queryKeys } from "./queryKeys";

const under = (key: readonly unknown[], prefix: readonly unknown[]) =>
  JSON.stringify(key.slice(0, prefix.length)) === JSON.stringify(prefix);

describe("queryKeys", () => {
  it("puts every record of a task under the task, so a change of it refreshes them", () => {
    const t = queryKeys.task;
    const records = [
      t.scalars("t1", 800),
      t.artifacts("t1"),
      t.logs("t1", { search: "", stream: "", run: "" }),
      t.plots("t1"),
      t.plot("t1", "loss", "val", 3),
      t.debugSamples("t1"),
      t.debugSample("t1", "img", "x", null),
    ];
    const change: Change = {
      id: 1,
      time: "",
      entity_type: "task",
      entity_id: "t1",
      action: "events",
      project_id: null,
      user_id: null,
      payload: {},
    };
    for (const key of records) expect(keysFor(change).some((prefix) => under(key, prefix))).toBe(true);
  });

  it("keeps lists and single resources apart under one prefix", () => {
    expect(under(queryKeys.projects.list(), queryKeys.projects.all)).toBe(true);
    expect(under(queryKeys.projects.one("p"), queryKeys.projects.all)).toBe(true);
    expect(queryKeys.projects.list()).not.toEqual(queryKeys.projects.one("list"));
    expect(under(queryKeys.queue.detail("q"), queryKeys.queue.all)).toBe(true);
    expect(under(queryKeys.tasks.table(undefined, {}, false), queryKeys.tasks.all)).toBe(true);
  });

  it("refreshes the pipelines and a run's steps when any task changes (a step, the controller)", () => {
    const change: Change = {
      id: 2,
      time: "",
      entity_type: "task",
      entity_id: "step",
      action: "updated",
      project_id: null,
      user_id: null,
      payload: {},
    };
    for (const key of [queryKeys.tasks.pipelines(""), queryKeys.tasks.steps("run")]) {
      expect(keysFor(change).some((prefix) => under(key, prefix))).toBe(true);
    }
  });
});
