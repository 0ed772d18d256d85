// The Plots tab: the plotly figures the task reported, grouped by metric. plotly itself
// loads on demand (a chunk of its own). Live under queryKeys.task.plots.
import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { get } from "../../../api/client";
import { queryKeys } from "../../../api/queryKeys";
import type { PlotsOut, TaskOut } from "../../../api/types";
import { Empty, ErrorBox, Loading } from "../../../components/feedback";
import { groupByMetric, iterationsOf } from "../scalars/media";
import { PlotCard } from "../scalars/PlotCard";
import "../scalars/scalars.css";
import "../scalars/plots.css";
import { preloadPlotly } from "../../../charts/PlotlyFigure";

// A pointer over (or the keyboard on) a link to a Plots tab starts loading plotly: the
// click follows a moment later. One listener for the whole app, doing nothing elsewhere.
if (typeof document !== "undefined") {
  const onLink = (e: Event) => {
    const target = e.target;
    if (target instanceof Element && target.closest('a[href$="/plots"]')) preloadPlotly();
  };
  document.addEventListener("pointerover", onLink, { passive: true });
  document.addEventListener("focusin", onLink);
}

export function PlotsTab({ task }: { task: TaskOut }) {
  // plotly downloads while the list of plots loads, not after it
  useEffect(preloadPlotly, []);
  const plots = useQuery({
    queryKey: queryKeys.task.plots(task.id),
    queryFn: ({ signal }) => get<PlotsOut>(`/tasks/${task.id}/plots`, undefined, signal),
  });
  if (plots.isPending) return <Loading what="the plots" />;
  if (!plots.data) return <ErrorBox error={plots.error} title="Could not load the plots" />;
  const { items, iterations } = plots.data;
  if (items.length === 0) {
    return (
      <Empty title="No plots reported yet">
        A script reports a plotly figure with
        <pre className="code">task.get_logger().report_plotly("confusion", "val", figure=fig, iteration=epoch)</pre>
        and matplotlib figures are captured automatically.
      </Empty>
    );
  }
  return (
    <div data-testid="plots">
      {plots.error && <ErrorBox error={plots.error} title="Could not refresh the plots" />}
      {groupByMetric(items).map(([metric, group]) => (
        <section key={metric} className="metric-group" aria-label={metric}>
          <h3>{metric}</h3>
          <div className="plots-grid">
            {group.map((p) => (
              <PlotCard key={p.variant} taskId={task.id} latest={p} iterations={iterationsOf(iterations, p.metric, p.variant)} />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
