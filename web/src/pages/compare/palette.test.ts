import { describe, expect, it } from "vitest";
import { DISTINCT_COLORS, deltaE, hslToHex, runColor, scaleColor } from "./palette";

describe("runColor", () => {
  it("gives twelve runs twelve colours far apart", () => {
    const colors = Array.from({ length: 12 }, (_, i) => runColor(i));
    expect(DISTINCT_COLORS).toBeGreaterThanOrEqual(12);
    expect(new Set(colors).size).toBe(12);
    for (let i = 0; i < colors.length; i++) {
      for (let j = i + 1; j < colors.length; j++) expect(deltaE(colors[i], colors[j]), `${colors[i]} vs ${colors[j]}`).toBeGreaterThan(25);
    }
  });
  it("goes on beyond twelve, deterministically and still distinct", () => {
    const a = Array.from({ length: 30 }, (_, i) => runColor(i));
    expect(Array.from({ length: 30 }, (_, i) => runColor(i))).toEqual(a);
    expect(new Set(a).size).toBe(30);
    for (const c of a) expect(c).toMatch(/^#[0-9a-f]{6}$/);
  });
});

describe("colour maths", () => {
  it("converts HSL and measures distances", () => {
    expect(hslToHex(0, 1, 0.5)).toBe("#ff0000");
    expect(hslToHex(120, 1, 0.25)).toBe("#008000");
    expect(deltaE("#000000", "#ffffff")).toBeCloseTo(100, 0);
    expect(deltaE("#2f6fed", "#2f6fed")).toBe(0);
  });
});

describe("scaleColor", () => {
  it("runs from dark violet to yellow, clamped", () => {
    expect(scaleColor(0)).toBe("rgb(68, 1, 84)");
    expect(scaleColor(1)).toBe("rgb(253, 231, 37)");
    expect(scaleColor(-3)).toBe(scaleColor(0));
    expect(scaleColor(0.5)).toBe("rgb(33, 145, 140)");
  });
});
