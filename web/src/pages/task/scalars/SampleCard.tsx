// One debug sample series (metric / variant): its file at the chosen iteration, with a
// slider over the iterations reported. The latest is shown (and followed as the task
// reports more) until the slider is moved.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { get } from "../../../api/client";
import { queryKeys } from "../../../api/queryKeys";
import { ErrorBox } from "../../../components/feedback";
import { Modal } from "../../../components/Modal";
import type { DebugSample, DebugSamplesOut } from "../../../api/types";
import { mediaKind, mediaUrl } from "./media";

/** Small images (thumbnails, MNIST digits) are scaled up with sharp pixels. */
const markTiny = (e: React.SyntheticEvent<HTMLImageElement>) => e.currentTarget.classList.toggle("tiny", e.currentTarget.naturalWidth < 128);

function Media({ sample, title, onOpen }: { sample: DebugSample; title: string; onOpen: () => void }) {
  const url = mediaUrl(sample.uri);
  if (!url) {
    return (
      <p className="muted small">
        Stored at <code>{sample.uri}</code>, out of the browser's reach.
      </p>
    );
  }
  const alt = `${title} at iteration ${sample.iteration}`;
  switch (mediaKind(sample.uri, sample.content_type)) {
    case "image":
      return (
        <button className="image-button" aria-label={`Open ${alt} full size`} onClick={onOpen}>
          <img className="sample-image" src={url} alt={alt} data-iteration={sample.iteration} onLoad={markTiny} />
        </button>
      );
    case "video":
      return <video src={url} controls aria-label={alt} style={{ maxWidth: "100%" }} />;
    case "audio":
      return <audio src={url} controls aria-label={alt} />;
    default:
      return (
        <a href={url} target="_blank" rel="noreferrer">
          {sample.uri.split("/").pop() || sample.uri}
        </a>
      );
  }
}

export function SampleCard({ taskId, latest, iterations }: { taskId: string; latest: DebugSample; iterations: number[] }) {
  const [picked, setPicked] = useState<number | null>(null);
  const [open, setOpen] = useState(false);
  const { metric, variant } = latest;
  const title = `${metric} / ${variant}`;
  const other = picked !== null && picked !== latest.iteration;
  const at = useQuery({
    queryKey: queryKeys.task.debugSample(taskId, metric, variant, picked),
    queryFn: ({ signal }) => get<DebugSamplesOut>(`/tasks/${taskId}/debug-samples`, { metric, variant, iteration: picked }, signal),
    enabled: other,
  });
  const sample = other ? at.data?.items[0] : latest;
  const iteration = picked ?? latest.iteration;
  const index = Math.max(0, iterations.indexOf(iteration));
  return (
    <section className="card media-card" aria-label={title} data-testid="sample-card">
      <h4>{title}</h4>
      {iterations.length > 1 && (
        <label className="slider">
          <input
            type="range"
            min={0}
            max={iterations.length - 1}
            step={1}
            value={index}
            aria-label={`Iteration of ${title}`}
            aria-valuetext={`iteration ${iteration}`}
            onChange={(e) => setPicked(iterations[Number(e.target.value)])}
          />
        </label>
      )}
      <span className="muted small" data-testid="sample-iteration">
        iteration {iteration}
        {iterations.length > 1 && ` (${index + 1} of ${iterations.length})`}
      </span>
      {other && at.error && <ErrorBox error={at.error} title={`Could not load iteration ${picked}`} />}
      {other && at.data && !sample && <p className="muted">Nothing at iteration {picked}.</p>}
      {sample && <Media key={`${sample.iteration}:${sample.uri}`} sample={sample} title={title} onOpen={() => setOpen(true)} />}
      {open && sample && (
        <Modal title={`${title} — iteration ${sample.iteration}`} onClose={() => setOpen(false)}>
          <img className="full-image" onLoad={markTiny} src={mediaUrl(sample.uri) ?? ""} alt={`${title} at iteration ${sample.iteration}, full size`} />
          <div>
            <a href={mediaUrl(sample.uri) ?? ""} target="_blank" rel="noreferrer">
              Open in a new tab
            </a>
          </div>
        </Modal>
      )}
    </section>
  );
}
