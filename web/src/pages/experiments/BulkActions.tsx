// Actions on the selected rows: abort, enqueue, reset, archive or restore, tags, compare.
// Each goes on past a task the hub refuses, and a toast tells what was done.
import { useQueryClient } from "@tanstack/react-query";
import { queryKeys } from "../../api/queryKeys";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import type { TaskBrief } from "../../api/types";
import { EnqueueDialog, TagsDialog } from "../../actions/dialogs";
import {
  abortTasks,
  archiveTasks,
  describeResult,
  enqueueTasks,
  resetTasks,
  tagTasks,
  type BulkResult,
} from "../../actions/taskActions";
import { ConfirmDialog } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { canCompare } from "./selection";

type Dialog = "enqueue" | "abort" | "reset" | "tags" | null;

export function BulkActions({
  selected,
  archiveView,
  onDone,
}: {
  /** the selected tasks that are loaded, in table order */
  selected: TaskBrief[];
  /** the table lists the archive: Restore instead of Archive */
  archiveView: boolean;
  /** after an action that takes rows out of the list (archive, restore) */
  onDone: (clear: boolean) => void;
}) {
  const client = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState(false);
  const ids = selected.map((t) => t.id);
  const n = ids.length;

  const run = async (verb: string, act: () => Promise<BulkResult>, clear = false) => {
    setBusy(true);
    try {
      const result = await act();
      toast(describeResult(result, verb), result.failed.length ? "error" : "info");
      onDone(clear && result.failed.length === 0);
    } catch (e) {
      toast((e as Error).message, "error");
    } finally {
      setBusy(false);
      setDialog(null);
      void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
      void client.invalidateQueries({ queryKey: queryKeys.projects.all });
    }
  };

  const none = n === 0 || busy;
  return (
    <div className="row xp-actions" role="toolbar" aria-label="Actions on the selected experiments">
      <span className="muted" data-testid="selected-count">
        {n ? `${n.toLocaleString()} selected` : "Select experiments to act on them"}
      </span>
      <button disabled={none} onClick={() => setDialog("abort")}>
        Abort…
      </button>
      <button disabled={none} onClick={() => setDialog("enqueue")}>
        Enqueue…
      </button>
      <button disabled={none} onClick={() => setDialog("reset")}>
        Reset…
      </button>
      {archiveView ? (
        <button disabled={none} onClick={() => void run("restored", () => archiveTasks(ids, false), true)}>
          Restore
        </button>
      ) : (
        <button disabled={none} onClick={() => void run("archived", () => archiveTasks(ids, true), true)}>
          Archive
        </button>
      )}
      <button disabled={none} onClick={() => setDialog("tags")}>
        Tags…
      </button>
      <button
        disabled={busy || !canCompare(n)}
        title={canCompare(n) ? undefined : "Select 2 to 12 experiments to compare them"}
        onClick={() => navigate(`/compare?ids=${ids.join(",")}`)}
      >
        Compare
      </button>
      {dialog === "enqueue" && (
        <EnqueueDialog
          count={n}
          onClose={() => setDialog(null)}
          onConfirm={(queue, position) => run("enqueued", () => enqueueTasks(ids, queue, position))}
        />
      )}
      {dialog === "tags" && (
        <TagsDialog count={n} onClose={() => setDialog(null)} onConfirm={(add, remove) => run("tagged", () => tagTasks(selected, add, remove))} />
      )}
      {dialog === "abort" && (
        <ConfirmDialog
          title={`Abort ${n} experiment${n === 1 ? "" : "s"}`}
          action="Abort"
          busy={busy}
          onClose={() => setDialog(null)}
          onConfirm={() => void run("aborted", () => abortTasks(ids))}
        >
          <p>
            Running experiments stop when they next report; queued ones leave their queue. What they reported so far is kept. Only
            running and queued experiments can be aborted.
          </p>
        </ConfirmDialog>
      )}
      {dialog === "reset" && (
        <ConfirmDialog
          title={`Reset ${n} experiment${n === 1 ? "" : "s"}`}
          action="Reset"
          busy={busy}
          onClose={() => setDialog(null)}
          onConfirm={() => void run("reset", () => resetTasks(ids))}
        >
          <p>
            A reset experiment goes back to a draft: its metrics, logs, plots and output artifacts are deleted. Running ones must be
            aborted first.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
