import { describe, expect, it } from "vitest";
import { bestIndex, fitted, idsProblem, renderedImage, lowerIsBetter, mediaRows, metricDirection, metricRows, niceTicks, paramAxis, paramRows, parseIds, taskLabels } from "./compare";

describe("parseIds", () => {
  it("splits, trims and drops blanks and repeats", () => {
    expect(parseIds(" a,b,,a , c ")).toEqual(["a", "b", "c"]);
    expect(parseIds(null)).toEqual([]);
  });
});

describe("idsProblem", () => {
  it("wants two to twelve ids", () => {
    expect(idsProblem([])).toMatch(/at least two/);
    expect(idsProblem(["a"])).toMatch(/one more/);
    expect(idsProblem(["a", "b"])).toBeNull();
    expect(idsProblem(Array.from({ length: 12 }, (_, i) => String(i)))).toBeNull();
    expect(idsProblem(Array.from({ length: 13 }, (_, i) => String(i)))).toMatch(/At most 12.*has 13/);
  });
});

describe("taskLabels", () => {
  it("adds a short id only to repeated names", () => {
    expect(taskLabels([{ id: "abcdef123", name: "run" }, { id: "123456789", name: "run" }, { id: "x", name: "other" }])).toEqual([
      "run (abcdef)",
      "run (123456)",
      "other",
    ]);
  });
});

describe("paramRows", () => {
  const p = (value: unknown) => ({ value, type: "", description: "" });
  const hp = (lr: unknown, extra = {}) => ({ Args: { lr: p(lr), augment: p(false), ...extra } });
  it("lines up the values and marks the rows that differ", () => {
    const rows = paramRows([hp(0.01), hp(0.1, { seed: p(1) }), null]);
    expect(rows.map((r) => [r.name, r.values, r.differs])).toEqual([
      ["augment", ["false", "false", undefined], true],
      ["lr", ["0.01", "0.1", undefined], true],
      ["seed", [undefined, "1", undefined], true],
    ]);
  });
  it("equal values do not differ", () => {
    const rows = paramRows([hp("adam"), hp("adam")]);
    expect(rows.every((r) => !r.differs)).toBe(true);
  });
});

describe("best values", () => {
  it("knows losses go down and accuracies up", () => {
    expect(lowerIsBetter("loss", "train")).toBe(true);
    expect(lowerIsBetter("validation", "error_rate")).toBe(true);
    expect(lowerIsBetter("accuracy", "val")).toBe(false);
  });
  it("picks the best of two or more known values", () => {
    expect(bestIndex([0.3, 0.1, null], true)).toBe(1);
    expect(bestIndex([0.3, 0.1, 0.5], false)).toBe(2);
    expect(bestIndex([0.3, undefined], true)).toBeNull();
    expect(bestIndex([0.2, 0.2], true)).toBeNull();
  });
  it("metricRows gathers every series of every task", () => {
    const v = (last: number) => ({ last, min: last, max: last, iteration: 1 });
    const rows = metricRows([{ loss: { train: v(0.2), val: v(0.3) } }, { loss: { train: v(0.1) } }]);
    expect(rows.map((r) => [r.variant, r.best])).toEqual([
      ["train", 1],
      ["val", null],
    ]);
    expect(rows[1].values[1]).toBeUndefined();
  });
  it("marks no best value of a series without a direction, and puts monitor series last", () => {
    expect(metricDirection(":monitor:machine", "cpu_usage")).toBeNull();
    expect(metricDirection("train", "lr")).toBeNull();
    expect(metricDirection("loss", "val")).toBe("lower");
    expect(metricDirection("accuracy", "val")).toBe("higher");
    const v = (last: number) => ({ last, min: last, max: last, iteration: 1 });
    const rows = metricRows([
      { ":monitor:gpu": { util: v(90) }, accuracy: { val: v(0.8) } },
      { ":monitor:gpu": { util: v(10) }, accuracy: { val: v(0.9) } },
    ]);
    expect(rows.map((r) => [r.metric, r.direction, r.best])).toEqual([
      ["accuracy", "higher", 1],
      [":monitor:gpu", null, null],
    ]);
  });
});

describe("mediaRows", () => {
  it("lays items out in a row per metric/variant and a column per task", () => {
    const item = (task_id: string, metric: string, iteration: number) => ({ task_id, metric, variant: "v", iteration });
    const rows = mediaRows(
      ["a", "b", "c"],
      [item("b", "roc", 3), item("a", "cm", 5), item("c", "cm", 2), item("zz", "cm", 1)],
      [
        { task_id: "a", metric: "cm", variant: "v", iterations: [1, 5] },
        { task_id: "c", metric: "cm", variant: "v", iterations: [2, 5] },
        { task_id: "b", metric: "roc", variant: "v", iterations: [3] },
      ],
    );
    expect(rows.map((r) => [r.metric, r.cells.map((c) => c?.iteration), r.iterations])).toEqual([
      ["cm", [5, undefined, 2], [5, 2, 1]],
      ["roc", [undefined, 3, undefined], [3]],
    ]);
  });
});

describe("paramAxis", () => {
  it("is numeric when every value is a number, else categorical", () => {
    expect(paramAxis("lr", ["0.1", "1e-3", "2"])).toEqual({ kind: "number", label: "lr", values: [0.1, 0.001, 2] });
    expect(paramAxis("opt", ["sgd", "adam", "sgd"])).toEqual({ kind: "category", label: "opt", values: ["sgd", "adam", "sgd"], categories: ["adam", "sgd"] });
    expect(paramAxis("n", ["1", undefined])).toEqual({ kind: "category", label: "n", values: ["1", "—"], categories: ["1", "—"] });
    expect(paramAxis("b", ["true", "false"]).kind).toBe("category");
  });
});

describe("niceTicks", () => {
  it("puts ticks on round steps inside the range", () => {
    expect(niceTicks(0.01, 0.08)).toEqual([0.02, 0.04, 0.06, 0.08]);
    expect(niceTicks(0, 10)).toEqual([0, 5, 10]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });
});

describe("figures in a column", () => {
  const image = {
    data: [],
    layout: { images: [{ source: "data:image/png;base64,AAAA" }], width: 640, height: 480, meta: { rendered: "image" } },
  };
  it("drops a fixed width and caps the height", () => {
    expect(fitted(image).layout).toMatchObject({ autosize: true, height: 300 });
    expect(fitted(image).layout).not.toHaveProperty("width");
    expect(fitted({ data: [] }).layout).toEqual({ autosize: true, height: 300 });
    expect(fitted({ layout: { height: 200 } }).layout?.height).toBe(200);
  });
  it("finds the picture of an image-only figure", () => {
    expect(renderedImage(image)).toBe("data:image/png;base64,AAAA");
    expect(renderedImage({ ...image, data: [{ type: "heatmap" }] })).toBeNull();
    expect(renderedImage({ layout: { ...image.layout, meta: {} } })).toBeNull();
    expect(renderedImage({ layout: { ...image.layout, images: [{ source: "javascript:alert(1)" }] } })).toBeNull();
  });
});
