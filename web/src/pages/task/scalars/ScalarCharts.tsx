// The scalars view: a "Summary" table of single values, a grid of scalar charts (one
// per ChartSpec, each drawn when it nears the screen, expandable to the full width,
// downloadable as PNG and CSV) and the ``:monitor:`` charts in a collapsible section at
// the end. Shared by the Scalars tab, the compare page and a model's page.
//
// With ``fetchRange`` a drag-zoom (x axis by iteration) loads the dragged range again at
// full resolution (the hub downsamples only the points inside it) and draws the finer
// points; the overview stays for a double-click to zoom out.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { get } from "../../../api/client";
import type { ScalarSeries, ScalarsOut } from "../../../api/types";
import { LineChart, type ChartHandle } from "../../../charts/LineChart";
import { fileName, saveBlob } from "../../../charts/download";
import { formatValue } from "../../../charts/ticks";
import { useSeen } from "../../../charts/useElementSize";
import { Empty, ErrorBox, Loading } from "../../../components/feedback";
import { curveLines, filterCharts, formatSeconds, pointsForWidth, sections, type ChartSpec, type Curve, type SingleValue } from "./series";
import { ScalarControls, type ScalarSettings } from "./ScalarControls";

const HEIGHT = 260;
const EXPANDED_HEIGHT = 480;

const X_LABELS = { iteration: "iteration", relative: "time since start", wall: "time" } as const;

/** Loads the series of ``curves`` between two iterations (inclusive), about ``maxPoints`` each. */
export type FetchRange = (curves: readonly Curve[], range: [number, number], maxPoints: number, signal: AbortSignal) => Promise<ScalarSeries[]>;

/** ``fetchRange`` for tasks' series: one request per chart (the compare read for several tasks). */
export const fetchTaskRange: FetchRange = async (curves, [first, last], maxPoints, signal) => {
  const tasks = [...new Set(curves.map((c) => c.series.task_id))];
  const metrics = new Set(curves.map((c) => c.series.metric));
  const variants = new Set(curves.map((c) => c.series.variant));
  const query = {
    metric: metrics.size === 1 ? [...metrics][0] : undefined,
    variant: variants.size === 1 ? [...variants][0] : undefined,
    first_iteration: first,
    last_iteration: last,
    max_points: maxPoints,
  };
  const out =
    tasks.length === 1
      ? await get<ScalarsOut>(`/tasks/${tasks[0]}/scalars`, query, signal)
      : await get<ScalarsOut>("/scalars", { ...query, task_id: tasks }, signal);
  return out.series;
};

const seriesKey = (s: ScalarSeries) => JSON.stringify([s.task_id, s.metric, s.variant]);

interface Zoom {
  xMode: string;
  range: [number, number];
  /** the curves at full resolution of the range, once loaded */
  curves: Curve[] | null;
  error?: unknown;
}

function Chart({ spec, settings, fetchRange }: { spec: ChartSpec; settings: ScalarSettings; fetchRange?: FetchRange }) {
  const [expanded, setExpanded] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const handle = useRef<ChartHandle | null>(null);
  const seen = useSeen(box);
  const { smoothing, xMode, logY } = settings;
  const [zoomed, setZoom] = useState<Zoom | null>(null);
  const pending = useRef<AbortController | null>(null);
  const refetch = fetchRange && xMode === "iteration" ? fetchRange : undefined;
  // the finer data of a zoom belongs to the x axis it was loaded for
  const zoom = zoomed && zoomed.xMode === xMode ? zoomed : null;
  useEffect(() => () => pending.current?.abort(), []);
  const curvesRef = useRef(spec.curves);
  useEffect(() => {
    curvesRef.current = spec.curves;
  });
  const onHandle = useCallback((h: ChartHandle | null) => {
    handle.current = h;
  }, []);
  const onZoom = useCallback(
    (range: [number, number] | null) => {
      pending.current?.abort();
      if (!range || !refetch) {
        setZoom(null);
        return;
      }
      const first = Math.ceil(range[0]);
      const last = Math.floor(range[1]);
      if (first > last) return; // between two iterations: nothing finer to load
      const controller = new AbortController();
      pending.current = controller;
      const curves = curvesRef.current;
      setZoom({ xMode, range: [first, last], curves: null });
      refetch(curves, [first, last], pointsForWidth(box.current?.clientWidth ?? 1000), controller.signal).then(
        (found) => {
          if (controller.signal.aborted) return;
          const byKey = new Map(found.map((s) => [seriesKey(s), s]));
          const fine = curves.map((c) => ({
            ...c,
            series: byKey.get(seriesKey(c.series)) ?? { ...c.series, iterations: [], values: [], times: [], min: null, max: null, total_points: 0, downsampled: false },
          }));
          setZoom({ xMode, range: [first, last], curves: fine });
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setZoom({ xMode, range: [first, last], curves: null, error });
        },
      );
    },
    [refetch, xMode],
  );
  const fine = zoom?.curves ?? null;
  const lines = useMemo(() => curveLines(fine ?? spec.curves, { smoothing, xMode }), [fine, spec.curves, smoothing, xMode]);
  const height = expanded ? EXPANDED_HEIGHT : HEIGHT;
  const counted = fine ?? spec.curves;
  const total = counted.reduce((n, c) => n + c.series.total_points, 0);
  const shown = counted.reduce((n, c) => n + c.series.iterations.length, 0);
  const name = spec.title;
  return (
    <div ref={box} className={`card scalar-chart${expanded ? " expanded" : ""}`} data-testid="scalar-chart" data-metric={spec.title}>
      <div className="scalar-chart-head">
        <h4 className="scalar-chart-title" title={name}>
          {name}
        </h4>
        {zoom && !fine && !zoom.error && <span className="muted small">loading…</span>}
        {zoom?.error ? (
          <span className="small scalar-error" title={String(zoom.error)}>
            finer points did not load
          </span>
        ) : null}
        {total > shown && (
          <span className="muted small" title="The hub sent one point per bucket of points, with each bucket's min and max">
            {shown.toLocaleString()} of {total.toLocaleString()} points
          </span>
        )}
        <button
          className="small"
          aria-label={`Download ${name} as PNG`}
          title="Download the chart as a PNG picture"
          onClick={() => void handle.current?.png().then((b) => saveBlob(b, fileName(name, "png")))}
        >
          PNG
        </button>
        <button
          className="small"
          aria-label={`Download ${name} as CSV`}
          title="Download the points drawn (of the view, when zoomed) as CSV"
          onClick={() => handle.current && saveBlob(new Blob([handle.current.csv()], { type: "text/csv" }), fileName(name, "csv"))}
        >
          CSV
        </button>
        <button className="small" aria-pressed={expanded} aria-label={`${expanded ? "Shrink" : "Expand"} ${name}`} onClick={() => setExpanded(!expanded)}>
          {expanded ? "Shrink" : "Expand"}
        </button>
      </div>
      {seen ? (
        <LineChart
          title={spec.title}
          lines={lines}
          xKind={xMode === "wall" ? "time" : "number"}
          xLabel={X_LABELS[xMode]}
          formatX={xMode === "relative" ? formatSeconds : undefined}
          logY={logY}
          height={height}
          view={fine ? zoom!.range : null}
          onZoom={onZoom}
          onHandle={onHandle}
        />
      ) : (
        <div style={{ height: height + 60 }} data-testid="chart-placeholder" data-title={spec.title} />
      )}
    </div>
  );
}

