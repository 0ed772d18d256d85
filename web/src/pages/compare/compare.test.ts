import { describe, expect, it } from "vitest";
import { bestIndex, idsProblem, lowerIsBetter, metricRows, paramRows, parseIds, taskLabels } from "./compare";

describe("parseIds", () => {
  it("splits, trims and drops blanks and repeats", () => {
    expect(parseIds(" a,b,,a , c ")).toEqual(["a", "b", "c"]);
    expect(parseIds(null)).toEqual([]);
  });
});

describe("idsProblem", () => {
  it("wants two to ten ids", () => {
    expect(idsProblem([])).toMatch(/at least two/);
    expect(idsProblem(["a"])).toMatch(/one more/);
    expect(idsProblem(["a", "b"])).toBeNull();
    expect(idsProblem(Array.from({ length: 11 }, (_, i) => String(i)))).toMatch(/At most 10.*has 11/);
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
});
