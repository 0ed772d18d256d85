// The workers (agents): each with its state, queues, current task and last figures; the
// selected one (``?worker=id``) in detail with its utilisation charts.
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { get } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { Worker } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { formatAgo, formatBytes, formatDuration, formatTime } from "../../lib/format";
import { useFollowingState } from "../../lib/useStateFor";
import { QueueLinks, WorkerDetail, WorkerState } from "./WorkerDetail";
import { percent } from "./workerStats";
import "./workers.css";

/** heartbeats change the figures without writing to the change stream: poll */
const REFRESH_MS = 10_000;

export function WorkersPage() {
  const [params, setParams] = useSearchParams();
  // state first, so the checkbox answers at once; the URL follows (and back/forward leads)
  const [includeGone, setIncludeGone] = useFollowingState(params.get("gone") === "1");
  const workers = useQuery({
    queryKey: queryKeys.workers.list(includeGone),
    queryFn: ({ signal }) => get<Worker[]>("/workers", { include_gone: includeGone }, signal),
    refetchInterval: REFRESH_MS,
  });
  const queues = useQuery(queries.queues());
  const users = useQuery(queries.users());
  const queueName = useMemo(() => {
    const names = new Map((queues.data ?? []).map((q) => [q.id, q.name]));
    return (id?: string | null) => (id ? (names.get(id) ?? "—") : "—");
  }, [queues.data]);
  const userName = useMemo(() => {
    const names = new Map((users.data ?? []).map((u) => [u.id, u.name]));
    return (id?: string | null) => (id ? (names.get(id) ?? "—") : "—");
  }, [users.data]);

  const list = workers.data ?? [];
  const wanted = params.get("worker");
  const inList = list.find((w) => w.id === wanted);
  // a worker named in the URL but not listed (gone, and gone ones hidden): ask for it alone
  const single = useQuery({
    queryKey: queryKeys.worker.info(wanted ?? ""),
    queryFn: ({ signal }) => get<Worker>(`/workers/${encodeURIComponent(wanted ?? "")}`, undefined, signal),
    enabled: !!wanted && !!workers.data && !inList,
    refetchInterval: REFRESH_MS,
  });
  const selected = wanted ? (inList ?? single.data ?? null) : (list[0] ?? null);
  const setParam = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: key === "gone" });
  };
  const linkTo = (id: string) => {
    const next = new URLSearchParams(params);
    next.set("worker", id);
    return `/workers?${next}`;
  };

  return (
    <section className="page workers-page">
      <div className="row">
        <h1>Workers</h1>
        <span className="spacer" />
        <label className="inline">
          <input type="checkbox" checked={includeGone} onChange={(e) => {
              setIncludeGone(e.target.checked);
              setParam("gone", e.target.checked ? "1" : null);
            }} /> Show gone
          workers
        </label>
      </div>
      <ErrorBox error={workers.error} title="Could not load the workers" />
      {workers.isPending ? (
        <Loading what="workers" />
      ) : list.length === 0 && !workers.error ? (
        <Empty title="No workers">
          <p>A worker is an agent that takes tasks from queues and runs them. Start one on a machine with:</p>
          <pre className="code">corral agent --queue default</pre>
        </Empty>
      ) : (
        <table className="grid worker-list" aria-label="Workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>State</th>
              <th>Queues</th>
              <th>Running</th>
              <th>CPU</th>
              <th>Memory</th>
              <th>GPU</th>
              <th>Last heartbeat</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => (
              <WorkerRow key={w.id} worker={w} selected={selected?.id === w.id} href={linkTo(w.id)} />
            ))}
          </tbody>
        </table>
      )}
      {wanted && single.error && !inList && <ErrorBox error={single.error} title={`Could not load worker ${wanted}`} />}
      {selected && <WorkerDetail key={selected.id} worker={selected} queueName={queueName} userName={userName} />}
    </section>
  );
}

function WorkerRow({ worker, selected, href }: { worker: Worker; selected: boolean; href: string }) {
  const s = worker.last_stats;
  const gpus = s?.gpus ?? [];
  const gpuText = gpus.length ? gpus.map((g) => percent(g.utilization)).join(" · ") : "—";
  return (
    <tr className={selected ? "selected" : undefined} aria-selected={selected} data-testid="worker-row" data-worker={worker.id}>
      <td>
        <Link to={href} aria-current={selected ? "true" : undefined}>
          {worker.id}
        </Link>
        {typeof worker.machine.hostname === "string" && worker.machine.hostname !== worker.id && (
          <div className="muted small">{worker.machine.hostname}</div>
        )}
      </td>
      <td>
        <WorkerState worker={worker} />
      </td>
      <td>
        <QueueLinks queues={worker.queues} />
      </td>
      <td>
        {worker.tasks.length === 0 ? (
          <span className="muted">idle</span>
        ) : (
          worker.tasks.map((t) => (
            <div key={t.id}>
              <Link to={`/experiments/${t.id}`}>{t.name}</Link>{" "}
              <span className="muted small">
                {t.run_time !== null ? formatDuration(t.run_time) : t.status === "queued" ? "starting" : ""}
                {t.last_iteration !== null ? ` · iter ${t.last_iteration}` : ""}
              </span>
            </div>
          ))
        )}
      </td>
      <td>{percent(s?.cpu_percent)}</td>
      <td>{s?.memory_used != null ? `${formatBytes(s.memory_used)} / ${formatBytes(s.memory_total)}` : "—"}</td>
      <td>{gpuText}</td>
      <td title={formatTime(worker.last_heartbeat)}>{formatAgo(worker.last_heartbeat)}</td>
    </tr>
  );
}
