import { describe, expect, it } from "vitest";
import type { TaskBrief } from "../../api/types";
import {
  defaultColumns,
  gridTemplate,
  loadColumns,
  loadWidths,
  moveColumn,
  pinnedOffsets,
  saveWidths,
  shiftColumn,
  splitMonitor,
  tableWidth,
  metricColumnId,
  metricValue,
  needsHyperparams,
  paramColumnId,
  paramValue,
  parseColumn,
  resolveColumns,
  saveColumns,
  storageKey,
  toggleColumn,
} from "./columns";

function memoryStorage(init: Record<string, string> = {}) {
  const data = new Map(Object.entries(init));
  return {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, v),
    removeItem: (k: string) => void data.delete(k),
    data,
  };
}

describe("column ids", () => {
  it("are the hub's sort keys, segments percent-encoded", () => {
    expect(paramColumnId("Args", "lr")).toBe("param:Args:lr");
    expect(paramColumnId("A:B", "x/y z")).toBe("param:A%3AB:x%2Fy%20z");
    expect(metricColumnId("loss", "val", "min")).toBe("metric:loss:val:min");
    expect(metricColumnId("m:1", "v", "last")).toBe("metric:m%3A1:v:last");
  });

  it("parse back to their parts", () => {
    expect(parseColumn("param:A%3AB:x%2Fy%20z")).toMatchObject({ kind: "param", section: "A:B", name: "x/y z", label: "A:B/x/y z", sort: "param:A%3AB:x%2Fy%20z" });
    expect(parseColumn("metric:loss:val:max")).toMatchObject({ kind: "metric", metric: "loss", variant: "val", agg: "max", label: "loss/val (max)" });
    expect(parseColumn("duration")).toMatchObject({ kind: "builtin", sort: "duration" });
    expect(parseColumn("tags")).toMatchObject({ kind: "builtin", sort: null });
  });

  it("reject what is not a column", () => {
    for (const bad of ["nope", "param:Args", "param:Args:lr:x", "metric:loss:val:median", "metric:loss::last", "param:%E0%A4%A:x"]) {
      expect(parseColumn(bad)).toBeNull();
    }
  });
});

describe("choosing columns", () => {
  it("defaults add the project in the all-projects view", () => {
    expect(defaultColumns(false)).not.toContain("project");
    expect(defaultColumns(true)).toContain("project");
    expect(defaultColumns(false).slice(0, 2)).toEqual(["status", "name"]);
  });

  it("resolve drops unknown and repeated ids and puts the pinned status and name first", () => {
    expect(resolveColumns(["type", "bogus", "name", "type", "param:Args:lr"]).map((c) => c.id)).toEqual(["status", "name", "type", "param:Args:lr"]);
  });

  it("toggle adds at the end and removes, never a pinned column", () => {
    expect(toggleColumn(["status", "name", "type"], "metric:loss:val:last")).toEqual(["status", "name", "type", "metric:loss:val:last"]);
    expect(toggleColumn(["status", "name", "type"], "type")).toEqual(["status", "name"]);
    expect(toggleColumn(["status", "name"], "name")).toEqual(["status", "name"]);
    expect(toggleColumn(["status", "name"], "status")).toEqual(["status", "name"]);
  });

  it("move puts a column before another, never before the pinned ones", () => {
    const ids = ["status", "name", "type", "user", "param:Args:lr"];
    expect(moveColumn(ids, "param:Args:lr", "type")).toEqual(["status", "name", "param:Args:lr", "type", "user"]);
    expect(moveColumn(ids, "type", null)).toEqual(["status", "name", "user", "param:Args:lr", "type"]);
    expect(moveColumn(ids, "user", "status")).toEqual(["status", "name", "user", "type", "param:Args:lr"]);
    expect(moveColumn(ids, "name", "user")).toBe(ids);
    expect(moveColumn(ids, "gone", "user")).toBe(ids);
    expect(shiftColumn(ids, "user", -1)).toEqual(["status", "name", "user", "type", "param:Args:lr"]);
    expect(shiftColumn(ids, "user", 1)).toEqual(["status", "name", "type", "param:Args:lr", "user"]);
    expect(shiftColumn(ids, "type", -1)).toBe(ids);
    expect(shiftColumn(ids, "param:Args:lr", 1)).toBe(ids);
  });

  it("hyperparameters are asked for only when a column shows one", () => {
    expect(needsHyperparams(resolveColumns(defaultColumns(false)))).toBe(false);
    expect(needsHyperparams(resolveColumns(["name", "param:Args:lr"]))).toBe(true);
  });

  it("the grid has a track for the box, each column at its width and the rest", () => {
    const columns = resolveColumns(["metric:loss:val:min"]);
    expect(gridTemplate(columns, {})).toBe("34px 104px 260px 140px minmax(0, 1fr)");
    // a dragged width, one below the minimum, one garbage
    const widths = { name: 20, "metric:loss:val:min": 333.4, status: Number.NaN };
    expect(gridTemplate(columns, widths)).toBe("34px 104px 120px 333px minmax(0, 1fr)");
    expect(tableWidth(columns, widths)).toBe(34 + 104 + 120 + 333);
    expect([...pinnedOffsets(columns, widths)]).toEqual([
      ["status", 34],
      ["name", 138],
    ]);
  });

  it("the picker lists the machine monitoring series last", () => {
    const { own, monitor } = splitMonitor([{ metric: ":monitor:machine" }, { metric: "loss" }, { metric: ":monitor:gpu" }, { metric: "acc" }]);
    expect(own.map((m) => m.metric)).toEqual(["loss", "acc"]);
    expect(monitor.map((m) => m.metric)).toEqual([":monitor:machine", ":monitor:gpu"]);
  });
});

