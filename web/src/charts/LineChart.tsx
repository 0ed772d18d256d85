// A line chart on uPlot (canvas: fluid with hundreds of thousands of points). Lines
// with different x values are aligned with uPlot.join; the compact legend shows the
// values under the cursor (never those of a point outside the view) and hides or shows
// a line when clicked. Every chart of the app draws through this component.
//
// New data for the same lines (a live refresh) is drawn in place: a zoomed-in chart
// keeps its zoom, one showing everything follows the new points. A parent that loads
// finer data for a zoom gets the dragged range through ``onZoom`` and hands the finer
// lines back with ``view`` (the range they cover); a double-click zooms out again.
//
// For tests and benchmarks the chart element carries ``data-ready`` once drawn,
// ``data-points`` (points of the first line inside the view), ``data-range="X0,X1"``
// once the finer lines of ``view`` are drawn, and two functions: ``corralZoom(x0, x1)``
// (what a drag over that range does) and ``corralDrawn()`` (the first line's points
// inside the view).
import { useEffect, useMemo, useRef } from "react";
import uPlot, { type AlignedData, type Band, type Options, type Series } from "uplot";
import { cssVar, useThemeVersion } from "./theme";
import { formatLogTicks, formatTicks, formatValue, INTEGER_INCRS } from "./ticks";
import { toCsv } from "./download";
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
  /** lines of one group are hidden and shown together from the legend (a smoothed line
   * and its raw values); by default a line is its own group */
  group?: string;
}

/** What a parent can ask of a drawn chart: its picture and its data. */
export interface ChartHandle {
  png: () => Promise<Blob>;
  /** the lines shown, inside the view: x, then a column per line */
  csv: () => string;
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
  /** y values formatted in the legend and axis (default: ticks formatted together, see ticks.ts) */
  formatY?: (v: number) => string;
  /** a unit after the default y labels ("%") */
  ySuffix?: string;
  /** x values formatted in the legend and axis (default: numbers, or dates for "time") */
  formatX?: (v: number) => string;
  /** x values are whole numbers (iterations): integer ticks (default for "number" without formatX) */
  integerX?: boolean;
  /** y values are counts: integer ticks only */
  integerY?: boolean;
  /** draw steps (a value holds until the next point) rather than slopes */
  stepped?: boolean;
  /** the x range the lines were loaded for (finer data of a zoom); shown as the view */
  view?: [number, number] | null;
  /** a drag selected [x0, x1]; null: a double-click zoomed out */
  onZoom?: (range: [number, number] | null) => void;
  /** called with the chart's downloads once it is drawn (null when it goes) */
  onHandle?: (handle: ChartHandle | null) => void;
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

/** First index of sorted ``xs`` with a value >= ``v``. */
function lowerBound(xs: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The x range a view of [x0, x1] is drawn over: a single iteration still gets some room. */
function padded([x0, x1]: [number, number], integer: boolean): [number, number] {
  if (integer) return [x0 - 0.5, x1 + 0.5];
  return x1 > x0 ? [x0, x1] : [x0 - 0.5, x1 + 0.5];
}

const AXIS_FONT = "12px system-ui, -apple-system, sans-serif";

/** An axis as wide (or tall) as its widest label needs, so that no tick is clipped. */
function axisSize(self: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = self.axes[axisIdx];
  if (cycleNum > 1) return (axis as unknown as { _size: number })._size;
  const ticks = (axis.ticks as { size?: number } | undefined)?.size ?? 10;
  let size = ticks + (axis.gap ?? 5) + 2;
  if (axis.side === 2 || axis.side === 0) return size + 14;
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), "");
  if (longest) {
    self.ctx.font = AXIS_FONT;
    size += self.ctx.measureText(longest).width / (window.devicePixelRatio || 1);
  }
  return Math.ceil(size);
}

