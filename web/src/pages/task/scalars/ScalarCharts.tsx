// A grid of scalar charts (one per ChartSpec), each drawn when it nears the screen and
// expandable to the full width. Shared by the Scalars tab and the compare page.
import { useMemo, useRef, useState } from "react";
import { LineChart } from "../../../charts/LineChart";
import { useSeen } from "../../../charts/useElementSize";
import { Empty, ErrorBox, Loading } from "../../../components/feedback";
import { curveLines, filterCharts, formatSeconds, type ChartSpec } from "./series";
import { ScalarControls, type ScalarSettings } from "./ScalarControls";

const HEIGHT = 260;
const EXPANDED_HEIGHT = 480;

const X_LABELS = { iteration: "iteration", relative: "time since start", wall: "time" } as const;

function Chart({ spec, settings }: { spec: ChartSpec; settings: ScalarSettings }) {
  const [expanded, setExpanded] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const seen = useSeen(box);
  const { smoothing, xMode, logY } = settings;
  const lines = useMemo(() => curveLines(spec.curves, { smoothing, xMode }), [spec.curves, smoothing, xMode]);
  const height = expanded ? EXPANDED_HEIGHT : HEIGHT;
  const total = spec.curves.reduce((n, c) => n + c.series.total_points, 0);
  const shown = spec.curves.reduce((n, c) => n + c.series.iterations.length, 0);
  return (
    <div ref={box} className={`card scalar-chart${expanded ? " expanded" : ""}`} data-testid="scalar-chart" data-metric={spec.title}>
      <div className="scalar-chart-head">
        {total > shown && (
          <span className="muted small" title="The hub sent one point per bucket of points, with each bucket's min and max">
            {shown.toLocaleString()} of {total.toLocaleString()} points
          </span>
        )}
        <button className="small" aria-pressed={expanded} aria-label={`${expanded ? "Shrink" : "Expand"} ${spec.title}`} onClick={() => setExpanded(!expanded)}>
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
        />
      ) : (
        <div style={{ height: height + 60 }} data-testid="chart-placeholder" data-title={spec.title} />
      )}
    </div>
  );
}

export function ScalarCharts({ charts, settings }: { charts: ChartSpec[]; settings: ScalarSettings }) {
  return (
    <div className="scalar-grid">
      {charts.map((c) => (
        <Chart key={c.key} spec={c} settings={settings} />
      ))}
    </div>
  );
}

/**
 * A scalars view below its query: loading, the load error, ``empty`` when nothing was
 * reported, or the controls over the charts that pass the filter (a failed refresh
 * keeps the charts and says so above them).
 */
export function ScalarsBody({
  query,
  charts,
  settings,
  onChange,
  empty,
}: {
  query: { isPending: boolean; error: unknown; data?: unknown };
  charts: ChartSpec[];
  settings: ScalarSettings;
  onChange: (change: Partial<ScalarSettings>) => void;
  empty: React.ReactNode;
}) {
  const shown = useMemo(() => filterCharts(charts, settings.filter), [charts, settings.filter]);
  if (query.isPending) return <Loading what="the scalars" />;
  if (!query.data) return <ErrorBox error={query.error} title="Could not load the scalars" />;
  if (charts.length === 0) return <>{empty}</>;
  return (
    <>
      {query.error ? <ErrorBox error={query.error} title="Could not refresh the scalars" /> : null}
      <ScalarControls settings={settings} onChange={onChange} />
      {shown.length ? (
        <ScalarCharts charts={shown} settings={settings} />
      ) : (
        <Empty title={`No metric matches "${settings.filter}"`}>Clear the filter to see all {charts.length} charts.</Empty>
      )}
    </>
  );
}
