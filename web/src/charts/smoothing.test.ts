import { describe, expect, it } from "vitest";
import { emaSmooth } from "./smoothing";

describe("emaSmooth", () => {
  it("leaves the values as they are with no smoothing", () => {
    expect(emaSmooth([1, 5, null, 2], 0)).toEqual([1, 5, null, 2]);
  });

  it("is debiased: the first point keeps its value", () => {
    const s = emaSmooth([10, 0], 0.6);
    expect(s[0]).toBeCloseTo(10);
    // (0.6 * 0.4 * 10 + 0.4 * 0) / (1 - 0.36)
    expect(s[1]).toBeCloseTo((0.6 * 4) / 0.64);
  });

  it("keeps missing values missing and skips them in the average", () => {
    const s = emaSmooth([1, null, 3], 0.5);
    expect(s[1]).toBeNull();
    expect(s[2]).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / 0.75);
  });

  it("keeps a constant series constant", () => {
    expect(emaSmooth([2, 2, 2], 0.9)).toEqual([2, 2, 2]);
  });

  it("follows a step more slowly with a bigger weight", () => {
    const y = [0, 0, 0, 1, 1, 1];
    const light = emaSmooth(y, 0.3)[3] as number;
    const heavy = emaSmooth(y, 0.9)[3] as number;
    expect(heavy).toBeLessThan(light);
    expect(light).toBeLessThan(1);
  });
});
