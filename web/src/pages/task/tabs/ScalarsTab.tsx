// The Scalars tab: one chart per metric, its variants overlaid (or one per series). The
// hub downsamples each series to about one point per pixel (with each bucket's true
// min/max), so a million-point series draws as fast as a short one; a zoom loads the
// dragged range again at full resolution. Under queryKeys.task.scalars: a new point, or
// a new metric, appears as the running task reports it.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { get } from "../../../api/client";
import { queryKeys } from "../../../api/queryKeys";
import type { ScalarsOut, TaskOut } from "../../../api/types";
import { useWidth } from "../../../charts/useElementSize";
import { Empty } from "../../../components/feedback";
import { fetchTaskRange, ScalarsBody } from "../scalars/ScalarCharts";
import { useScalarSettings } from "../scalars/ScalarControls";
import { chartsByMetric, pointsForWidth, startOf } from "../scalars/series";
import "../scalars/scalars.css";

export function ScalarsTab({ task }: { task: TaskOut }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const maxPoints = pointsForWidth(width);
  const [settings, change] = useScalarSettings();
  const scalars = useQuery({
    queryKey: queryKeys.task.scalars(task.id, maxPoints),
    queryFn: ({ signal }) => get<ScalarsOut>(`/tasks/${task.id}/scalars`, { max_points: maxPoints }, signal),
    enabled: width > 0,
    placeholderData: keepPreviousData,
  });
  const series = scalars.data?.series;
  const charts = useMemo(() => (series ? chartsByMetric(series, startOf(series, task.started_at)) : []), [series, task.started_at]);
  return (
    <div ref={box} data-testid="scalars">
      <ScalarsBody query={scalars} charts={charts} settings={settings} onChange={change} empty={<NoScalars />} fetchRange={fetchTaskRange} />
    </div>
  );
}

function NoScalars() {
  return (
    <Empty title="No scalars reported yet">
      A script reports a point of a chart with
      <pre className="code">task.get_logger().report_scalar("loss", "train", value=loss, iteration=epoch)</pre>
      Charts appear here as the points arrive.
    </Empty>
  );
}
