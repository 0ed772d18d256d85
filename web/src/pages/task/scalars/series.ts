// Scalar series made into chart lines: the x axis mode, smoothing, grouping by chart.
// Pure functions, shared by the Scalars tab and the compare page.
import { colorOf, type Line } from "../../../charts/LineChart";
import { emaSmooth } from "../../../charts/smoothing";
import type { ScalarSeries } from "../../../api/types";

/** iteration; seconds since the task started; wall-clock time */
export type XMode = "iteration" | "relative" | "wall";

export const X_MODES: { id: XMode; label: string }[] = [
  { id: "iteration", label: "Iteration" },
  { id: "relative", label: "Relative time" },
  { id: "wall", label: "Wall time" },
];

export interface XY {
  x: number[];
  y: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
}

/** When a task started, in unix seconds: its start time, or its first point if earlier. */
export function startOf(series: readonly ScalarSeries[], startedAt?: string | null): number {
  let start = startedAt ? Date.parse(startedAt) / 1000 : Infinity;
  if (Number.isNaN(start)) start = Infinity;
  for (const s of series) for (const t of s.times) if (t < start) start = t;
  return Number.isFinite(start) ? start : 0;
}

/**
 * The points of a series on the x axis of ``mode``, in increasing x. A chart needs x
 * sorted and unique: points at the same x keep the last one reported (the hub sends
 * them in report order), and time modes sort by time.
 */
export function toXY(s: ScalarSeries, mode: XMode, start = 0): XY {
  const xs = mode === "iteration" ? s.iterations : mode === "relative" ? s.times.map((t) => t - start) : s.times;
  let order: number[] | null = null;
  for (let i = 1; i < xs.length; i++) {
    if (xs[i] < xs[i - 1]) {
      order = xs.map((_, j) => j).sort((a, b) => xs[a] - xs[b] || a - b);
      break;
    }
  }
  const out: XY = { x: [], y: [], lo: [], hi: [] };
  const n = xs.length;
  for (let k = 0; k < n; k++) {
    const i = order ? order[k] : k;
    const next = order ? order[k + 1] : k + 1;
    if (k + 1 < n && xs[next] === xs[i]) continue; // a later point at the same x wins
    out.x.push(xs[i]);
    out.y.push(s.values[i] ?? null);
    out.lo.push(s.min?.[i] ?? null);
    out.hi.push(s.max?.[i] ?? null);
  }
  return out;
}

export interface Curve {
  label: string;
  color: string;
  series: ScalarSeries;
  /** unix seconds the relative time counts from */
  start: number;
}

export interface View {
  smoothing: number;
  xMode: XMode;
}

/**
 * Chart lines for curves: with smoothing, the raw values stay as a faint line behind the
 * smoothed one; a downsampled series carries its min/max envelope.
 */
export function curveLines(curves: readonly Curve[], view: View): Line[] {
  const lines: Line[] = [];
  for (const c of curves) {
    const xy = toXY(c.series, view.xMode, c.start);
    if (xy.x.length === 0) continue;
    const band = c.series.downsampled ? { lo: xy.lo, hi: xy.hi } : undefined;
    if (view.smoothing > 0) {
      // one group: hiding the smoothed line from the legend hides its raw values too
      lines.push({ label: `${c.label} (raw)`, color: c.color, x: xy.x, y: xy.y, faint: true, band, group: c.label });
      lines.push({ label: c.label, color: c.color, x: xy.x, y: emaSmooth(xy.y, view.smoothing), group: c.label });
    } else {
      lines.push({ label: c.label, color: c.color, x: xy.x, y: xy.y, band });
    }
  }
  return lines;
}

export interface ChartSpec {
  /** unique and stable: the React key */
  key: string;
  title: string;
  metric: string;
  curves: Curve[];
}

const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/** One chart per metric, its variants overlaid (the Scalars tab of one task). */
export function chartsByMetric(series: readonly ScalarSeries[], start: number): ChartSpec[] {
  const charts = new Map<string, ChartSpec>();
  const sorted = [...series].sort((a, b) => byName(a.metric, b.metric) || byName(a.variant, b.variant));
  for (const s of sorted) {
    let chart = charts.get(s.metric);
    if (!chart) {
      chart = { key: s.metric, title: s.metric, metric: s.metric, curves: [] };
      charts.set(s.metric, chart);
    }
    chart.curves.push({ label: s.variant, color: colorOf(chart.curves.length), series: s, start });
  }
  return [...charts.values()];
}

export interface TaskLine {
  id: string;
  label: string;
  color: string;
  start: number;
}

/** One chart per metric/variant with a line per task (the compare page). */
export function chartsBySeries(series: readonly ScalarSeries[], tasks: readonly TaskLine[]): ChartSpec[] {
  const charts = new Map<string, ChartSpec>();
  const rank = new Map(tasks.map((t, i) => [t.id, i]));
  const sorted = [...series]
    .filter((s) => rank.has(s.task_id))
    .sort((a, b) => byName(a.metric, b.metric) || byName(a.variant, b.variant) || rank.get(a.task_id)! - rank.get(b.task_id)!);
  for (const s of sorted) {
    const key = JSON.stringify([s.metric, s.variant]);
    let chart = charts.get(key);
    if (!chart) {
      chart = { key, title: `${s.metric} / ${s.variant}`, metric: s.metric, curves: [] };
      charts.set(key, chart);
    }
    const task = tasks[rank.get(s.task_id)!];
    chart.curves.push({ label: task.label, color: task.color, series: s, start: task.start });
  }
  return [...charts.values()];
}

