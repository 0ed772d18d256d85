// A plotly figure ({data, layout}) as reported by a script. plotly is big: it is loaded
// on first use, as a chunk of its own, so that pages without plots do not pay for it.
import { useEffect, useRef, useState } from "react";
import type { Figure } from "../api/types";
import "./charts.css";

type Plotly = typeof import("plotly.js-dist-min").default;
let loading: Promise<Plotly> | null = null;

export function loadPlotly(): Promise<Plotly> {
  loading ??= import("plotly.js-dist-min").then((m) => m.default);
  return loading;
}


export function PlotlyFigure({ figure, label }: { figure: Figure; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let gone = false;
    let plotly: Plotly | null = null;
    const observer = new ResizeObserver(() => plotly && el.isConnected && plotly.Plots.resize(el));
    loadPlotly()
      .then((p) => {
        if (gone) return;
        plotly = p;
        const layout = { autosize: true, height: 400, margin: { t: 40, r: 20, b: 40, l: 50 }, ...(figure.layout ?? {}) };
        return p.react(el, Array.isArray(figure.data) ? figure.data : [], layout, { responsive: true, displaylogo: false });
      })
      .then(() => observer.observe(el))
      .catch((e: Error) => !gone && setError(e.message || "the figure could not be drawn"));
    return () => {
      gone = true;
      observer.disconnect();
      plotly?.purge(el);
    };
  }, [figure]);

  return (
    <>
      {error && <div className="error-box" role="alert">Could not draw {label}: {error}</div>}
      <div className="plotly-figure" ref={box} role="img" aria-label={label} data-testid="plot" />
    </>
  );
}
