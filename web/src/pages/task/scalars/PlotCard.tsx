// One reported plotly figure (metric / variant), with a picker when it was reported at
// several iterations: the latest is shown unless another is picked.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { get } from "../../../api/client";
import { queryKeys } from "../../../api/queryKeys";
import { PlotlyFigure } from "../../../charts/PlotlyFigure";
import { ErrorBox, Loading } from "../../../components/feedback";
import type { PlotItem, PlotsOut } from "../../../api/types";

/** Whose plots a card reads: a task's (the default) or a model's. */
export type PlotOwner = { kind: "task" | "model"; id: string };

export function PlotCard({
  taskId,
  owner,
  latest,
  iterations,
}: {
  taskId?: string;
  owner?: PlotOwner;
  latest: PlotItem;
  iterations: number[];
}) {
  const [picked, setPicked] = useState<number | null>(null);
  const { metric, variant } = latest;
  const title = `${metric} / ${variant}`;
  const other = picked !== null && picked !== latest.iteration;
  const of: PlotOwner = owner ?? { kind: "task", id: taskId ?? "" };
  const at = useQuery({
    queryKey:
      of.kind === "model"
        ? queryKeys.model.plot(of.id, metric, variant, picked)
        : queryKeys.task.plot(of.id, metric, variant, picked),
    queryFn: ({ signal }) => get<PlotsOut>(`/${of.kind}s/${of.id}/plots`, { metric, variant, iteration: picked }, signal),
    enabled: other,
  });
  const item = other ? at.data?.items[0] : latest;
  return (
    <section className="card plot-card" aria-label={title} data-testid="plot-card">
      <div className="plot-card-head">
        <h4>{title}</h4>
        <span className="spacer" />
        {iterations.length > 1 ? (
          <select aria-label={`Iteration of ${title}`} value={picked ?? latest.iteration} onChange={(e) => setPicked(Number(e.target.value))}>
            {[...iterations].reverse().map((it) => (
              <option key={it} value={it}>
                iteration {it}
                {it === iterations[iterations.length - 1] ? " (latest)" : ""}
              </option>
            ))}
          </select>
        ) : (
          <span className="muted small">iteration {latest.iteration}</span>
        )}
      </div>
      {other && at.isPending && <Loading what={`iteration ${picked}`} />}
      {other && at.error && <ErrorBox error={at.error} title={`Could not load iteration ${picked}`} />}
      {other && at.data && !item && <p className="muted">No figure at iteration {picked}.</p>}
      {item && <PlotlyFigure figure={item.figure} label={`${title} at iteration ${item.iteration}`} />}
    </section>
  );
}
