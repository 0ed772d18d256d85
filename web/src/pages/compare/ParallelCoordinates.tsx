// Parallel coordinates drawn in SVG: an axis per parameter, the metric as the last axis,
// a line per experiment coloured by its metric value (viridis), named on hover.
//
// Not plotly's parcoords: that trace draws through WebGL with shaders regl compiles at
// run time (new Function), which the hub's Content-Security-Policy (script-src 'self',
// no 'unsafe-eval') refuses, so it only ever showed "WebGL is not supported". SVG needs
// neither, and its text and axes take the theme's variables straight from the CSS.
import { useRef, useState } from "react";
import { useWidth } from "../../charts/useElementSize";
import { formatNumber } from "../../lib/format";
import { niceTicks, type Axis } from "./compare";
import { scaleColor } from "./palette";

export interface ParallelLine {
  label: string;
  /** the metric's value: the last axis and the colour */
  value: number;
}

const HEIGHT = 340;
const PAD = { top: 44, bottom: 24, left: 56, right: 64 };

/** Position (0 at the bottom, 1 at the top) of every value of an axis, and its ticks. */
function scale(axis: Axis): { at: number[]; ticks: { at: number; text: string }[] } {
  if (axis.kind === "category") {
    const n = axis.categories.length;
    const pos = (i: number) => (n === 1 ? 0.5 : i / (n - 1));
    const index = new Map(axis.categories.map((c, i) => [c, i]));
    return {
      at: axis.values.map((v) => pos(index.get(v) ?? 0)),
      ticks: axis.categories.map((c, i) => ({ at: pos(i), text: c })),
    };
  }
  const lo = Math.min(...axis.values);
  const hi = Math.max(...axis.values);
  const pos = (v: number) => (hi === lo ? 0.5 : (v - lo) / (hi - lo));
  return {
    at: axis.values.map(pos),
    ticks: niceTicks(lo, hi).map((t) => ({ at: pos(t), text: formatNumber(t) })),
  };
}

export function ParallelCoordinates({ axes, lines, label }: { axes: Axis[]; lines: ParallelLine[]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const width = Math.max(320, useWidth(box));
  const [hover, setHover] = useState<number | null>(null);
  const values = lines.map((l) => l.value);
  const metric: Axis = { kind: "number", label, values };
  const all = [...axes, metric];
  const scales = all.map(scale);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const color = (v: number) => scaleColor(hi === lo ? 0.5 : (v - lo) / (hi - lo));
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (all.length === 1 ? 0 : (i * (width - PAD.left - PAD.right)) / (all.length - 1));
  const y = (at: number) => PAD.top + (1 - at) * innerH;
  return (
    <div ref={box} className="parallel-box">
      <svg className="parcoords" width={width} height={HEIGHT} role="img" aria-label={`Parallel coordinates of the parameters against ${label}`} data-testid="parallel-coordinates">
        <g className="parcoords-lines">
          {lines.map((l, k) => (
            <polyline
              key={k}
              className={`parcoords-line${hover === k ? " hovered" : ""}`}
              data-run={l.label}
              points={scales.map((s, i) => `${x(i)},${y(s.at[k])}`).join(" ")}
              stroke={color(l.value)}
              onMouseEnter={() => setHover(k)}
              onMouseLeave={() => setHover(null)}
            >
              <title>
                {l.label}: {label} = {formatNumber(l.value)}
              </title>
            </polyline>
          ))}
        </g>
        {all.map((axis, i) => (
          <g key={i} className="parcoords-axis" transform={`translate(${x(i)},0)`}>
            <line y1={PAD.top} y2={PAD.top + innerH} />
            <text className="axis-title" y={PAD.top - 22} textAnchor="middle">
              {axis.label}
            </text>
            {scales[i].ticks.map((t) => (
              <g key={t.text} transform={`translate(0,${y(t.at)})`}>
                <line x2={-4} />
                <text className="tick" x={-7} dy="0.32em" textAnchor="end">
                  {t.text}
                </text>
              </g>
            ))}
          </g>
        ))}
      </svg>
      {hover !== null && (
        <div className="parcoords-hover small" role="status">
          <strong>{lines[hover].label}</strong>: {label} = {formatNumber(lines[hover].value)}
        </div>
      )}
    </div>
  );
}
