// A queue's length and its tasks' waits over the chosen window. The length is a count
// that holds until the next change: drawn as steps, with whole-number ticks.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import { LineChart } from "../../charts/LineChart";
import { ErrorBox } from "../../components/feedback";
import { DEFAULT_WINDOW, padToWindow, refreshMs, windowSeconds, type WindowKey } from "../workers/statsWindow";
import { WindowPicker } from "../workers/WindowPicker";
import type { QueueStatPoint } from "../../api/types";
import { formatWait, queueCharts } from "./queueStats";
import { queuePath } from "./queuePath";

async function fetchStats(name: string, span: WindowKey, signal: AbortSignal) {
  const to = Date.now() / 1000;
  const from = to - windowSeconds(span);
  const points = await get<QueueStatPoint[]>(`${queuePath(name)}/stats`, { since: new Date(from * 1000).toISOString() }, signal);
  return { from, to, points };
}

export function QueueCharts({ name, pending }: { name: string; pending: number | null }) {
  const [span, setSpan] = useState<WindowKey>(DEFAULT_WINDOW);
  const stats = useQuery({
    queryKey: queryKeys.queue.stats(name, span),
    queryFn: ({ signal }) => fetchStats(name, span, signal),
    // the window moves on while nothing happens in the queue
    refetchInterval: refreshMs(span),
  });
  const charts = useMemo(() => {
    if (!stats.data) return null;
    const { from, to, points } = stats.data;
    const c = queueCharts(points, to, pending);
    return { length: padToWindow(c.length, from, to), wait: padToWindow(c.wait, from, to) };
  }, [stats.data, pending]);
  return (
    <section className="card" aria-label="Queue statistics">
      <div className="row">
        <h2>Statistics</h2>
        <span className="spacer" />
        <WindowPicker value={span} onChange={setSpan} />
      </div>
      <ErrorBox error={stats.error} title="Could not load the statistics" />
      {charts && (
        <div className="queue-charts">
          <LineChart title="Waiting tasks" lines={charts.length} xKind="time" height={200} stepped integerY />
          {charts.wait.length ? (
            <LineChart title="Wait before a worker took the task" lines={charts.wait} xKind="time" height={200} formatY={formatWait} />
          ) : (
            <p className="muted">No task was taken from this queue in the window.</p>
          )}
        </div>
      )}
    </section>
  );
}
