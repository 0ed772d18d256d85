// What a script reported for a model (OutputModel.report_scalar, report_table...): its
// scalar charts and its plots, drawn by the task pages' components from
// GET /models/{id}/scalars and /plots (the same shapes as a task's).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { ModelOut, PlotsOut, ScalarsOut } from "../../api/types";
import { useWidth } from "../../charts/useElementSize";
import { ErrorBox, Loading } from "../../components/feedback";
import { groupByMetric, iterationsOf } from "../task/scalars/media";
import { PlotCard } from "../task/scalars/PlotCard";
import { ScalarsBody } from "../task/scalars/ScalarCharts";
import { useScalarSettings } from "../task/scalars/ScalarControls";
import { chartsByMetric, pointsForWidth, startOf } from "../task/scalars/series";
import "../task/scalars/scalars.css";

const HOW = 'output_model.report_scalar("val", "accuracy", value=0.93, iteration=10)';

export function ModelReports({ model }: { model: ModelOut }) {
  return (
    <>
      <section className="card" aria-label="Model scalars">
        <h2>Scalars</h2>
        <ModelScalars model={model} />
      </section>
      <section className="card" aria-label="Model plots">
        <h2>Plots</h2>
        <ModelPlots model={model} />
      </section>
    </>
  );
}

function ModelScalars({ model }: { model: ModelOut }) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box);
  const maxPoints = pointsForWidth(width);
  const [settings, change] = useScalarSettings();
  const scalars = useQuery({
    queryKey: queryKeys.model.scalars(model.id, maxPoints),
    queryFn: ({ signal }) => get<ScalarsOut>(`/models/${model.id}/scalars`, { max_points: maxPoints }, signal),
    enabled: width > 0,
    placeholderData: keepPreviousData,
  });
  const series = scalars.data?.series;
  const charts = useMemo(() => (series ? chartsByMetric(series, startOf(series, model.created_at)) : []), [series, model.created_at]);
  return (
    <div ref={box} data-testid="model-scalars">
      <ScalarsBody
        query={scalars}
        charts={charts}
        settings={settings}
        onChange={change}
        empty={
          <p className="muted">
            No scalars were reported for this model. A script reports one with <code>{HOW}</code>.
          </p>
        }
      />
    </div>
  );
}

function ModelPlots({ model }: { model: ModelOut }) {
  const plots = useQuery({
    queryKey: queryKeys.model.plots(model.id),
    queryFn: ({ signal }) => get<PlotsOut>(`/models/${model.id}/plots`, undefined, signal),
  });
  if (plots.isPending) return <Loading what="the plots" />;
  if (!plots.data) return <ErrorBox error={plots.error} title="Could not load the plots" />;
  const { items, iterations } = plots.data;
  if (items.length === 0) {
    return <p className="muted">No plots were reported for this model (report_table, report_confusion_matrix...).</p>;
  }
  return (
    <div data-testid="model-plots">
      {groupByMetric(items).map(([metric, group]) => (
        <section key={metric} className="metric-group" aria-label={metric}>
          <h3>{metric}</h3>
          <div className="plot-grid">
            {group.map((p) => (
              <PlotCard
                key={p.variant}
                owner={{ kind: "model", id: model.id }}
                latest={p}
                iterations={iterationsOf(iterations, p.metric, p.variant)}
              />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
