import { describe, expect, it } from "vitest";
import type { WorkerStat } from "../../api/types";
import { machineFacts } from "./machineFacts";
import { isWindowKey, padToWindow, refreshMs, windowSince } from "./statsWindow";
import { byteUnit, percent, scaled, workerCharts } from "./workerStats";

const sample = (time: string, extra: Partial<WorkerStat> = {}): WorkerStat => ({
  time,
  cpu_percent: null,
  memory_used: null,
  memory_total: null,
  gpus: [],
  net_rx: null,
  net_tx: null,
  ...extra,
});

describe("workerCharts", () => {
  it("makes one line per figure on a unix-seconds axis", () => {
    const charts = workerCharts([
      sample("2024-01-01T00:00:00Z", { cpu_percent: 10, memory_used: 1, memory_total: 4 }),
      sample("2024-01-01T00:00:05Z", { cpu_percent: 30, memory_used: 2, memory_total: 4 }),
    ]);
    expect(charts.cpu).toEqual([{ label: "CPU %", x: [1704067200, 1704067205], y: [10, 30] }]);
    expect(charts.memory.map((l) => l.label)).toEqual(["used", "total"]);
    expect(charts.memory[0].y).toEqual([1, 2]);
  });

  it("leaves out figures the worker never sent", () => {
    const charts = workerCharts([sample("2024-01-01T00:00:00Z", { cpu_percent: 5 })]);
    expect(charts.gpuUtilization).toEqual([]);
    expect(charts.network).toEqual([]);
    expect(charts.memory).toEqual([]);
  });

  it("draws one line per GPU index, with gaps where a sample lacks it", () => {
    const charts = workerCharts([
      sample("2024-01-01T00:00:00Z", { gpus: [{ index: 1, utilization: 50, name: "A100" }, { index: 0, utilization: 20 }] }),
      sample("2024-01-01T00:00:05Z", { gpus: [{ index: 0, utilization: 40, memory_used: 7 }] }),
    ]);
    expect(charts.gpuUtilization.map((l) => l.label)).toEqual(["GPU 0", "GPU 1 (A100)"]);
    expect(charts.gpuUtilization[1].y).toEqual([50, null]);
    expect(charts.gpuMemory).toEqual([{ label: "GPU 0", x: [1704067200, 1704067205], y: [null, 7] }]);
  });

  it("formats a percentage", () => {
    expect(percent(41.6)).toBe("42%");
    expect(percent(null)).toBe("—");
  });
});

describe("time windows", () => {
  it("starts the window its length before now", () => {
    const now = Date.parse("2024-01-02T00:00:00Z");
    expect(windowSince("15m", now)).toBe("2024-01-01T23:45:00.000Z");
    expect(windowSince("7d", now)).toBe("2023-12-26T00:00:00.000Z");
  });

  it("polls long windows less often", () => {
    expect(refreshMs("15m")).toBe(10_000);
    expect(refreshMs("7d")).toBeGreaterThan(refreshMs("1h"));
  });

  it("knows its keys", () => {
    expect(isWindowKey("6h")).toBe(true);
    expect(isWindowKey("2y")).toBe(false);
    expect(isWindowKey(null)).toBe(false);
  });
});

describe("machineFacts", () => {
  it("labels the known facts first and skips empty ones", () => {
    expect(machineFacts({ zeta: 1, hostname: "box", gpus: ["0", "1"], gpu_type: "", cpu_cores: 8 })).toEqual([
      ["Host", "box"],
      ["CPU cores", "8"],
      ["GPUs given to tasks", "0, 1"],
      ["Zeta", "1"],
    ]);
  });
});

describe("chart helpers", () => {
  it("pads the lines to the whole window", () => {
    const [padded] = padToWindow([{ label: "a", x: [10, 20], y: [1, 2] }], 0, 30);
    expect(padded).toEqual({ label: "a", x: [0, 10, 20, 30], y: [null, 1, 2, null] });
    const [empty] = padToWindow([{ label: "b", x: [], y: [] }], 0, 30);
    expect(empty.x).toEqual([0, 30]);
    const [full] = padToWindow([{ label: "c", x: [0, 30], y: [1, 2] }], 0, 30);
    expect(full.x).toEqual([0, 30]);
  });

  it("charts bytes in the unit of the largest value", () => {
    const lines = [{ label: "used", x: [0, 1], y: [512 * 1024 ** 2, 3 * 1024 ** 3] }];
    expect(byteUnit(lines)).toEqual({ unit: "GB", factor: 1024 ** 3 });
    expect(scaled(lines, 1024 ** 3)[0].y).toEqual([0.5, 3]);
    expect(byteUnit([{ label: "x", x: [0], y: [null] }])).toEqual({ unit: "B", factor: 1 });
  });
});
