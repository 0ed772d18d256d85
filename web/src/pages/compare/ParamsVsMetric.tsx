// Hyperparameters against a metric: parallel coordinates (an axis per chosen parameter,
// the metric's last value as the last axis and as the line colour) and a scatter of one
// parameter against the metric (plotly; a point per experiment in its colour, named on
// hover, drawn again in the theme's colours when the theme changes). Categorical
// parameters (strings, booleans, missing values) get categorical axes.
import { useMemo, useState } from "react";
import type { Figure } from "../../api/types";
import { PlotlyFigure } from "../../charts/PlotlyFigure";
import { Empty } from "../../components/feedback";
import { metricRows, paramAxis, paramRows } from "./compare";
import { ParallelCoordinates } from "./ParallelCoordinates";
import { themeColors, themedLayout, useThemeVersion } from "./theme";
import type { Compared } from "./useCompared";

export function ParamsVsMetric({ compared }: { compared: Compared[] }) {
  const params = useMemo(() => paramRows(compared.map((c) => c.task?.hyperparams)), [compared]);
  const metrics = useMemo(() => metricRows(compared.map((c) => c.task?.last_metrics)), [compared]);
  const names = useMemo(() => params.map((p) => `${p.section}/${p.name}`), [params]);
  const [chosen, setChosen] = useState<string[] | null>(null);
  // by default the parameters that differ (at most 8), or else the first ones
  const shownParams = useMemo(() => {
    if (chosen) return chosen;
    const differing = names.filter((_, i) => params[i].differs);
    return (differing.length ? differing : names).slice(0, 8);
  }, [chosen, names, params]);
  const firstScored = metrics.find((m) => m.direction) ?? metrics[0];
  const [metricKey, setMetricKey] = useState<string | null>(null);
  const metric = metrics.find((m) => `${m.metric}/${m.variant}` === metricKey) ?? firstScored;
  const [xParam, setXParam] = useState<string | null>(null);
  const x = xParam && names.includes(xParam) ? xParam : (shownParams[0] ?? names[0]);
  const theme = useThemeVersion();

  // the experiments that have the metric: the others cannot be placed
  const placed = useMemo(
    () => (metric ? compared.map((c, i) => ({ c, i, y: metric.values[i]?.last })).filter((r): r is { c: Compared; i: number; y: number } => typeof r.y === "number" && Number.isFinite(r.y)) : []),
    [compared, metric],
  );
  const metricLabel = metric ? `${metric.metric} / ${metric.variant}` : "";

  const parallel = useMemo(() => {
    if (!metric || placed.length < 2 || shownParams.length === 0) return null;
    const axes = shownParams.map((name) => paramAxis(name, placed.map((r) => params[names.indexOf(name)]?.values[r.i])));
    return { axes, lines: placed.map((r) => ({ label: r.c.label, value: r.y })) };
  }, [metric, placed, shownParams, params, names]);

  const scatter = useMemo((): Figure | null => {
    if (!metric || placed.length === 0 || !x) return null;
    void theme;
    const colors = themeColors();
    const axis = paramAxis(x, placed.map((r) => params[names.indexOf(x)]?.values[r.i]));
    const base = themedLayout(colors);
    return {
      data: placed.map((r, k) => ({
        type: "scatter",
        mode: "markers",
        name: r.c.label,
        x: [axis.values[k]],
        y: [r.y],
        marker: { color: r.c.color, size: 11, line: { width: 1, color: colors.panel || undefined } },
        hovertemplate: `<b>${r.c.label.replace(/</g, "&lt;")}</b><br>${x}: %{x}<br>${metricLabel}: %{y}<extra></extra>`,
      })),
      layout: {
        ...base,
        height: 340,
        margin: { t: 20, r: 20, b: 50, l: 60 },
        showlegend: false,
        xaxis: {
          ...(base.xaxis as object),
          title: { text: x },
          ...(axis.kind === "category" ? { type: "category", categoryorder: "array", categoryarray: axis.categories } : {}),
        },
        yaxis: { ...(base.yaxis as object), title: { text: metricLabel } },
      },
    };
  }, [metric, placed, x, params, names, metricLabel, theme]);

  if (names.length === 0 || metrics.length === 0) {
    return <Empty title="Nothing to chart">These experiments need hyperparameters and reported metrics for these charts.</Empty>;
  }
  const toggle = (name: string, on: boolean) => {
    const next = on ? [...shownParams, name] : shownParams.filter((n) => n !== name);
    setChosen(names.filter((n) => next.includes(n)));
  };
  const left = compared.length - placed.length;
  return (
    <div className="compare-analysis" data-testid="params-vs-metric">
      <div className="row compare-analysis-controls">
        <label>
          Metric
          <select aria-label="Metric" value={metric ? `${metric.metric}/${metric.variant}` : ""} onChange={(e) => setMetricKey(e.target.value)}>
            {metrics.map((m) => (
              <option key={`${m.metric}/${m.variant}`} value={`${m.metric}/${m.variant}`}>
                {m.metric} / {m.variant}
              </option>
            ))}
          </select>
        </label>
        <details className="compare-param-picker">
          <summary>
            Parameters ({shownParams.length} of {names.length})
          </summary>
          <div className="compare-param-list" role="group" aria-label="Parameters on the axes">
            {names.map((n) => (
              <label key={n} className="inline-check">
                <input type="checkbox" checked={shownParams.includes(n)} onChange={(e) => toggle(n, e.target.checked)} />
                <span className="mono">{n}</span>
              </label>
            ))}
          </div>
        </details>
        {left > 0 && (
          <span className="muted small">
            {left} experiment{left > 1 ? "s" : ""} without {metricLabel} left out
          </span>
        )}
      </div>
      <div className="compare-analysis-charts">
        <div className="card compare-parcoords" data-testid="parcoords">
          <h3>Parallel coordinates</h3>
          {parallel ? (
            <ParallelCoordinates axes={parallel.axes} lines={parallel.lines} label={metricLabel} />
          ) : (
            <p className="muted">Pick at least one parameter; two experiments need a value of {metricLabel}.</p>
          )}
        </div>
        <div className="card compare-scatter" data-testid="scatter">
          <div className="row">
            <h3>Parameter vs metric</h3>
            <span className="spacer" />
            <label>
              X parameter
              <select aria-label="X parameter" value={x} onChange={(e) => setXParam(e.target.value)}>
                {names.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {scatter ? (
            <PlotlyFigure figure={scatter} label={`${x} against ${metricLabel}`} />
          ) : (
            <p className="muted">No experiment has a value of {metricLabel}.</p>
          )}
        </div>
      </div>
    </div>
  );
}
