import { describe, expect, it } from "vitest";
import type { TaskBrief, TaskOut } from "../../api/types";
import {
  compactParameters,
  groupPipelines,
  nodeDuration,
  nodeTarget,
  pipelineNodes,
  readNode,
  runVersion,
  statusSummary,
  type PipelineNode,
} from "./pipelineModel";

type Run = Pick<TaskOut, "runtime" | "configuration">;

const recorded = (nodes: unknown[]): Run => ({ runtime: { pipeline: { nodes, failed: false } }, configuration: {} });

const definition = (steps: object, extra: object = {}): Run => ({
  runtime: {},
  configuration: { Pipeline: { type: "json", value: JSON.stringify({ name: "fan", steps, ...extra }), description: "" } },
});

const brief = (over: Partial<TaskBrief>): TaskBrief =>
  ({
    id: "t",
    name: "n",
    project_id: "p",
    type: "training",
    status: "created",
    status_reason: "",
    created_at: "2025-01-01T00:00:00Z",
    started_at: null,
    completed_at: null,
    ...over,
  }) as TaskBrief;

describe("pipelineNodes", () => {
  it("reads the controller's live record", () => {
    const nodes = pipelineNodes(
      recorded([
        { name: "load", parents: [], kind: "function", queue: null, status: "completed", task_id: "a", cached_from: null, attempts: 1, started: 10, ended: 12, reason: "" },
        { name: "total", parents: ["load"], status: "cached", task_id: null, cached_from: "old", attempts: 0 },
        { name: "odd", status: "weird" },
        { parents: ["x"] },
      ]),
    );
    expect(nodes.map((n) => [n.name, n.status, n.taskId, n.cachedFrom])).toEqual([
      ["load", "completed", "a", null],
      ["total", "cached", null, "old"],
      ["odd", "pending", null, null],
    ]);
    expect(nodes[1].parents).toEqual(["load"]);
  });

  it("falls back to the definition, matching the child tasks by name", () => {
    const run = definition({ load: { parents: [], kind: "function" }, total: { parents: ["load"], kind: "task", queue: "gpu" } });
    const children = [
      brief({ id: "c1", name: "load", status: "in_progress", started_at: "2025-01-01T00:00:10Z" }),
      brief({ id: "clone", name: "total", type: "controller" }),
    ];
    const nodes = pipelineNodes(run, children);
    expect(nodes.map((n) => [n.name, n.status, n.taskId, n.queue])).toEqual([
      ["load", "running", "c1", null],
      ["total", "pending", null, "gpu"],
    ]);
    expect(nodes[0].started).toBe(Date.parse("2025-01-01T00:00:10Z") / 1000);
  });

  it("lists a decorator run's child tasks when nothing else is known", () => {
    const nodes = pipelineNodes({ runtime: {}, configuration: {} }, [brief({ id: "s", name: "step", status: "failed", status_reason: "boom" })]);
    expect(nodes).toMatchObject([{ name: "step", status: "failed", taskId: "s", reason: "boom" }]);
  });

  it("ignores an unreadable definition", () => {
    const run = { runtime: {}, configuration: { Pipeline: { type: "json", value: "{not json", description: "" } } };
    expect(pipelineNodes(run)).toEqual([]);
  });
});

describe("a step", () => {
  const node = readNode({ name: "s", status: "running", started: 100, ended: null, attempts: 2 }) as PipelineNode;

  it("runs until now while running, and has no duration before it starts", () => {
    expect(nodeDuration(node, 130)).toBe(30);
    expect(nodeDuration({ ...node, status: "completed", ended: 160 }, 1000)).toBe(60);
    expect(nodeDuration({ ...node, started: null }, 130)).toBeNull();
    expect(nodeDuration({ ...node, status: "failed" }, 130)).toBeNull();
  });

  it("opens its own task, or for a cached step the producing one", () => {
    expect(nodeTarget({ ...node, taskId: "own", cachedFrom: null })).toBe("own");
    expect(nodeTarget({ ...node, taskId: null, cachedFrom: "producer" })).toBe("producer");
    expect(nodeTarget({ ...node, taskId: null, cachedFrom: null })).toBeNull();
  });
});

describe("runs", () => {
  it("take their version from the runtime, else the definition", () => {
    expect(runVersion({ runtime: { version: "1.2.0" }, configuration: {} })).toBe("1.2.0");
    expect(runVersion(definition({}, { version: "0.9" }))).toBe("0.9");
    expect(runVersion({ runtime: {}, configuration: {} })).toBeNull();
  });

  it("show their parameters compactly, with their JSON types", () => {
    const params = {
      rows: { value: 5, type: "int", description: "" },
      name: { value: "abc", type: "str", description: "" },
      long: { value: "x".repeat(40), type: "str", description: "" },
      list: { value: [1, 2], type: "list", description: "" },
    };
    expect(compactParameters(params, 10)).toBe(`rows=5, name=abc, long=${"x".repeat(9)}…, list=[1,2]`);
    expect(compactParameters({})).toBe("");
  });

  it("group into pipelines by project and name, newest first", () => {
    const runs = [
      brief({ id: "1", name: "fan", project_id: "a", created_at: "2025-01-01T00:00:01Z" }),
      brief({ id: "2", name: "slow", project_id: "a", created_at: "2025-01-01T00:00:02Z" }),
      brief({ id: "3", name: "fan", project_id: "a", created_at: "2025-01-01T00:00:03Z" }),
      brief({ id: "4", name: "fan", project_id: "b", created_at: "2025-01-01T00:00:00Z" }),
    ];
    const groups = groupPipelines(runs);
    expect(groups.map((g) => [g.key, g.runs.map((r) => r.id)])).toEqual([
      ["a/fan", ["3", "1"]],
      ["a/slow", ["2"]],
      ["b/fan", ["4"]],
    ]);
  });

  it("summarise their steps by status", () => {
    const nodes = ["completed", "running", "completed", "cached"].map((status, i) => readNode({ name: `s${i}`, status }) as PipelineNode);
    expect(statusSummary(nodes)).toBe("1 running, 2 completed, 1 cached");
  });
});
