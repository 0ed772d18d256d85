// One worker: what it is (machine, queues, tags), what it runs now, and its utilisation.
import { Link } from "react-router-dom";
import { StatusBadge } from "../../components/StatusBadge";
import { formatAgo, formatDuration, formatTime } from "../../lib/format";
import type { Worker } from "../../api/types";
import { machineFacts } from "./machineFacts";
import { WorkerCharts } from "./WorkerCharts";

export function WorkerDetail({ worker, queueName, userName }: { worker: Worker; queueName: (id?: string | null) => string; userName: (id?: string | null) => string }) {
  const facts = machineFacts(worker.machine);
  return (
    <div className="worker-detail" data-testid="worker-detail" data-worker={worker.id}>
      <section className="card" aria-label="Worker">
        <div className="row">
          <h2>{worker.id}</h2>
          <WorkerState worker={worker} />
          {worker.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </div>
        <div className="worker-columns">
          <dl className="worker-kv">
            <dt>Queues</dt>
            <dd>
              <QueueLinks queues={worker.queues} />
            </dd>
            <dt>Registered</dt>
            <dd>{formatTime(worker.registered_at)}</dd>
            <dt>Last heartbeat</dt>
            <dd title={formatTime(worker.last_heartbeat)}>{formatAgo(worker.last_heartbeat)}</dd>
            {worker.gone_at && (
              <>
                <dt>Gone since</dt>
                <dd>{formatTime(worker.gone_at)}</dd>
              </>
            )}
            <dt>Address</dt>
            <dd>{worker.ip ?? "—"}</dd>
            <dt>Started by</dt>
            <dd>{userName(worker.user_id)}</dd>
          </dl>
          <dl className="worker-kv" aria-label="Machine">
            {facts.length === 0 && <dd className="muted">The worker told nothing about its machine.</dd>}
            {facts.map(([label, value]) => (
              <div key={label} className="worker-fact">
                <dt>{label}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        </div>
        <h3>Running now</h3>
        {worker.tasks.length === 0 ? (
          <p className="muted">{worker.gone_at ? "Nothing: the worker is gone." : "Idle: waiting for a task in its queues."}</p>
        ) : (
          <table className="grid" aria-label="Current tasks">
            <thead>
              <tr>
                <th>Task</th>
                <th>Status</th>
                <th>Queue</th>
                <th>Started</th>
                <th>Run time</th>
                <th>Last iteration</th>
              </tr>
            </thead>
            <tbody>
              {worker.tasks.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/experiments/${t.id}`}>{t.name}</Link>
                  </td>
                  <td>
                    <StatusBadge status={t.status} />
                    {t.status === "queued" && <span className="muted small"> (taken, starting)</span>}
                  </td>
                  <td>{queueName(t.queue_id)}</td>
                  <td>{formatTime(t.started_at)}</td>
                  <td>{formatDuration(t.run_time)}</td>
                  <td>{t.last_iteration ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <WorkerCharts workerId={worker.id} />
    </div>
  );
}

export function WorkerState({ worker }: { worker: Worker }) {
  return worker.gone_at ? (
    <span className="status status-failed" data-testid="worker-state">
      gone
    </span>
  ) : (
    <span className="status status-completed" data-testid="worker-state">
      live
    </span>
  );
}

export function QueueLinks({ queues }: { queues: string[] }) {
  if (!queues.length) return <span className="muted">none</span>;
  return (
    <>
      {queues.map((q, i) => (
        <span key={q}>
          {i > 0 && ", "}
          <Link to={`/queues?queue=${encodeURIComponent(q)}`}>{q}</Link>
        </span>
      ))}
    </>
  );
}
