// The queues: every queue with its figures, and the selected one (``?queue=name``) with
// its waiting tasks in order (drag to reorder), its actions and its statistics.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { ApiError } from "../../api/client";
import { queries } from "../../api/queries";
import type { Queue } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { useShortcuts } from "../../lib/shortcuts";
import { ClearQueueDialog, DeleteQueueDialog, QueueFormDialog } from "./QueueDialogs";
import { QueueCharts } from "./QueueCharts";
import { QueueEntries } from "./QueueEntries";
import { formatWait } from "./queueStats";
import "./queues.css";

type Dialog = "create" | "rename" | "clear" | "delete" | null;

export function QueuesPage() {
  const [params, setParams] = useSearchParams();
  const [dialog, setDialog] = useState<Dialog>(null);
  const queues = useQuery(queries.queues());
  const list = queues.data ?? [];
  const selected = params.get("queue") ?? (list.find((q) => q.name === "default") ?? list[0])?.name ?? null;
  const select = (name: string | null) => setParams(name ? { queue: name } : {}, { replace: false });
  const step = (by: number) => {
    if (!list.length) return;
    const at = list.findIndex((q) => q.name === selected);
    select(list[Math.min(list.length - 1, Math.max(0, at + by))].name);
  };
  useShortcuts("Queues", [
    { key: "j", description: "Next queue", run: () => step(1) },
    { key: "k", description: "Previous queue", run: () => step(-1) },
    { key: "n", description: "New queue", run: () => setDialog("create") },
  ]);

  return (
    <section className="page queues-page">
      <div className="row">
        <h1>Queues</h1>
        <span className="spacer" />
        <button className="primary" onClick={() => setDialog("create")}>
          New queue
        </button>
      </div>
      <ErrorBox error={queues.error} title="Could not load the queues" />
      {queues.isPending ? (
        <Loading what="queues" />
      ) : list.length === 0 && !queues.error ? (
        <Empty title="No queues">Create one with “New queue”, then point an agent at it.</Empty>
      ) : (
        <div className="queues-layout">
          <QueueList queues={list} selected={selected} />
          {selected && <QueueView name={selected} onDialog={setDialog} />}
        </div>
      )}
      {dialog === "create" && (
        <QueueFormDialog
          onClose={() => setDialog(null)}
          onDone={(name) => {
            setDialog(null);
            select(name);
          }}
        />
      )}
      {dialog && dialog !== "create" && selected && (
        <SelectedDialog name={selected} dialog={dialog} onClose={() => setDialog(null)} onRenamed={select} />
      )}
    </section>
  );
}

function QueueList({ queues, selected }: { queues: Queue[]; selected: string | null }) {
  return (
    <table className="grid queue-list" aria-label="Queues">
      <thead>
        <tr>
          <th>Name</th>
          <th title="Tasks waiting">Pending</th>
          <th title="Live workers serving the queue">Workers</th>
          <th title="Mean wait of the tasks taken in the last hour">Avg wait</th>
          <th title="How long the next task has waited">Current wait</th>
        </tr>
      </thead>
      <tbody>
        {queues.map((q) => (
          <tr key={q.id} aria-selected={q.name === selected} className={q.name === selected ? "selected" : undefined} data-testid="queue-row" data-queue={q.name}>
            <td>
              <Link to={`/queues?queue=${encodeURIComponent(q.name)}`} aria-current={q.name === selected ? "page" : undefined}>
                {q.name}
              </Link>
              {q.builtin && <span className="tag builtin">built in</span>}
            </td>
            <td data-testid="queue-pending" className={q.pending ? "num" : "num muted"}>
              {q.pending}
            </td>
            <td className={q.workers.length ? "num" : "num muted"} title={q.workers.length ? q.workers.join(", ") : "No live worker"}>
              {q.workers.length}
            </td>
            <td className="num">{q.avg_wait == null ? "—" : formatWait(q.avg_wait)}</td>
            <td className="num">{q.current_wait == null ? "—" : formatWait(q.current_wait)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function QueueView({ name, onDialog }: { name: string; onDialog: (d: Dialog) => void }) {
  const detail = useQuery(queries.queue(name));
  if (detail.isPending) return <Loading what={`queue ${name}`} />;
  if (detail.error instanceof ApiError && detail.error.status === 404) {
    return (
      <Empty title={`No queue named ${name}`}>
        It may have been renamed or deleted. <Link to="/queues">Show the queues</Link>
      </Empty>
    );
  }
  if (detail.error) return <ErrorBox error={detail.error} title={`Could not load queue ${name}`} />;
  const q = detail.data;
  return (
    <div className="queue-view" data-testid="queue-detail" data-queue={q.name}>
      <section className="card">
        <div className="row">
          <h2>{q.name}</h2>
          {q.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
          <span className="spacer" />
          <button onClick={() => onDialog("rename")} title={q.builtin ? "A built-in queue keeps its name; its tags can change" : undefined}>
            Rename
          </button>
          <button disabled={q.pending === 0} onClick={() => onDialog("clear")}>
            Clear
          </button>
          <button className="danger" disabled={q.builtin} title={q.builtin ? "Built-in queues cannot be deleted" : undefined} onClick={() => onDialog("delete")}>
            Delete
          </button>
        </div>
        <p className="muted queue-served" data-testid="queue-workers">
          {q.workers.length ? (
            <>
              Served by{" "}
              {q.workers.map((w, i) => (
                <span key={w}>
                  {i > 0 && ", "}
                  <Link to={`/workers?worker=${encodeURIComponent(w)}`}>{w}</Link>
                </span>
              ))}
            </>
          ) : (
            <>
              No live worker serves this queue: start one with <code>corral agent --queue {q.name}</code>
            </>
          )}
        </p>
        <QueueEntries queue={q} />
      </section>
      <QueueCharts name={q.name} pending={q.pending} />
    </div>
  );
}

function SelectedDialog({ name, dialog, onClose, onRenamed }: { name: string; dialog: Dialog; onClose: () => void; onRenamed: (name: string | null) => void }) {
  const detail = useQuery(queries.queue(name));
  const q = detail.data;
  if (!q) return null;
  if (dialog === "rename")
    return (
      <QueueFormDialog
        queue={q}
        onClose={onClose}
        onDone={(newName) => {
          onClose();
          if (newName !== name) onRenamed(newName);
        }}
      />
    );
  if (dialog === "clear") return <ClearQueueDialog queue={q} onClose={onClose} />;
  if (dialog === "delete")
    return (
      <DeleteQueueDialog
        queue={q}
        onClose={onClose}
        onDeleted={() => {
          onClose();
          onRenamed(null);
        }}
      />
    );
  return null;
}
