// The experiment's action buttons: only those its status allows (see taskStatus.ts).
// Each refusal of the hub shows as a toast.
import { useQueryClient } from "@tanstack/react-query";
import { queryKeys } from "../../api/queryKeys";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import type { TaskOut } from "../../api/types";
import { CloneDialog, EnqueueDialog, PublishDialog, TagsDialog } from "../../actions/dialogs";
import {
  abortTasks,
  archiveTasks,
  cloneTask,
  dequeueTasks,
  enqueueTasks,
  publishTasks,
  resetTasks,
  tagTasks,
  type BulkResult,
} from "../../actions/taskActions";
import { ConfirmDialog } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { useShortcuts } from "../../lib/shortcuts";
import { EditTaskDialog } from "./EditTaskDialog";
import { allows, resetNeedsForce } from "./taskStatus";

type Dialog = "enqueue" | "clone" | "tags" | "abort" | "reset" | "edit" | "publish" | null;

export function TaskActions({ task, projectName }: { task: TaskOut; projectName: string }) {
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const client = useQueryClient();
  const navigate = useNavigate();

  const run = async (act: () => Promise<BulkResult>, done: string, failed: string): Promise<boolean> => {
    setBusy(true);
    try {
      const result = await act();
      if (result.failed.length) {
        toast(`${failed}: ${result.failed[0].error}`, "error");
        return false;
      }
      toast(done);
      return true;
    } finally {
      setBusy(false);
      void client.invalidateQueries({ queryKey: queryKeys.task.one(task.id) });
      void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
    }
  };
  const ids = [task.id];
  const close = () => setDialog(null);
  useShortcuts(
    "Experiment",
    allows(task, "enqueue") ? [{ key: "e", description: "Enqueue this experiment", run: () => !busy && setDialog("enqueue") }] : [],
  );

  return (
    <div className="task-actions" role="toolbar" aria-label="Experiment actions">
      {allows(task, "enqueue") && (
        <button className="primary" disabled={busy} onClick={() => setDialog("enqueue")}>
          Enqueue
        </button>
      )}
      {allows(task, "dequeue") && (
        <button disabled={busy} onClick={() => run(() => dequeueTasks(ids), "Taken out of the queue", "Could not dequeue")}>
          Dequeue
        </button>
      )}
      {allows(task, "abort") && (
        <button className="danger" disabled={busy} onClick={() => setDialog("abort")}>
          Abort…
        </button>
      )}
      {allows(task, "reset") && (
        <button disabled={busy} onClick={() => setDialog("reset")}>
          Reset
        </button>
      )}
      {allows(task, "publish") && (
        <button disabled={busy} onClick={() => setDialog("publish")}>
          Publish…
        </button>
      )}
      {allows(task, "clone") && (
        <button disabled={busy} onClick={() => setDialog("clone")}>
          Clone
        </button>
      )}
      <button disabled={busy} onClick={() => setDialog("edit")}>
        Edit details
      </button>
      <button disabled={busy} onClick={() => setDialog("tags")}>
        Tags
      </button>
      {allows(task, "archive") && (
        <button disabled={busy} onClick={() => run(() => archiveTasks(ids, true), "Archived", "Could not archive")}>
          Archive
        </button>
      )}
      {allows(task, "unarchive") && (
        <button disabled={busy} onClick={() => run(() => archiveTasks(ids, false), "Restored from the archive", "Could not restore")}>
          Restore
        </button>
      )}

      {dialog === "enqueue" && (
        <EnqueueDialog
          count={1}
          onClose={close}
          onConfirm={async (queue, position) => {
            if (await run(() => enqueueTasks(ids, queue, position), `Enqueued in ${queue}`, "Could not enqueue")) close();
          }}
        />
      )}
      {dialog === "clone" && (
        <CloneDialog
          name={task.name}
          projectName={projectName}
          onClose={close}
          onConfirm={async (body) => {
            const clone = await cloneTask(task.id, body); // the dialog shows a refusal
            void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
            void client.invalidateQueries({ queryKey: queryKeys.projects.all });
            close();
            toast(`Cloned as ${clone.name}`);
            navigate(`/experiments/${clone.id}`);
          }}
        />
      )}
      {dialog === "tags" && (
        <TagsDialog
          count={1}
          onClose={close}
          onConfirm={async (add, remove) => {
            if (await run(() => tagTasks([task], add, remove), "Tags saved", "Could not change the tags")) close();
          }}
        />
      )}
      {dialog === "edit" && <EditTaskDialog task={task} onClose={close} />}
      {dialog === "publish" && (
        <PublishDialog
          count={1}
          onClose={close}
          onConfirm={async (models) => {
            const done = models ? "Published with its output models" : "Published";
            if (await run(() => publishTasks(ids, models), done, "Could not publish")) close();
          }}
        />
      )}
      {dialog === "abort" && (
        <ConfirmDialog
          title="Abort experiment"
          action="Abort"
          busy={busy}
          onClose={close}
          onConfirm={async () => {
            if (await run(() => abortTasks(ids), "Aborted", "Could not abort")) close();
          }}
        >
          <p>
            <strong>{task.name}</strong> {task.status === "queued" ? "leaves its queue" : "stops when it next reports"}. What it
            reported so far is kept.
          </p>
        </ConfirmDialog>
      )}
      {dialog === "reset" && (
        <ResetDialog
          task={task}
          onClose={close}
          onConfirm={async (force) => {
            if (await run(() => resetTasks(ids, force), "Reset to a draft", "Could not reset")) close();
          }}
        />
      )}
    </div>
  );
}

function ResetDialog({
  task,
  onClose,
  onConfirm,
}: {
  task: TaskOut;
  onClose: () => void;
  onConfirm: (force: boolean) => Promise<void>;
}) {
  const force = resetNeedsForce(task.status);
  return (
    <ConfirmDialog title="Reset experiment" action={force ? "Force reset" : "Reset"} onClose={onClose} onConfirm={() => void onConfirm(force)}>
      <p>
        <strong>{task.name}</strong> goes back to a draft. Its results are deleted: console, scalars, plots, debug
        samples, output artifacts and the list of output models.
      </p>
      {force && <p className="error-box">The task is running: a forced reset drops its run; its process stops when it next reports.</p>}
    </ConfirmDialog>
  );
}
