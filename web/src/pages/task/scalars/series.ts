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
      lines.push({ label: `${c.label} (raw)`, color: c.color, x: xy.x, y: xy.y, faint: true, band });
      lines.push({ label: c.label, color: c.color, x: xy.x, y: emaSmooth(xy.y, view.smoothing) });
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
