import { describe, expect, it } from "vitest";
import type { ScalarSeries } from "../../../api/types";
import { chartsByMetric, chartsBySeries, curveLines, filterCharts, formatSeconds, monitorUnit, pointsForWidth, sections, startOf, toXY } from "./series";

function series(p: Partial<ScalarSeries> & { iterations: number[]; values: (number | null)[] }): ScalarSeries {
  return {
    task_id: "t1",
    metric: "loss",
    variant: "train",
    min: null,
    max: null,
    times: p.iterations.map((i) => 1000 + i),
    total_points: p.iterations.length,
    downsampled: false,
    ...p,
  };
}

describe("toXY", () => {
  it("uses iterations, seconds since the start, or wall time", () => {
    const s = series({ iterations: [0, 1, 2], values: [3, 2, 1], times: [100, 110, 130] });
    expect(toXY(s, "iteration").x).toEqual([0, 1, 2]);
    expect(toXY(s, "relative", 90).x).toEqual([10, 20, 40]);
    expect(toXY(s, "wall").x).toEqual([100, 110, 130]);
  });

  it("keeps the last point reported at the same x", () => {
    const s = series({ iterations: [0, 1, 1, 2], values: [1, 2, 5, 3] });
    expect(toXY(s, "iteration")).toMatchObject({ x: [0, 1, 2], y: [1, 5, 3] });
  });

  it("gives no envelope for a series sent point by point", () => {
    const s = series({ iterations: [0, 1], values: [1, 2] });
    expect(toXY(s, "iteration")).toMatchObject({ lo: [null, null], hi: [null, null] });
  });

  it("sorts by time when times go back", () => {
    const s = series({ iterations: [0, 1, 2], values: [1, 2, 3], times: [10, 30, 20] });
    expect(toXY(s, "wall")).toMatchObject({ x: [10, 20, 30], y: [1, 3, 2] });
  });
});

describe("startOf", () => {
  it("is the task's start, or its first point when earlier", () => {
    const s = [series({ iterations: [0], values: [1], times: [500] })];
    expect(startOf(s, new Date(400_000).toISOString())).toBe(400);
    expect(startOf(s, new Date(600_000).toISOString())).toBe(500);
    expect(startOf(s, null)).toBe(500);
  });
});

describe("curveLines", () => {
  const s = series({ iterations: [0, 1, 2], values: [1, 0, 1] });
  it("draws the raw values faintly behind the smoothed ones", () => {
    const lines = curveLines([{ label: "train", color: "#000000", series: s, start: 0 }], { smoothing: 0.5, xMode: "iteration" });
    expect(lines.map((l) => [l.label, !!l.faint])).toEqual([
      ["train (raw)", true],
      ["train", false],
    ]);
    expect(lines[0].y).toEqual([1, 0, 1]);
    expect(lines[1].y[1]).not.toBe(0);
  });
  it("draws one line without smoothing, with the envelope of a downsampled series", () => {
    const d = { ...s, downsampled: true, min: [0, -1, 0], max: [2, 1, 2] };
    const lines = curveLines([{ label: "train", color: "#000000", series: d, start: 0 }], { smoothing: 0, xMode: "iteration" });
    expect(lines).toHaveLength(1);
    expect(lines[0].band).toEqual({ lo: [0, -1, 0], hi: [2, 1, 2] });
  });
});

describe("charts", () => {
  const all = [
    series({ metric: "loss", variant: "val", iterations: [0], values: [1] }),
    series({ metric: "accuracy", variant: "val", iterations: [0], values: [1] }),
    series({ metric: "loss", variant: "train", iterations: [0], values: [1] }),
    series({ task_id: "t2", metric: "loss", variant: "train", iterations: [0], values: [1] }),
  ];
  it("groups a task's series by metric, variants in name order", () => {
    const charts = chartsByMetric(all.slice(0, 3), 0);
    expect(charts.map((c) => [c.title, c.curves.map((k) => k.label)])).toEqual([
      ["accuracy", ["val"]],
      ["loss", ["train", "val"]],
    ]);
  });
  it("gives a chart per metric/variant with a line per task when comparing", () => {
    const tasks = [
      { id: "t1", label: "baseline", color: "#111111", start: 0 },
      { id: "t2", label: "wide", color: "#222222", start: 0 },
    ];
    const charts = chartsBySeries(all, tasks);
    expect(charts.map((c) => [c.title, c.curves.map((k) => k.label)])).toEqual([
      ["accuracy / val", ["baseline"]],
      ["loss / train", ["baseline", "wide"]],
      ["loss / val", ["baseline"]],
    ]);
    expect(filterCharts(charts, "TRAIN").map((c) => c.title)).toEqual(["loss / train"]);
  });
});

describe("helpers", () => {
  it("asks for about a point per pixel, in steps", () => {
    expect(pointsForWidth(0)).toBe(250);
    expect(pointsForWidth(1201)).toBe(1250);
    expect(pointsForWidth(99999)).toBe(4000);
  });
  it("formats relative seconds", () => {
    expect(formatSeconds(12.5)).toBe("12.5s");
    expect(formatSeconds(65)).toBe("1m 05s");
    expect(formatSeconds(3720)).toBe("1h 02m");
  });
});

describe("sections", () => {
  const at = (metric: string, variant: string, n: number) =>
    series({ metric, variant, iterations: [...Array(n).keys()], values: [...Array(n).keys()].map((i) => i / 10) });
  const all = [
    at("loss", "train", 5),
    at("loss", "val", 5),
    at("Summary", "accuracy", 1),
    at(":monitor:machine", "cpu_usage", 3),
    at(":monitor:machine", "memory_usage", 3),
    at(":monitor:machine", "memory_used_gb", 3),
    at(":monitor:machine", "net_rx_mbs", 3),
    at(":monitor:gpu", "gpu_0_temperature", 3),
  ];

  it("puts single values in the summary, monitor series last and one unit per chart", () => {
    const s = sections(chartsByMetric(all, 0), false);
    expect(s.summary).toMatchObject([{ metric: "Summary", label: "accuracy", value: 0, iteration: 0 }]);
    expect(s.charts.map((c) => c.title)).toEqual(["loss"]);
    expect(s.monitor.map((c) => c.title)).toEqual([":monitor:gpu (°C)", ":monitor:machine (%)", ":monitor:machine (GB)", ":monitor:machine (MB/s)"]);
    expect(s.monitor[1].curves.map((c) => c.label)).toEqual(["cpu_usage", "memory_usage"]);
    // colours restart in a chart cut out of a bigger one
    expect(new Set(s.monitor[1].curves.map((c) => c.color)).size).toBe(2);
  });

  it("gives each series a chart of its own on demand", () => {
    const s = sections(chartsByMetric(all, 0), true);
    expect(s.charts.map((c) => c.title)).toEqual(["loss / train", "loss / val"]);
    expect(new Set(s.charts.map((c) => c.key)).size).toBe(2);
  });

  it("knows the monitor units", () => {
    expect(["cpu_usage", "gpu_1_utilization", "gpu_0_mem_usage", "disk_free"].map(monitorUnit)).toEqual(["%", "%", "%", "%"]);
    expect(["process_memory_gb", "gpu_0_mem_used_gb", "disk_read_mbs", "gpu_0_temperature", "other"].map(monitorUnit)).toEqual(["GB", "GB", "MB/s", "°C", ""]);
  });
});
