// Scalars of the compared experiments overlaid: a chart per metric/variant, a line per
// experiment, with the Scalars tab's controls. Under queryKeys.compare.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import { useWidth } from "../../charts/useElementSize";
import { Empty } from "../../components/feedback";
import { ScalarsBody } from "../task/scalars/ScalarCharts";
import { useScalarSettings } from "../task/scalars/ScalarControls";
import { chartsBySeries, pointsForWidth, startOf } from "../task/scalars/series";
import type { ScalarsOut } from "../../api/types";
import "../task/scalars/scalars.css";
import type { Compared } from "./useCompared";

export function CompareScalars({ compared }: { compared: Compared[] }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const maxPoints = pointsForWidth(width);
  const [settings, change] = useScalarSettings();
  const ids = compared.map((c) => c.id);
  const scalars = useQuery({
    queryKey: queryKeys.compare.scalars(ids, maxPoints),
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
  return (
    <section aria-labelledby="compare-scalars" className="compare-section">
      <h2 id="compare-scalars">Scalars</h2>
      <div ref={box} data-testid="compare-scalars">
        <ScalarsBody
          query={scalars}
          charts={charts}
          settings={settings}
          onChange={change}
          empty={<Empty title="No scalars">None of these experiments reported scalars yet.</Empty>}
        />
      </div>
    </section>
  );
}
