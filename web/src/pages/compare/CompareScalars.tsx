// Scalars of the compared experiments overlaid: a chart per metric/variant, a line per
// experiment in its colour, with the Scalars tab's controls; the ``:monitor:`` charts
// (machine and GPU use) come last, in a section of their own that starts folded.
//
// One request. It used to be three or more while the page loaded: each compared task was
// fetched on its own and the scalars were keyed on the tasks loaded so far, so 6, then 7,
// then 8 of 8 tasks were three requests. The tasks now come in one request (useCompared);
// and ``max_points`` comes from the window's width when the page opens, not from the
// section's width, which changes while the page lays out (0, then narrower once a scroll
// bar appears) and would make another key.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { ScalarsOut } from "../../api/types";
import { Empty } from "../../components/feedback";
import { ScalarCharts, ScalarsBody } from "../task/scalars/ScalarCharts";
import { useScalarSettings } from "../task/scalars/ScalarControls";
import { chartsBySeries, filterCharts, pointsForWidth, startOf } from "../task/scalars/series";
import "../task/scalars/scalars.css";
import { isMonitor } from "./compare";
import type { Compared } from "./useCompared";

export function CompareScalars({ compared }: { compared: Compared[] }) {
  const [maxPoints] = useState(() => pointsForWidth(window.innerWidth));
  const [settings, change] = useScalarSettings();
  const ids = useMemo(() => compared.map((c) => c.id), [compared]);
  const scalars = useQuery({
    queryKey: queryKeys.compare.scalars(ids, maxPoints),
    queryFn: ({ signal }) => get<ScalarsOut>("/scalars", { task_id: ids, max_points: maxPoints }, signal),
    enabled: ids.length > 0,
    placeholderData: keepPreviousData,
  });
  const series = scalars.data?.series;
  const [charts, monitor] = useMemo(() => {
    if (!series) return [[], []];
    const tasks = compared.map((c) => ({
      id: c.id,
      label: c.label,
      color: c.color,
      start: startOf(
        series.filter((s) => s.task_id === c.id),
        c.task?.started_at,
      ),
    }));
    const all = chartsBySeries(series, tasks);
    return [all.filter((c) => !isMonitor(c.metric)), all.filter((c) => isMonitor(c.metric))];
  }, [series, compared]);
  const monitorShown = useMemo(() => filterCharts(monitor, settings.filter), [monitor, settings.filter]);
  return (
    <div data-testid="compare-scalars">
      <ScalarsBody
        query={scalars}
        charts={charts}
        settings={settings}
        onChange={change}
        empty={
          monitor.length ? (
            <Empty title="No scalars">None of these experiments reported scalars yet, only machine monitoring.</Empty>
          ) : (
            <Empty title="No scalars">None of these experiments reported scalars yet.</Empty>
          )
        }
      />
      {monitorShown.length > 0 && (
        <details className="compare-monitor" data-testid="compare-monitor">
          <summary>
            Machine monitoring <span className="muted small">({monitorShown.length} charts)</span>
          </summary>
          <ScalarCharts charts={monitorShown} settings={settings} />
        </details>
      )}
    </div>
  );
}
