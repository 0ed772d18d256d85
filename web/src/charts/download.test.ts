import { describe, expect, it } from "vitest";
import { fileName, toCsv } from "./download";

describe("toCsv", () => {
  it("writes a row per x in the range that has a value, nulls as empty fields", () => {
    const csv = toCsv(["iteration", "train", 'val "b", c'], [1, 2, 3, 4], [[0.5, null, 0.25, 9], [1, null, null, 9]], 1, 3);
    expect(csv).toBe('iteration,train,"val ""b"", c"\n1,0.5,1\n3,0.25,\n');
  });
});

describe("fileName", () => {
  it("keeps a safe name", () => {
    expect(fileName(":monitor:machine / cpu %", "png")).toBe("monitor_machine_cpu.png");
    expect(fileName("///", "csv")).toBe("chart.csv");
  });
});
