// A queue's statistics as chart lines: its length after each enqueue and dequeue, and
// how long each dequeued task had waited.
import type { Line } from "../../charts/LineChart";
import { formatDuration } from "../../lib/format";
import { unixSeconds } from "../workers/statsWindow";
import type { QueueStatPoint } from "../../api/types";

export interface QueueCharts {
  length: Line[];
  wait: Line[];
}

/**
 * ``now`` (unix seconds) and ``pending`` (the length now) close the length line at the
 * present, so a queue that did not move lately still shows its length up to now.
 */
export function queueCharts(points: QueueStatPoint[], now: number, pending: number | null): QueueCharts {
  const x = points.map((p) => unixSeconds(p.time));
  const y: (number | null)[] = points.map((p) => p.pending);
  if (pending !== null && (x.length === 0 || x[x.length - 1] < now)) {
    x.push(now);
    y.push(pending);
  }
  const waited = points.filter((p) => p.wait !== null);
  return {
    length: [{ label: "waiting tasks", x, y }],
    wait: waited.length
      ? [{ label: "wait", x: waited.map((p) => unixSeconds(p.time)), y: waited.map((p) => p.wait) }]
      : [],
  };
}

/** A wait for the chart's axis: "0.04s" and "12s" below a minute, "3m 05s" above. */
export function formatWait(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  if (Math.abs(seconds) < 60) return `${Number(seconds.toPrecision(2))}s`;
  return formatDuration(seconds);
}
