// The Debug samples tab: images (and other media) the task reported, grouped by metric,
// with an iteration slider per series. Live under queryKeys.task.debugSamples.
import { useQuery } from "@tanstack/react-query";
import { get } from "../../../api/client";
import { queryKeys } from "../../../api/queryKeys";
import type { DebugSamplesOut, TaskOut } from "../../../api/types";
import { Empty, ErrorBox, Loading } from "../../../components/feedback";
import { groupByMetric, iterationsOf } from "../scalars/media";
import { SampleCard } from "../scalars/SampleCard";
import "../scalars/scalars.css";
import "../scalars/plots.css";

export function DebugSamplesTab({ task }: { task: TaskOut }) {
  const samples = useQuery({
    queryKey: queryKeys.task.debugSamples(task.id),
    queryFn: ({ signal }) => get<DebugSamplesOut>(`/tasks/${task.id}/debug-samples`, undefined, signal),
  });
  if (samples.isPending) return <Loading what="the debug samples" />;
  if (!samples.data) return <ErrorBox error={samples.error} title="Could not load the debug samples" />;
  const { items, iterations } = samples.data;
  if (items.length === 0) {
    return (
      <Empty title="No debug samples reported yet">
        A script reports an image with
        <pre className="code">task.get_logger().report_image("inputs", "image", iteration=epoch, image=array)</pre>
        and any other file (audio, video, HTML) with <code>report_media</code>.
      </Empty>
    );
  }
  return (
    <div data-testid="debug-samples">
      {samples.error && <ErrorBox error={samples.error} title="Could not refresh the debug samples" />}
      {groupByMetric(items).map(([metric, group]) => (
        <section key={metric} className="metric-group" aria-label={metric}>
          <h3>{metric}</h3>
          <div className="samples-grid">
            {group.map((s) => (
              <SampleCard key={s.variant} taskId={task.id} latest={s} iterations={iterationsOf(iterations, s.metric, s.variant)} />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