export function ScalarCharts({ charts, settings, fetchRange }: { charts: ChartSpec[]; settings: ScalarSettings; fetchRange?: FetchRange }) {
  return (
    <div className="scalar-grid">
      {charts.map((c) => (
        <Chart key={c.key} spec={c} settings={settings} fetchRange={fetchRange} />
      ))}
    </div>
  );
}

/** Single values (a series of one point) as a table rather than one-dot charts. */
function SummaryTable({ rows }: { rows: SingleValue[] }) {
  return (
    <section className="card scalar-summary" aria-label="Summary">
      <h3>Summary</h3>
      <table className="grid scalar-summary-table" data-testid="scalar-summary">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Series</th>
            <th className="num">Value</th>
            <th className="num">Iteration</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-metric={r.metric} data-series={r.label}>
              <td>{r.metric}</td>
              <td>{r.label}</td>
              <td className="num mono" title={r.value === null ? "" : String(r.value)}>
                {formatValue(r.value)}
              </td>
              <td className="num mono">{r.iteration}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const MONITOR_OPEN_KEY = "corral.scalars.monitorOpen";

/** The ``:monitor:`` charts, in a section that folds (remembered in the browser). */
function MonitorSection({ charts, settings, fetchRange }: { charts: ChartSpec[]; settings: ScalarSettings; fetchRange?: FetchRange }) {
  const [open, setOpen] = useState(() => {
    try {
      return localStorage.getItem(MONITOR_OPEN_KEY) !== "false";
    } catch {
      return true;
    }
  });
  return (
    <details
      className="scalar-monitor"
      data-testid="monitor-section"
      open={open}
      onToggle={(e) => {
        const now = (e.currentTarget as HTMLDetailsElement).open;
        setOpen(now);
        try {
          localStorage.setItem(MONITOR_OPEN_KEY, String(now));
        } catch {
          // private mode: it stays as it is for this page
        }
      }}
    >
      <summary>
        Machine monitoring <span className="muted small">({charts.length} charts)</span>
      </summary>
      {open && <ScalarCharts charts={charts} settings={settings} fetchRange={fetchRange} />}
    </details>
  );
}

/**
 * A scalars view below its query: loading, the load error, ``empty`` when nothing was
 * reported, or the controls over the sections that pass the filter (a failed refresh
 * keeps the charts and says so above them).
 */
export function ScalarsBody({
  query,
  charts,
  settings,
  onChange,
  empty,
  fetchRange,
}: {
  query: { isPending: boolean; error: unknown; data?: unknown };
  charts: ChartSpec[];
  settings: ScalarSettings;
  onChange: (change: Partial<ScalarSettings>) => void;
  empty: React.ReactNode;
  /** loads a zoomed range at full resolution; without it a zoom only magnifies */
  fetchRange?: FetchRange;
}) {
  const shown = useMemo(() => sections(filterCharts(charts, settings.filter), settings.perSeries), [charts, settings.filter, settings.perSeries]);
  if (query.isPending) return <Loading what="the scalars" />;
  if (!query.data) return <ErrorBox error={query.error} title="Could not load the scalars" />;
  if (charts.length === 0) return <>{empty}</>;
  const nothing = shown.summary.length + shown.charts.length + shown.monitor.length === 0;
  return (
    <>
      {query.error ? <ErrorBox error={query.error} title="Could not refresh the scalars" /> : null}
      <ScalarControls settings={settings} onChange={onChange} />
      {nothing ? (
        <Empty title={`No metric matches "${settings.filter}"`}>Clear the filter to see all {charts.length} charts.</Empty>
      ) : (
        <>
          {shown.summary.length > 0 && <SummaryTable rows={shown.summary} />}
          {shown.charts.length > 0 && <ScalarCharts charts={shown.charts} settings={settings} fetchRange={fetchRange} />}
          {shown.monitor.length > 0 && <MonitorSection charts={shown.monitor} settings={settings} fetchRange={fetchRange} />}
        </>
      )}
    </>
  );
}
