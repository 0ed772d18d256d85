// Dialogs of the queues page: create, rename (and retag), clear, delete.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, del, patch, post } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import { ErrorBox } from "../../components/feedback";
import { DialogFooter, Modal } from "../../components/Modal";
import { useToast } from "../../components/toast";
import type { Queue, QueueCleared } from "../../api/types";
import { queuePath } from "./queuePath";

const splitTags = (s: string) => [...new Set(s.split(",").map((t) => t.trim()).filter(Boolean))];

function useRefreshQueues() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: queryKeys.queues.all });
    void client.invalidateQueries({ queryKey: queryKeys.queue.all });
  };
}

/** Name and tags of a new queue, or of an existing one (``queue``). */
export function QueueFormDialog({ queue, onClose, onDone }: { queue?: Queue; onClose: () => void; onDone: (name: string) => void }) {
  const [name, setName] = useState(queue?.name ?? "");
  const [tags, setTags] = useState(queue?.tags.join(", ") ?? "");
  const refresh = useRefreshQueues();
  const toast = useToast();
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), tags: splitTags(tags) };
      if (!queue) return post<Queue>("/queues", body);
      return patch<Queue>(queuePath(queue.name), queue.builtin ? { tags: body.tags } : body);
    },
    onSuccess: (saved) => {
      refresh();
      toast(queue ? `Queue ${saved.name} saved` : `Queue ${saved.name} created`);
      onDone(saved.name);
    },
  });
  const title = queue ? `Rename queue ${queue.name}` : "New queue";
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={<DialogFooter action={queue ? "Save" : "Create"} form="queue-form" disabled={!name.trim() || save.isPending} onClose={onClose} />}
    >
      <form
        id="queue-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) save.mutate();
        }}
      >
        <label>
          Name
          <input aria-label="Queue name" autoFocus value={name} disabled={queue?.builtin} maxLength={255} onChange={(e) => setName(e.target.value)} />
          <span className="muted small">Letters, digits and _ . @ + = , - (it appears in URLs and on the agent's command line).</span>
        </label>
        <label>
          Tags (comma separated)
          <input aria-label="Queue tags" value={tags} onChange={(e) => setTags(e.target.value)} />
        </label>
      </form>
      <ErrorBox error={save.error} title={queue ? "Could not save the queue" : "Could not create the queue"} />
    </Modal>
  );
}

export function ClearQueueDialog({ queue, onClose }: { queue: Queue; onClose: () => void }) {
  const refresh = useRefreshQueues();
  const toast = useToast();
  const clear = useMutation({
    mutationFn: () => post<QueueCleared>(`${queuePath(queue.name)}:clear`),
    onSuccess: ({ removed }) => {
      refresh();
      toast(`${removed} task${removed === 1 ? "" : "s"} taken out of ${queue.name} (back to draft)`);
      onClose();
    },
  });
  return (
    <Modal
      title={`Clear queue ${queue.name}`}
      onClose={onClose}
      footer={<DialogFooter action="Clear queue" tone="danger-fill" disabled={clear.isPending} onClose={onClose} onAction={() => clear.mutate()} />}
    >
      <p>
        Take all {queue.pending} waiting task{queue.pending === 1 ? "" : "s"} out of <strong>{queue.name}</strong>? They go
        back to draft; tasks already taken by a worker keep running.
      </p>
      <ErrorBox error={clear.error} title="Could not clear the queue" />
    </Modal>
  );
}

export function DeleteQueueDialog({ queue, onClose, onDeleted }: { queue: Queue; onClose: () => void; onDeleted: () => void }) {
  const refresh = useRefreshQueues();
  const toast = useToast();
  const [force, setForce] = useState(false);
  const remove = useMutation({
    mutationFn: () => del(queuePath(queue.name), force ? { force: true } : undefined),
    onSuccess: () => {
      refresh();
      toast(`Queue ${queue.name} deleted`);
      onDeleted();
    },
  });
  // a task enqueued since the page loaded: the hub refuses without force, and says so
  const refused = remove.error instanceof ApiError && remove.error.status === 409;
  const needsForce = queue.pending > 0 || refused;
  return (
    <Modal
      title={`Delete queue ${queue.name}`}
      onClose={onClose}
      footer={
        <DialogFooter
          action="Delete queue"
          tone="danger-fill"
          disabled={remove.isPending || (needsForce && !force)}
          onClose={onClose}
          onAction={() => remove.mutate()}
        />
      }
    >
      <p>
        Delete the queue <strong>{queue.name}</strong>? Agents that serve it stop finding tasks in it.
      </p>
      {needsForce && (
        <label className="inline force">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
          Also take out its waiting tasks{queue.pending ? ` (${queue.pending})` : ""}: they go back to draft
        </label>
      )}
      <ErrorBox error={remove.error} title="Could not delete the queue" />
    </Modal>
  );
}
