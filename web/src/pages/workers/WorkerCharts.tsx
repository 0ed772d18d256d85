// A worker's utilisation over the chosen window: CPU, memory, each GPU, network. The hub
// averages long windows down to a few hundred points; heartbeats write nothing to the
// change stream, so the charts poll.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import { LineChart, type Line } from "../../charts/LineChart";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import type { WorkerStat } from "../../api/types";
import { CHART_POINTS, DEFAULT_WINDOW, padToWindow, refreshMs, windowSeconds, type WindowKey } from "./statsWindow";
import { byteUnit, scaled, workerCharts } from "./workerStats";
import { WindowPicker } from "./WindowPicker";

/** the most samples read for a window: a week of 5 s heartbeats */
const READ_LIMIT = 200_000;
const HEIGHT = 180;

async function fetchStats(workerId: string, span: WindowKey, signal: AbortSignal) {
  const to = Date.now() / 1000;
  const from = to - windowSeconds(span);
  const stats = await get<WorkerStat[]>(
    `/workers/${encodeURIComponent(workerId)}/stats`,
    { since: new Date(from * 1000).toISOString(), points: CHART_POINTS, limit: READ_LIMIT },
    signal,
  );
  return { from, to, stats };
}

/** A chart of byte values, in the unit that suits them (named in the title). */
function BytesChart({ title, lines, perSecond }: { title: string; lines: Line[]; perSecond?: boolean }) {
  const { unit, factor } = byteUnit(lines);
  const shown = useMemo(() => scaled(lines, factor), [lines, factor]);
  return <LineChart title={`${title} (${unit}${perSecond ? "/s" : ""})`} lines={shown} xKind="time" height={HEIGHT} />;
}

export function WorkerCharts({ workerId }: { workerId: string }) {
  const [span, setSpan] = useState<WindowKey>(DEFAULT_WINDOW);
  const stats = useQuery({
    queryKey: queryKeys.worker.stats(workerId, span),
    queryFn: ({ signal }) => fetchStats(workerId, span, signal),
    refetchInterval: refreshMs(span),
  });
  const charts = useMemo(() => {
    const data = stats.data;
    const c = workerCharts(data?.stats ?? []);
    if (!data) return c;
    const pad = (lines: Line[]) => padToWindow(lines, data.from, data.to);
    return {
      cpu: pad(c.cpu),
      memory: pad(c.memory),
      gpuUtilization: pad(c.gpuUtilization),
      gpuMemory: pad(c.gpuMemory),
      network: pad(c.network),
    };
  }, [stats.data]);
  return (
    <section className="card" aria-label="Utilisation">
      <div className="row">
        <h2>Utilisation</h2>
        <span className="spacer" />
        <WindowPicker value={span} onChange={setSpan} />
      </div>
      <ErrorBox error={stats.error} title="Could not load the statistics" />
      {stats.isPending ? (
        <Loading what="statistics" />
      ) : !stats.data?.stats.length ? (
        <Empty title="No statistics in this window">The worker sends machine statistics with its heartbeats.</Empty>
      ) : (
        <div className="worker-charts">
          {charts.cpu.length > 0 && <LineChart title="CPU" lines={charts.cpu} xKind="time" height={HEIGHT} ySuffix="%" />}
          {charts.memory.length > 0 && <BytesChart title="Memory" lines={charts.memory} />}
          {charts.gpuUtilization.length > 0 && (
            <LineChart title="GPU utilisation" lines={charts.gpuUtilization} xKind="time" height={HEIGHT} ySuffix="%" />
          )}
          {charts.gpuMemory.length > 0 && <BytesChart title="GPU memory" lines={charts.gpuMemory} />}
          {charts.network.length > 0 && <BytesChart title="Network" lines={charts.network} perSecond />}
        </div>
      )}
    </section>
  );
}
