// A line chart on uPlot (canvas: fluid with hundreds of thousands of points). Lines
// with different x values are aligned with uPlot.join; the legend shows the values
// under the cursor. Every chart of the app draws through this component.
import { useEffect, useRef } from "react";
import uPlot, { type AlignedData, type Options } from "uplot";

export interface Line {
  label: string;
  x: number[];
  y: (number | null)[];
  color?: string;
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
}

export const PALETTE = ["#2f6fed", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#1098ad", "#f08c00", "#5c940d", "#862e9c", "#495057"];

export function colorOf(i: number): string {
  return PALETTE[i % PALETTE.length];
}

/** The lines on one shared x axis, as uPlot wants them. */
export function align(lines: Line[]): AlignedData {
  if (lines.length === 0) return [[]];
  const tables = lines.map((l) => [l.x, l.y] as unknown as AlignedData);
  return lines.length === 1 ? tables[0] : uPlot.join(tables);
}

export function LineChart({ lines, xKind = "number", xLabel, yLabel, logY, height = 260, title, formatY }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const points = lines.reduce((n, l) => n + l.x.length, 0);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmt = (v: number | null) => (v === null || v === undefined ? "—" : formatY ? formatY(v) : String(Number(v.toPrecision(6))));
    const options: Options = {
      title,
      width: Math.max(200, el.clientWidth),
      height,
      scales: { x: { time: xKind === "time" }, y: logY ? { distr: 3 } : {} },
      axes: [
        { label: xLabel, stroke: "#6b7385", grid: { stroke: "#eef0f3" } },
        { label: yLabel, stroke: "#6b7385", grid: { stroke: "#eef0f3" }, values: (_u, vals) => vals.map((v) => fmt(v)) },
      ],
      series: [
        { label: xLabel ?? (xKind === "time" ? "time" : "iteration") },
        ...lines.map((l, i) => ({
          label: l.label,
          stroke: l.color ?? colorOf(i),
          width: 1.5,
          spanGaps: true,
          points: { show: l.x.length < 60 },
          value: (_u: uPlot, v: number | null) => fmt(v),
        })),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    const data = align(lines);
    if (logY) {
      // a log scale cannot show zero or negative values: leave them out
      for (let s = 1; s < data.length; s++) {
        (data[s] as (number | null)[]) = (data[s] as (number | null)[]).map((v) => (v !== null && v > 0 ? v : null));
      }
    }
    plot.current?.destroy();
    plot.current = new uPlot(options, data, el);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    el.dataset.ready = "true";
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
      delete el.dataset.ready;
    };
  }, [lines, xKind, xLabel, yLabel, logY, height, title, formatY]);

  return <div className="line-chart" ref={box} data-testid="chart" data-title={title} data-points={points} />;
}
