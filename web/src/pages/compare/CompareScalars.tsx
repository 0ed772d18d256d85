// Scalars of the compared experiments overlaid: a chart per metric/variant, a line per
// experiment, with the Scalars tab's controls. Under ["compare", "scalars", ...].
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { get } from "../../api/client";
import { useWidth } from "../../charts/useElementSize";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { ScalarCharts } from "../task/scalars/ScalarCharts";
import { ScalarControls, useScalarSettings } from "../task/scalars/ScalarControls";
import { chartsBySeries, filterCharts, pointsForWidth, startOf } from "../task/scalars/series";
import type { ScalarsOut } from "../task/scalars/types";
import "../task/scalars/scalars.css";
import type { Compared } from "./useCompared";

export function CompareScalars({ compared }: { compared: Compared[] }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const maxPoints = pointsForWidth(width);
  const [settings, change] = useScalarSettings();
  const ids = compared.map((c) => c.id);
  const scalars = useQuery({
    queryKey: ["compare", "scalars", ids, maxPoints],
    queryFn: ({ signal }) => get<ScalarsOut>("/scalars", { task_id: ids, max_points: maxPoints }, signal),
    enabled: width > 0 && ids.length > 0,
    placeholderData: keepPreviousData,
  });
  const series = scalars.data?.series;
  const charts = useMemo(() => {
    if (!series) return [];
    const tasks = compared.map((c) => ({
      id: c.id,
      label: c.label,
      color: c.color,
      start: startOf(
        series.filter((s) => s.task_id === c.id),
        c.task?.started_at,
      ),
    }));
    return chartsBySeries(series, tasks);
  }, [series, compared]);
  const shown = useMemo(() => filterCharts(charts, settings.filter), [charts, settings.filter]);

  let body: React.ReactNode;
  if (scalars.isPending) body = <Loading what="the scalars" />;
  else if (!series) body = <ErrorBox error={scalars.error} title="Could not load the scalars" />;
  else if (charts.length === 0) body = <Empty title="No scalars">None of these experiments reported scalars yet.</Empty>;
  else
    body = (
      <>
        {scalars.error && <ErrorBox error={scalars.error} title="Could not refresh the scalars" />}
        <ScalarControls settings={settings} onChange={change} />
        {shown.length ? (
          <ScalarCharts charts={shown} settings={settings} />
        ) : (
          <Empty title={`No chart matches "${settings.filter}"`}>Clear the filter to see all {charts.length} charts.</Empty>
        )}
      </>
    );
  return (
    <section aria-labelledby="compare-scalars" className="compare-section">
      <h2 id="compare-scalars">Scalars</h2>
      <div ref={box} data-testid="compare-scalars">
        {body}
      </div>
    </section>
  );
}
