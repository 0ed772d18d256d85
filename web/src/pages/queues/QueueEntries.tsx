// A queue's waiting tasks in the order they will run. Rows are dragged to reorder (HTML5
// drag and drop), or moved with the buttons; the order shown at once is the one the hub
// answers with in the end.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { del, post } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import { Empty } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import { useToast } from "../../components/toast";
import { formatDuration, formatTime } from "../../lib/format";
import type { QueueDetail } from "../../api/types";
import { dropIndex, dropSide, withMove, withoutEntry } from "./reorder";
import { queuePath } from "./queuePath";

function useEntryChanges(name: string) {
  const client = useQueryClient();
  const toast = useToast();
  const key = queries.queue(name).queryKey;
  const optimistic = async (change: (d: QueueDetail) => QueueDetail) => {
    await client.cancelQueries({ queryKey: key });
    const before = client.getQueryData(key);
    if (before) client.setQueryData(key, change(before));
    return { before };
  };
  const settle = {
    onError: (e: Error, _v: unknown, ctx: { before?: QueueDetail } | undefined) => {
      if (ctx?.before) client.setQueryData(key, ctx.before);
      toast(e.message, "error");
    },
    onSettled: () => {
      void client.invalidateQueries({ queryKey: key });
      void client.invalidateQueries({ queryKey: queryKeys.queues.all });
    },
  };
  const move = useMutation({
    mutationFn: ({ taskId, index }: { taskId: string; index: number }) =>
      post<QueueDetail>(`${queuePath(name)}:reorder`, { task_id: taskId, index }),
    onMutate: ({ taskId, index }) => optimistic((d) => withMove(d, taskId, index)),
    onSuccess: (detail: QueueDetail) => client.setQueryData(key, detail),
    ...settle,
  });
  const remove = useMutation({
    mutationFn: (taskId: string) => del(`${queuePath(name)}/entries/${taskId}`),
    onMutate: (taskId) => optimistic((d) => withoutEntry(d, taskId)),
    onSuccess: () => toast("Task taken out of the queue (back to draft)"),
    ...settle,
  });
  return { move, remove };
}

export function QueueEntries({ queue }: { queue: QueueDetail }) {
  const { move, remove } = useEntryChanges(queue.name);
  const users = useQuery(queries.users());
  const userName = new Map((users.data ?? []).map((u) => [u.id, u.name]));
  const [dragFrom, setDragFrom] = useState<number | null>(null);
  const [over, setOver] = useState<number | null>(null);
  const entries = queue.entries;
  const endDrag = () => {
    setDragFrom(null);
    setOver(null);
  };
  const moveTo = (taskId: string, index: number) => move.mutate({ taskId, index });

  if (entries.length === 0) {
    return (
      <Empty title="No task is waiting">
        Enqueue a draft from its page or the experiments table, or with <code>corral task enqueue ID --queue {queue.name}</code>.
      </Empty>
    );
  }
  return (
    <table className="grid queue-entries" aria-label="Waiting tasks">
      <thead>
        <tr>
          <th aria-label="Drag handle" />
          <th>#</th>
          <th>Task</th>
          <th>Status</th>
          <th>Enqueued</th>
          <th>Waited</th>
          <th>User</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e, i) => {
          const side = dragFrom !== null && over === i ? dropSide(dragFrom, i) : null;
          return (
            <tr
              key={e.task_id}
              draggable
              data-testid="queue-entry"
              data-task-id={e.task_id}
              className={[dragFrom === i ? "dragging" : "", side ? `drop-${side}` : ""].join(" ").trim() || undefined}
              onDragStart={(ev) => {
                setDragFrom(i);
                ev.dataTransfer.effectAllowed = "move";
                ev.dataTransfer.setData("text/plain", e.task_id);
              }}
              onDragOver={(ev) => {
                if (dragFrom === null) return;
                ev.preventDefault();
                ev.dataTransfer.dropEffect = "move";
                if (over !== i) setOver(i);
              }}
              onDrop={(ev) => {
                ev.preventDefault();
                if (dragFrom !== null && dragFrom !== i) moveTo(entries[dragFrom].task_id, dropIndex(i, entries.length));
                endDrag();
              }}
              onDragEnd={endDrag}
            >
              <td className="drag-handle" aria-hidden="true" title="Drag to reorder">
                ⠿
              </td>
              <td>{i + 1}</td>
              <td>
                <Link to={`/experiments/${e.task_id}`} draggable={false}>
                  {e.task_name}
                </Link>
              </td>
              <td>
                <StatusBadge status={e.status} />
              </td>
              <td className="nowrap small">{formatTime(e.enqueued_at)}</td>
              <td>{formatDuration(e.wait)}</td>
              <td>{e.user_id ? (userName.get(e.user_id) ?? "—") : "—"}</td>
              <td className="entry-actions">
                <button disabled={i === 0} onClick={() => moveTo(e.task_id, 0)}>
                  Move to top
                </button>
                <button className="icon-small" aria-label="Move up" disabled={i === 0} onClick={() => moveTo(e.task_id, i - 1)}>
                  ↑
                </button>
                <button className="icon-small" aria-label="Move down" disabled={i === entries.length - 1} onClick={() => moveTo(e.task_id, i + 1)}>
                  ↓
                </button>
                <button className="danger" onClick={() => remove.mutate(e.task_id)}>
                  Remove
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
