// The plots and the debug samples of the compared experiments, side by side (MediaRows).
import { useMemo } from "react";
import type { DebugSample, PlotItem } from "../../api/types";
import { PlotlyFigure } from "../../charts/PlotlyFigure";
import { mediaKind, mediaUrl } from "../task/scalars/media";
import { fitted, renderedImage } from "./compare";
import { MediaRows } from "./MediaRows";
import type { Compared } from "./useCompared";

type TaskPlot = PlotItem & { task_id: string };
type TaskSample = DebugSample & { task_id: string };

function Plot({ item, title }: { item: TaskPlot; title: string }) {
  const figure = useMemo(() => fitted(item.figure), [item.figure]);
  const image = renderedImage(item.figure);
  const label = `${title} at iteration ${item.iteration}`;
  if (image) return <img className="compare-sample" src={image} alt={label} data-testid="plot-image" />;
  return <PlotlyFigure figure={figure} label={label} />;
}

export function ComparePlots({ compared }: { compared: Compared[] }) {
  return <MediaRows<TaskPlot> kind="plots" noun="plots" compared={compared} render={(item, title) => <Plot item={item} title={title} />} />;
}

function Sample({ item, title }: { item: TaskSample; title: string }) {
  const url = mediaUrl(item.uri);
  const alt = `${title} at iteration ${item.iteration}`;
  if (!url) {
    return (
      <p className="muted small">
        Stored at <code>{item.uri}</code>, out of the browser's reach.
      </p>
    );
  }
  switch (mediaKind(item.uri, item.content_type)) {
    case "image":
      return (
        <a href={url} target="_blank" rel="noreferrer" aria-label={`Open ${alt} full size`}>
          <img className="compare-sample" src={url} alt={alt} data-iteration={item.iteration} />
        </a>
      );
    case "video":
      return <video src={url} controls aria-label={alt} className="compare-sample" />;
    case "audio":
      return <audio src={url} controls aria-label={alt} />;
    default:
      return (
        <a href={url} target="_blank" rel="noreferrer">
          {item.uri.split("/").pop() || item.uri}
        </a>
      );
  }
}

export function CompareSamples({ compared }: { compared: Compared[] }) {
  return (
    <MediaRows<TaskSample>
      kind="debug-samples"
      noun="debug samples"
      compared={compared}
      render={(item, title) => <Sample key={`${item.iteration}:${item.uri}`} item={item} title={title} />}
    />
  );
}
