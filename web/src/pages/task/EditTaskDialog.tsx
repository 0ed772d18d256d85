// Rename an experiment, change its comment and tags (PATCH /tasks/{id}, only the fields changed).
import { useState } from "react";
import { patch } from "../../api/client";
import type { TaskOut } from "../../api/types";
import { ErrorBox } from "../../components/feedback";
import { DialogFooter, Modal } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { useTaskUpdated } from "./useTaskQueries";
import { useSubmit } from "../../components/useSubmit";

const splitTags = (s: string) => [...new Set(s.split(",").map((t) => t.trim()).filter(Boolean))];

export function EditTaskDialog({ task, onClose }: { task: TaskOut; onClose: () => void }) {
  const [name, setName] = useState(task.name);
  const [comment, setComment] = useState(task.comment);
  const [tags, setTags] = useState(task.tags.join(", "));
  const { busy, error, run } = useSubmit();
  const updated = useTaskUpdated();
  const toast = useToast();
  // a published task keeps its name (the hub refuses it)
  const published = task.status === "published";

  const save = async () => {
    const body: Record<string, unknown> = {};
    if (name.trim() !== task.name) body.name = name.trim();
    if (comment !== task.comment) body.comment = comment;
    const newTags = splitTags(tags);
    if (JSON.stringify(newTags) !== JSON.stringify(task.tags)) body.tags = newTags;
    if (!Object.keys(body).length) return onClose();
    await run(async () => {
      updated(await patch<TaskOut>(`/tasks/${task.id}`, body));
      toast("Saved");
      onClose();
    });
  };

  return (
    <Modal
      title="Edit experiment"
      onClose={onClose}
      footer={<DialogFooter action="Save" disabled={busy || !name.trim()} onClose={onClose} onAction={() => void save()} />}
    >
      <label>
        Name
        <input aria-label="Name" value={name} disabled={published} maxLength={255} onChange={(e) => setName(e.target.value)} />
      </label>
      {published && <div className="muted small">A published experiment keeps its name.</div>}
      <label>
        Comment
        <textarea aria-label="Comment" value={comment} onChange={(e) => setComment(e.target.value)} />
      </label>
      <label>
        Tags (comma separated)
        <input aria-label="Tags" value={tags} onChange={(e) => setTags(e.target.value)} />
      </label>
      <ErrorBox error={error} title="Could not save" />
    </Modal>
  );
}