export function LineChart({
  lines,
  xKind = "number",
  xLabel,
  yLabel,
  logY,
  height = 260,
  title,
  formatY,
  ySuffix = "",
  formatX,
  integerX,
  integerY,
  stepped,
  view,
  onZoom,
  onHandle,
}: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shown = useRef<AlignedData | null>(null);
  const theme = useThemeVersion();
  const intX = integerX ?? (xKind === "number" && !formatX);
  const data = useMemo(() => (logY ? positiveOnly(align(lines)) : align(lines)), [lines, logY]);
  // what a new chart starts from; new data for the same chart goes in by the effect below
  const latest = useRef({ data, lines, view, onZoom, onHandle });
  useEffect(() => {
    latest.current = { data, lines, view, onZoom, onHandle };
  });
  // labels hidden from the legend, kept when the chart is rebuilt
  const hidden = useRef(new Set<string>());
  // what needs a new chart (rather than new data in the same one)
  const shape = JSON.stringify(lines.map((l) => [l.label, l.color, !!l.faint, !!l.band, l.group ?? l.label]));

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fy = (v: number | null) => (v === null || v === undefined ? "—" : formatY ? formatY(v) : formatValue(v) + ySuffix);
    const parsed = JSON.parse(shape) as [string, string | undefined, boolean, boolean, string][];
    /** the x of data index ``idx`` when it is inside the view */
    const inView = (u: uPlot, idx: number | null | undefined): boolean => {
      if (idx === null || idx === undefined) return false;
      const x = u.data[0][idx];
      const { min, max } = u.scales.x;
      return x !== undefined && (min === undefined || x >= min) && (max === undefined || x <= max);
    };
    const series: Series[] = [
      {
        label: xLabel ?? (xKind === "time" ? "time" : "iteration"),
        value: (u: uPlot, v: number | null, _s: number, idx: number | null) => {
          if (v === null || !inView(u, idx)) return "—";
          if (formatX) return formatX(v);
          if (xKind === "time") return new Date(v * 1000).toLocaleString();
          return intX ? String(v) : formatValue(v);
        },
      },
    ];
    const bands: Band[] = [];
    // uPlot series indices of each legend group
    const groups = new Map<string, number[]>();
    const join = (group: string, idx: number) => groups.set(group, [...(groups.get(group) ?? []), idx]);
    const stepPaths = stepped ? uPlot.paths.stepped!({ align: 1 }) : undefined;
    parsed.forEach(([label, color, faint, band, group], i) => {
      const stroke = color ?? colorOf(i);
      const show = !hidden.current.has(group);
      series.push({
        label,
        stroke: faint ? withAlpha(stroke, 0.3) : stroke,
        width: faint ? 1 : 1.5,
        spanGaps: !stepped,
        show,
        class: faint ? "chart-aux" : undefined,
        paths: stepPaths,
        points: { show: (_u: uPlot, _s: number, i0: number, i1: number) => !faint && i1 - i0 < 60 },
        value: (u: uPlot, v: number | null, _s: number, idx: number | null) => (inView(u, idx) ? fy(v) : "—"),
      });
      join(group, series.length - 1);
      if (band) {
        const hi = series.length;
        for (const edge of ["max", "min"]) {
          series.push({ label: `${label} ${edge}`, stroke: "transparent", width: 0, show, class: "chart-aux", points: { show: false }, spanGaps: true });
          join(group, series.length - 1);
        }
        bands.push({ series: [hi, hi + 1], fill: withAlpha(stroke, 0.12) });
      }
    });
    /** data-points: the points of the first line inside the view */
    const mark = (u: uPlot) => {
      const line = latest.current.lines.find((l) => !l.faint);
      const { min, max } = u.scales.x;
      let n = 0;
      if (line) for (const x of line.x) if ((min === undefined || x >= min) && (max === undefined || x <= max)) n++;
      el.dataset.points = String(n);
    };
    /** the lines shown (not band edges, not hidden), with their uPlot columns */
    const shownColumns = (u: uPlot) =>
      u.series.map((s, i) => ({ s, i })).filter(({ s, i }) => i > 0 && s.show !== false && !bands.some((b) => b.series.includes(i)));
    const groupOf = new Map<number, string>();
    groups.forEach((members, g) => members.forEach((m) => groupOf.set(m, g)));
    // read at each draw; noted on the element (data-axis-color) for tests
    const muted = () => (el.dataset.axisColor = cssVar("--muted", "#6b7385"));
    const grid = { stroke: () => cssVar("--line", "#e2e5ea"), width: 1 };
    // the tick labels drawn are noted on the element (data-xticks, data-yticks) for tests
    const noted = (axis: "xticks" | "yticks", labels: string[]) => {
      el.dataset[axis] = labels.filter(Boolean).join("|");
      return labels;
    };
    const yValues = (_u: uPlot, vals: number[]) =>
      noted(
        "yticks",
        formatY
          ? vals.map((v) => (Number.isFinite(v) ? formatY(v) : ""))
          : (logY ? formatLogTicks(vals) : formatTicks(vals, integerY)).map((t) => (t ? t + ySuffix : t)),
      );
    const xValues = formatX
      ? { values: (_u: uPlot, vals: number[]) => noted("xticks", vals.map((v) => (Number.isFinite(v) ? formatX(v) : ""))) }
      : xKind === "number"
        ? { values: (_u: uPlot, vals: number[]) => noted("xticks", formatTicks(vals, intX)) }
        : {};
    const countRange = (_u: uPlot, min: number, max: number): [number, number] => {
      const top = Number.isFinite(max) ? max : 1;
      return [Math.min(0, Number.isFinite(min) ? Math.floor(min) : 0), Math.max(1, top + Math.max(0.5, top * 0.05))];
    };
    const options: Options = {
      title,
      width: Math.max(200, el.clientWidth),
      height,
      scales: {
        x: { time: xKind === "time" },
        y: logY ? { distr: 3 } : integerY ? { range: countRange } : {},
      },
      axes: [
        {
          label: xLabel,
          stroke: muted,
          grid,
          ticks: grid,
          font: AXIS_FONT,
          labelFont: AXIS_FONT,
          size: axisSize,
          ...(intX ? { incrs: INTEGER_INCRS } : {}),
          ...xValues,
        },
        {
          label: yLabel,
          stroke: muted,
          grid,
          ticks: grid,
          font: AXIS_FONT,
          labelFont: AXIS_FONT,
          size: axisSize,
          values: yValues,
          ...(integerY ? { incrs: INTEGER_INCRS } : {}),
        },
      ],
      series,
      bands,
      legend: { live: true },
      cursor: {
        drag: { x: true, y: false },
        // the closest point inside the view: a zoomed view between two downsampled
        // buckets must not report a point outside it
        dataIdx: (u, _s, closest) => {
          if (inView(u, closest)) return closest;
          const xs = u.data[0];
          const { min, max } = u.scales.x;
          if (min === undefined || max === undefined) return closest;
          const first = lowerBound(xs, min);
          const last = lowerBound(xs, max + 1e-9 * Math.max(1, Math.abs(max))) - 1;
          if (first > last) return null;
          return xs[closest] < min ? first : last;
        },
        bind: {
          dblclick: (_u, _t, handler) => (e) => {
            handler(e);
            latest.current.onZoom?.(null);
            return null;
          },
        },
      },
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 2) return;
            delete el.dataset.range;
            const x0 = u.posToVal(u.select.left, "x");
            const x1 = u.posToVal(u.select.left + u.select.width, "x");
            latest.current.onZoom?.([x0, x1]);
          },
        ],
        setScale: [(u, key) => key === "x" && mark(u)],
        setSeries: [
          (u, idx, opts) => {
            if (idx === null || opts.show === undefined) return;
            const group = groupOf.get(idx);
            if (group === undefined) return;
            if (opts.show) hidden.current.delete(group);
            else hidden.current.add(group);
            for (const other of groups.get(group) ?? []) {
              if (other !== idx && u.series[other].show !== opts.show) u.setSeries(other, { show: opts.show });
            }
            mark(u);
          },
        ],
      },
    };
    const viewOf = (v: [number, number]) => padded(v, intX);
    plot.current?.destroy();
    shown.current = latest.current.data;
    const u = new uPlot(options, latest.current.data, el);
    plot.current = u;
    const initial = latest.current.view;
    if (initial) {
      const [min, max] = viewOf(initial);
      u.setScale("x", { min, max });
      el.dataset.range = `${initial[0]},${initial[1]}`;
    } else {
      delete el.dataset.range;
    }
    mark(u);
    {
      latest.current.onHandle?.({
        png: () => {
          // the canvas, on the panel's colour, under the title (a DOM element, not drawn on it)
          const src = u.ctx.canvas;
          const ratio = window.devicePixelRatio || 1;
          const top = title ? Math.round(24 * ratio) : 0;
          const out = document.createElement("canvas");
          out.width = src.width;
          out.height = src.height + top;
          const ctx = out.getContext("2d")!;
          ctx.fillStyle = cssVar("--panel", "#ffffff");
          ctx.fillRect(0, 0, out.width, out.height);
          if (title) {
            ctx.fillStyle = cssVar("--text", "#1d2330");
            ctx.font = `600 ${Math.round(13 * ratio)}px system-ui, sans-serif`;
            ctx.textAlign = "center";
            ctx.fillText(title, out.width / 2, Math.round(17 * ratio));
          }
          ctx.drawImage(src, 0, top);
          return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error("no picture"))), "image/png"));
        },
        csv: () => {
          const cols = shownColumns(u);
          const { min, max } = u.scales.x;
          return toCsv(
            [String(u.series[0].label ?? "x"), ...cols.map(({ s }) => String(s.label))],
            u.data[0],
            cols.map(({ i }) => u.data[i] as (number | null)[]),
            min ?? -Infinity,
            max ?? Infinity,
          );
        },
      });
    }
    const zoomTo = (x0: number, x1: number) => {
      delete el.dataset.range;
      u.setScale("x", { min: Math.min(x0, x1), max: Math.max(x0, x1) });
      latest.current.onZoom?.([Math.min(x0, x1), Math.max(x0, x1)]);
    };
    const drawn = () => {
      const line = latest.current.lines.find((l) => !l.faint);
      const { min, max } = u.scales.x;
      const keep = (x: number) => (min === undefined || x >= min) && (max === undefined || x <= max);
      if (!line) return { x: [], y: [] };
      const idx = line.x.map((x, i) => [x, i] as const).filter(([x]) => keep(x));
      return { x: idx.map(([x]) => x), y: idx.map(([, i]) => line.y[i]) };
    };
    Object.assign(el, { corralZoom: zoomTo, corralDrawn: drawn, corralPlot: u });
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    el.dataset.ready = "true";
    // new data for this chart (the effect below) marks the element too
    (el as unknown as { corralMark: () => void }).corralMark = () => mark(u);
    (el as unknown as { corralView: (v: [number, number]) => [number, number] }).corralView = viewOf;
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
      shown.current = null;
      latest.current.onHandle?.(null);
      delete el.dataset.ready;
    };
    // theme: a new chart reads the colours of the new theme
  }, [shape, xKind, xLabel, yLabel, logY, height, title, formatY, ySuffix, formatX, intX, integerY, stepped, theme]);

  const viewKey = view ? `${view[0]},${view[1]}` : "";
  const shownView = useRef(viewKey);
  useEffect(() => {
    const u = plot.current;
    const el = box.current as (HTMLDivElement & { corralMark?: () => void; corralView?: (v: [number, number]) => [number, number] }) | null;
    if (!u || !el) return;
    const viewChanged = shownView.current !== viewKey;
    shownView.current = viewKey;
    if (shown.current === data && !viewChanged) return;
    shown.current = data;
    if (view) {
      // finer lines for a zoom: drawn over exactly their range
      u.setData(data, false);
      const [min, max] = el.corralView!(view);
      u.setScale("x", { min, max });
      el.dataset.range = viewKey;
    } else if (viewChanged) {
      // zoomed out: everything again
      delete el.dataset.range;
      u.setData(data);
    } else {
      const before = u.data[0] ?? [];
      const { min, max } = u.scales.x;
      const zoomed =
        before.length > 1 && min !== undefined && max !== undefined && (min > (before[0] as number) || max < (before[before.length - 1] as number));
      if (zoomed) {
        u.setData(data, false);
        u.setScale("x", { min: min as number, max: max as number });
      } else {
        u.setData(data);
      }
    }
    el.corralMark?.();
  }, [data, view, viewKey]);

  return (
    <div
      className="line-chart"
      ref={box}
      data-testid="chart"
      data-title={title}
      data-lines={lines.filter((l) => !l.faint).length}
      data-paths={stepped ? "stepped" : "linear"}
    />
  );
}
