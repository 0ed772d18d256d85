// A line chart on uPlot (canvas: fluid with hundreds of thousands of points). Lines
// with different x values are aligned with uPlot.join; the legend shows the values
// under the cursor. Every chart of the app draws through this component.
//
// New data for the same lines (a live refresh) is drawn in place: a zoomed-in chart
// keeps its zoom, one showing everything follows the new points.
import { useEffect, useMemo, useRef } from "react";
import uPlot, { type AlignedData, type Band, type Options, type Series } from "uplot";
import "./charts.css";

export interface Line {
  label: string;
  x: number[];
  y: (number | null)[];
  color?: string;
  /** drawn thin and translucent behind the other lines, left out of the legend
   * (e.g. the raw values under their smoothed line) */
  faint?: boolean;
  /** an envelope filled faintly around the line (e.g. the min/max of downsampled buckets) */
  band?: { lo: (number | null)[]; hi: (number | null)[] };
}

export interface LineChartProps {
  lines: Line[];
  /** "time": x values are unix seconds, shown as dates */
  xKind?: "number" | "time";
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  height?: number;
  title?: string;
  /** y values formatted in the legend and axis */
  formatY?: (v: number) => string;
  /** x values formatted in the legend and axis (default: numbers, or dates for "time") */
  formatX?: (v: number) => string;
}

export const PALETTE = ["#2f6fed", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#1098ad", "#f08c00", "#5c940d", "#862e9c", "#495057"];

export function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** A #rrggbb colour with an alpha channel (0..1). */
export function withAlpha(color: string, alpha: number): string {
  if (!/^#[0-9a-f]{6}$/i.test(color)) return color;
  return color + Math.round(alpha * 255).toString(16).padStart(2, "0");
}

/** The columns of one line: y, then the band's hi and lo if it has one. */
function columns(l: Line): (number | null)[][] {
  return l.band ? [l.y, l.band.hi, l.band.lo] : [l.y];
}

/** The lines on one shared x axis, as uPlot wants them (a line's band follows its y). */
export function align(lines: Line[]): AlignedData {
  if (lines.length === 0) return [[]];
  const tables = lines.map((l) => [l.x, ...columns(l)] as unknown as AlignedData);
  return lines.length === 1 ? tables[0] : uPlot.join(tables);
}

/** Zero and negative values out: a log scale cannot show them. */
function positiveOnly(data: AlignedData): AlignedData {
  return [data[0], ...data.slice(1).map((s) => (s as (number | null)[]).map((v) => (v !== null && v > 0 ? v : null)))] as AlignedData;
}

const fmtNumber = (v: number) => String(Number(v.toPrecision(6)));

export function LineChart({ lines, xKind = "number", xLabel, yLabel, logY, height = 260, title, formatY, formatX }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shown = useRef<AlignedData | null>(null);
  const main = lines.filter((l) => !l.faint);
  const points = main.reduce((n, l) => n + l.x.length, 0);
  const data = useMemo(() => (logY ? positiveOnly(align(lines)) : align(lines)), [lines, logY]);
  // what a new chart starts from; new data for the same chart goes in by the effect below
  const latest = useRef({ data, lines });
  useEffect(() => {
    latest.current = { data, lines };
  });
  // what needs a new chart (rather than new data in the same one)
  const shape = JSON.stringify(lines.map((l) => [l.label, l.color, !!l.faint, !!l.band]));

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fy = (v: number | null) => (v === null || v === undefined ? "—" : formatY ? formatY(v) : fmtNumber(v));
    const parsed = JSON.parse(shape) as [string, string | undefined, boolean, boolean][];
    const series: Series[] = [
      {
        label: xLabel ?? (xKind === "time" ? "time" : "iteration"),
        ...(formatX ? { value: (_u: uPlot, v: number | null) => (v === null ? "—" : formatX(v)) } : {}),
      },
    ];
    const bands: Band[] = [];
    parsed.forEach(([label, color, faint, band], i) => {
      const stroke = color ?? colorOf(i);
      series.push({
        label,
        stroke: faint ? withAlpha(stroke, 0.3) : stroke,
        width: faint ? 1 : 1.5,
        spanGaps: true,
        class: faint ? "chart-aux" : undefined,
        points: { show: !faint && (latest.current.lines[i]?.x.length ?? 0) < 60 },
        value: (_u: uPlot, v: number | null) => fy(v),
      });
      if (band) {
        const hi = series.length;
        for (const edge of ["max", "min"]) {
          series.push({ label: `${label} ${edge}`, stroke: "transparent", width: 0, class: "chart-aux", points: { show: false }, spanGaps: true });
        }
        bands.push({ series: [hi, hi + 1], fill: withAlpha(stroke, 0.12) });
      }
    });
    const options: Options = {
      title,
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: xKind === "time" }, y: logY ? { distr: 3 } : {} },
      axes: [
        {
          label: xLabel,
          stroke: "#6b7385",
          grid: { stroke: "#eef0f3" },
          ...(formatX ? { values: (_u: uPlot, vals: number[]) => vals.map((v) => formatX(v)) } : {}),
        },
        { label: yLabel, stroke: "#6b7385", grid: { stroke: "#eef0f3" }, values: (_u, vals) => vals.map((v) => fy(v)) },
      ],
      series,
      bands,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    plot.current?.destroy();
    shown.current = latest.current.data;
    plot.current = new uPlot(options, latest.current.data, el);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    el.dataset.ready = "true";
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
      shown.current = null;
      delete el.dataset.ready;
    };
  }, [shape, xKind, xLabel, yLabel, logY, height, title, formatY, formatX]);

  useEffect(() => {
    const u = plot.current;
    if (!u || shown.current === data) return;
    const before = shown.current?.[0] ?? [];
    const { min, max } = u.scales.x;
    const zoomed =
      before.length > 1 && min !== undefined && max !== undefined && (min > (before[0] as number) || max < (before[before.length - 1] as number));
    shown.current = data;
    if (zoomed) {
      u.setData(data, false);
      u.setScale("x", { min: min as number, max: max as number });
    } else {
      u.setData(data);
    }
  }, [data]);

  return <div className="line-chart" ref={box} data-testid="chart" data-title={title} data-points={points} data-lines={main.length} />;
}