/** Charts whose title holds ``text`` (any case); every chart for an empty filter. */
export function filterCharts(charts: readonly ChartSpec[], text: string): ChartSpec[] {
  const t = text.trim().toLowerCase();
  if (!t) return [...charts];
  return charts.filter((c) => c.title.toLowerCase().includes(t) || c.curves.some((k) => k.series.variant.toLowerCase().includes(t)));
}

/**
 * Points to ask the hub for per series: about one per pixel of the widest a chart gets,
 * in steps so that resizing the window does not refetch at every pixel.
 */
export function pointsForWidth(width: number): number {
  const step = 250;
  return Math.min(4000, Math.max(step, Math.ceil(width / step) * step));
}

/** "1h 02m", "3m 05s", "12.5s": relative time on an axis. */
export function formatSeconds(v: number): string {
  const sign = v < 0 ? "-" : "";
  const s = Math.abs(v);
  if (s < 60) return `${sign}${Number(s.toPrecision(3))}s`;
  const whole = Math.round(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = whole % 60;
  if (h) return `${sign}${h}h ${String(m).padStart(2, "0")}m`;
  return `${sign}${m}m ${String(sec).padStart(2, "0")}s`;
}

// --- sections of the Scalars view: single values, charts, monitoring -------------------------

/** Metrics the SDK's resource monitor reports (``:monitor:machine``, ``:monitor:gpu``). */
export const MONITOR_PREFIX = ":monitor:";

export const isMonitor = (metric: string) => metric.startsWith(MONITOR_PREFIX);

/**
 * The unit of a monitor series, from its name (see corral/sdk/capture/resources.py):
 * ``*_gb`` GB, ``*_mbs`` MB/s, ``*temperature`` °C, usage/utilisation/free in %.
 */
export function monitorUnit(variant: string): string {
  const v = variant.toLowerCase();
  if (v.endsWith("_gb")) return "GB";
  if (v.endsWith("_mbs")) return "MB/s";
  if (v.includes("temperature")) return "°C";
  if (/(usage|utilization|utilisation|percent|free)$/.test(v)) return "%";
  return "";
}

/** A curve of a single value: one point (``report_single_value``, a final score). */
export const isSingleValue = (c: Curve) => c.series.total_points === 1 && c.series.iterations.length === 1;

export interface SingleValue {
  key: string;
  metric: string;
  label: string;
  value: number | null;
  iteration: number;
}

export interface Sections {
  /** single values, shown as a table */
  summary: SingleValue[];
  charts: ChartSpec[];
  /** ``:monitor:`` charts, one unit per chart, shown last */
  monitor: ChartSpec[];
}

/** One chart per curve ("one chart per series"): ``metric / label``. */
export function chartPerCurve(charts: readonly ChartSpec[]): ChartSpec[] {
  return charts.flatMap((c) =>
    c.curves.length <= 1
      ? [c]
      : c.curves.map((k, i) => ({ key: `${c.key}\u0000${i}\u0000${k.label}`, title: `${c.title} / ${k.label}`, metric: c.metric, curves: [{ ...k, color: c.curves[0].color }] })),
  );
}

/**
 * The charts split into the view's sections: single values out into the summary,
 * monitor charts apart and cut by unit (a chart per unit), optionally a chart per series.
 */
export function sections(charts: readonly ChartSpec[], perSeries: boolean): Sections {
  const summary: SingleValue[] = [];
  const plain: ChartSpec[] = [];
  const monitor: ChartSpec[] = [];
  for (const chart of charts) {
    const curves: Curve[] = [];
    for (const c of chart.curves) {
      if (isSingleValue(c)) {
        summary.push({ key: `${chart.key}\u0000${c.label}`, metric: chart.title, label: c.label, value: c.series.values[0] ?? null, iteration: c.series.iterations[0] });
      } else {
        curves.push(c);
      }
    }
    if (curves.length === 0) continue;
    if (!isMonitor(chart.metric)) {
      plain.push({ ...chart, curves });
      continue;
    }
    const byUnit = new Map<string, Curve[]>();
    for (const c of curves) {
      const unit = monitorUnit(c.series.variant);
      byUnit.set(unit, [...(byUnit.get(unit) ?? []), c]);
    }
    for (const [unit, group] of [...byUnit].sort(([a], [b]) => a.localeCompare(b))) {
      monitor.push({
        key: `${chart.key}\u0000${unit}`,
        title: unit ? `${chart.title} (${unit})` : chart.title,
        metric: chart.metric,
        curves: group.map((c, i) => (chart.curves.length === group.length ? c : { ...c, color: colorOf(i) })),
      });
    }
  }
  return {
    summary,
    charts: perSeries ? chartPerCurve(plain) : plain,
    monitor: perSeries ? chartPerCurve(monitor) : monitor,
  };
}