describe("values", () => {
  const task = {
    hyperparams: { Args: { lr: { value: 0.01 }, flag: { value: false } } },
    last_metrics: { loss: { val: { last: 0.5, min: 0.1, max: 0.9, iteration: 3 } } },
  } as unknown as TaskBrief;

  it("read a parameter and a metric summary, nothing when missing", () => {
    expect(paramValue(task, "Args", "lr")).toBe(0.01);
    expect(paramValue(task, "Args", "flag")).toBe(false);
    expect(paramValue(task, "General", "lr")).toBeUndefined();
    expect(paramValue({ ...task, hyperparams: null }, "Args", "lr")).toBeUndefined();
    expect(metricValue(task, "loss", "val", "min")).toBe(0.1);
    expect(metricValue(task, "loss", "train", "min")).toBeNull();
  });
});

describe("persistence", () => {
  it("is per project, with defaults when nothing or garbage is saved", () => {
    const storage = memoryStorage({ [storageKey("p2")]: "{not json", [storageKey("p3")]: '{"a":1}' });
    expect(loadColumns(storage, "p1")).toEqual(defaultColumns(false));
    expect(loadColumns(storage, "p2")).toEqual(defaultColumns(false));
    expect(loadColumns(storage, "p3")).toEqual(defaultColumns(false));
    expect(loadColumns(storage, undefined)).toEqual(defaultColumns(true));
    saveColumns(storage, "p1", ["name", "param:Args:lr", "gone"]);
    expect(loadColumns(storage, "p1")).toEqual(["status", "name", "param:Args:lr"]);
    expect(loadColumns(storage, "p4")).toEqual(defaultColumns(false));
    expect(storage.data.has("corral.experiments.columns.p1")).toBe(true);
  });

  it("keeps widths per project, clamped, and forgets them on reset", () => {
    const storage = memoryStorage({ "corral.experiments.widths.p2": '{"name": 5, "type": "wide", "user": 150}' });
    expect(loadWidths(storage, "p1")).toEqual({});
    expect(loadWidths(storage, "p2")).toEqual({ name: 120, user: 150 });
    saveWidths(storage, "p1", { "param:Args:lr": 200 });
    expect(loadWidths(storage, "p1")).toEqual({ "param:Args:lr": 200 });
    saveWidths(storage, "p1", {});
    expect(storage.data.has("corral.experiments.widths.p1")).toBe(false);
    storage.data.set("corral.experiments.widths.p3", "[1,2]");
    expect(loadWidths(storage, "p3")).toEqual({});
  });

  it("survives a storage that throws", () => {
    const broken = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("full");
      },
    };
    expect(loadColumns(broken, "p")).toEqual(defaultColumns(false));
    expect(() => saveColumns(broken, "p", ["name"])).not.toThrow();
  });
});
