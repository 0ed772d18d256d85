import { describe, expect, it } from "vitest";
import type { TaskBrief } from "../../api/types";
import {
  defaultColumns,
  gridTemplate,
  loadColumns,
  metricColumnId,
  metricValue,
  minTableWidth,
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

  it("resolve drops unknown and repeated ids and keeps the name", () => {
    expect(resolveColumns(["status", "bogus", "status", "param:Args:lr"]).map((c) => c.id)).toEqual(["name", "status", "param:Args:lr"]);
  });

  it("toggle adds at the end and removes, never the name", () => {
    expect(toggleColumn(["name", "status"], "metric:loss:val:last")).toEqual(["name", "status", "metric:loss:val:last"]);
    expect(toggleColumn(["name", "status"], "status")).toEqual(["name"]);
    expect(toggleColumn(["name", "status"], "name")).toEqual(["name", "status"]);
  });

  it("hyperparameters are asked for only when a column shows one", () => {
    expect(needsHyperparams(resolveColumns(defaultColumns(false)))).toBe(false);
    expect(needsHyperparams(resolveColumns(["name", "param:Args:lr"]))).toBe(true);
  });

  it("the grid has a track for the box and each column", () => {
    const columns = resolveColumns(["name", "status", "metric:loss:val:min"]);
    expect(gridTemplate(columns)).toBe("34px minmax(180px, 2fr) 96px 130px");
    expect(minTableWidth(columns)).toBe(34 + 180 + 96 + 130);
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
    expect(loadColumns(storage, "p1")).toEqual(["name", "param:Args:lr"]);
    expect(loadColumns(storage, "p4")).toEqual(defaultColumns(false));
    expect(storage.data.has("corral.experiments.columns.p1")).toBe(true);
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
