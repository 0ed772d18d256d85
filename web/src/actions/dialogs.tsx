// Dialogs the task actions need: pick a queue, clone with a new name and project, edit tags,
// confirm a publish (and whether the output models go with it).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { queries } from "../api/queries";
import { ErrorBox } from "../components/feedback";
import { DialogFooter, Modal } from "../components/Modal";
import { useSubmit } from "../components/useSubmit";

export function EnqueueDialog({
  count,
  onClose,
  onConfirm,
}: {
  count: number;
  onClose: () => void;
  onConfirm: (queue: string, position: "bottom" | "top") => Promise<void> | void;
}) {
  const queues = useQuery(queries.queues());
  const [queue, setQueue] = useState("default");
  const [top, setTop] = useState(false);
  const [busy, setBusy] = useState(false);
  return (
    <Modal
      title={`Enqueue ${count} task${count === 1 ? "" : "s"}`}
      onClose={onClose}
      footer={
        <DialogFooter
          action="Enqueue"
          disabled={busy || !queue}
          onClose={onClose}
          onAction={async () => {
            setBusy(true);
            try {
              await onConfirm(queue, top ? "top" : "bottom");
            } finally {
              setBusy(false);
            }
          }}
        />
      }
    >
      <ErrorBox error={queues.error} />
      <label>
        Queue
        <select aria-label="Queue" value={queue} onChange={(e) => setQueue(e.target.value)}>
          {/* until the queues arrive (or when they cannot), the default queue */}
          {!queues.data && <option value="default">default</option>}
          {queues.data?.map((q) => (
            <option key={q.id} value={q.name}>
              {q.name} — {q.pending} waiting, {q.workers.length} worker{q.workers.length === 1 ? "" : "s"}
            </option>
          ))}
        </select>
      </label>
      <label className="row">
        <input type="checkbox" checked={top} onChange={(e) => setTop(e.target.checked)} /> At the top of the queue
      </label>
    </Modal>
  );
}

export function CloneDialog({
  name,
  projectName,
  onClose,
  onConfirm,
}: {
  name: string;
  projectName: string;
  onClose: () => void;
  onConfirm: (body: { name: string; project: string }) => Promise<void> | void;
}) {
  const [newName, setNewName] = useState(`Clone of ${name}`);
  // null until edited: the project's name may arrive after the dialog opened
  const [edited, setProject] = useState<string | null>(null);
  const project = edited ?? projectName;
  const { busy, error, run } = useSubmit();
  const projects = useQuery(queries.projects());
  return (
    <Modal
      title="Clone experiment"
      onClose={onClose}
      footer={
        <DialogFooter
          action="Clone"
          disabled={busy || !newName.trim() || !project.trim()}
          onClose={onClose}
          onAction={() => void run(() => Promise.resolve(onConfirm({ name: newName.trim(), project: project.trim() })))}
        />
      }
    >
      <label>
        Name
        <input aria-label="New name" value={newName} onChange={(e) => setNewName(e.target.value)} />
      </label>
      <label>
        Project (an existing one, or a new name such as team/new-project)
        <input aria-label="Target project" list="clone-projects" value={project} onChange={(e) => setProject(e.target.value)} />
        <datalist id="clone-projects">
          {projects.data?.map((p) => <option key={p.id} value={p.name} />)}
        </datalist>
      </label>
      <ErrorBox error={error} title="Could not clone" />
    </Modal>
  );
}

/** Tags to add and to remove, comma separated. */
export function TagsDialog({
  count,
  onClose,
  onConfirm,
}: {
  count: number;
  onClose: () => void;
  onConfirm: (add: string[], remove: string[]) => Promise<void> | void;
}) {
  const [add, setAdd] = useState("");
  const [remove, setRemove] = useState("");
  const split = (s: string) => s.split(",").map((t) => t.trim()).filter(Boolean);
  return (
    <Modal
      title={`Tags of ${count} task${count === 1 ? "" : "s"}`}
      onClose={onClose}
      footer={
        <DialogFooter
          action="Apply"
          disabled={!split(add).length && !split(remove).length}
          onClose={onClose}
          onAction={() => onConfirm(split(add), split(remove))}
        />
      }
    >
      <label>
        Add tags (comma separated)
        <input aria-label="Add tags" value={add} onChange={(e) => setAdd(e.target.value)} />
      </label>
      <label>
        Remove tags
        <input aria-label="Remove tags" value={remove} onChange={(e) => setRemove(e.target.value)} />
      </label>
    </Modal>
  );
}

/**
 * Publishing cannot be undone: asks first, and offers to publish the tasks' output models
 * too (as ClearML does; on by default).
 */
export function PublishDialog({
  count,
  onClose,
  onConfirm,
}: {
  count: number;
  onClose: () => void;
  onConfirm: (publishModels: boolean) => Promise<void> | void;
}) {
  const [models, setModels] = useState(true);
  const [busy, setBusy] = useState(false);
  const what = count === 1 ? "this experiment" : `${count} experiments`;
  return (
    <Modal
      title={count === 1 ? "Publish experiment" : `Publish ${count} experiments`}
      onClose={onClose}
      footer={
        <DialogFooter
          action="Publish"
          disabled={busy}
          onClose={onClose}
          onAction={async () => {
            setBusy(true);
            try {
              await onConfirm(models);
            } finally {
              setBusy(false);
            }
          }}
        />
      }
    >
      <p>
        Publishing {what} locks it: it can no longer be edited, reset or deleted, and this cannot be undone.
      </p>
      <label className="inline">
        <input type="checkbox" checked={models} onChange={(e) => setModels(e.target.checked)} /> Also publish the output
        models
      </label>
    </Modal>
  );
}
