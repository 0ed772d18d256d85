// A row's context menu (right-click): the actions its status allows (the task's
// ``allowed_actions``), with the same dialogs and calls as the experiment page. Arrow
// keys move between the items, Enter picks one, Escape or a click elsewhere closes it.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import { queryKeys } from "../../api/queryKeys";
import type { TaskBrief } from "../../api/types";
import { CloneDialog, EnqueueDialog, PublishDialog, TagsDialog } from "../../actions/dialogs";
import {
  abortTasks,
  archiveTasks,
  cloneTask,
  describeResult,
  enqueueTasks,
  publishTasks,
  resetTasks,
  tagTasks,
  type BulkResult,
} from "../../actions/taskActions";
import { ConfirmDialog } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { allows, resetNeedsForce } from "../task/taskStatus";
import { canCompare } from "./selection";

export interface MenuAt {
  task: TaskBrief;
  x: number;
  y: number;
}

type Dialog = "enqueue" | "abort" | "reset" | "clone" | "publish" | "tags";

interface Item {
  label: string;
  run: () => void;
  disabled?: boolean;
  title?: string;
  href?: string;
}

function Menu({ at, items, onClose }: { at: MenuAt; items: (Item | "-")[]; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState({ left: at.x, top: at.y });
  // inside the window, and the first item focused for the keyboard
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const { width, height } = el.getBoundingClientRect();
    setPos({ left: Math.max(4, Math.min(at.x, window.innerWidth - width - 4)), top: Math.max(4, Math.min(at.y, window.innerHeight - height - 4)) });
    el.querySelector<HTMLElement>("[role=menuitem]:not([aria-disabled=true])")?.focus();
  }, [at]);
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const gone = () => onClose();
    document.addEventListener("mousedown", away);
    window.addEventListener("resize", gone);
    window.addEventListener("blur", gone);
    return () => {
      document.removeEventListener("mousedown", away);
      window.removeEventListener("resize", gone);
      window.removeEventListener("blur", gone);
    };
  }, [onClose]);
  const onKeyDown = (e: React.KeyboardEvent) => {
    // the menu's keys are its own: the table's shortcuts do not see them
    e.stopPropagation();
    const entries = [...(ref.current?.querySelectorAll<HTMLElement>("[role=menuitem]:not([aria-disabled=true])") ?? [])];
    const i = entries.indexOf(document.activeElement as HTMLElement);
    const go = (j: number) => entries[(j + entries.length) % entries.length]?.focus();
    if (e.key === "Escape" || e.key === "Tab") {
      e.preventDefault();
      onClose();
    } else if (e.key === "ArrowDown") {
      e.preventDefault();
      go(i + 1);
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      go(i - 1);
    } else if (e.key === "Home") {
      e.preventDefault();
      go(0);
    } else if (e.key === "End") {
      e.preventDefault();
      go(entries.length - 1);
    }
  };
  return (
    <div
      ref={ref}
      className="xp-menu"
      role="menu"
      aria-label={`Actions on ${at.task.name}`}
      style={pos}
      onKeyDown={onKeyDown}
      onContextMenu={(e) => e.preventDefault()}
    >
      {items.map((item, i) =>
        item === "-" ? (
          <hr key={i} />
        ) : item.href ? (
          <a key={item.label} role="menuitem" href={item.href} target="_blank" rel="noreferrer" tabIndex={-1} onClick={onClose}>
            {item.label}
          </a>
        ) : (
          <button
            key={item.label}
            role="menuitem"
            tabIndex={-1}
            aria-disabled={item.disabled || undefined}
            title={item.title}
            onClick={() => {
              if (item.disabled) return;
              onClose();
              item.run();
            }}
          >
            {item.label}
          </button>
        ),
      )}
    </div>
  );
}

export function RowActions({
  menu,
  onCloseMenu,
  selectedIds,
  projectName,
}: {
  menu: MenuAt | null;
  onCloseMenu: () => void;
  /** the table's selection, for "Compare with selection" */
  selectedIds: string[];
  /** a project's name by id (the clone goes to the same project by default) */
  projectName: (id: string) => string;
}) {
  const [dialog, setDialog] = useState<{ kind: Dialog; task: TaskBrief } | null>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const toast = useToast();
  const client = useQueryClient();
  const close = () => setDialog(null);

  const run = async (verb: string, act: () => Promise<BulkResult>) => {
    setBusy(true);
    try {
      const result = await act();
      toast(describeResult(result, verb), result.failed.length ? "error" : "info");
    } catch (e) {
      toast((e as Error).message, "error");
    } finally {
      setBusy(false);
      setDialog(null);
      void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
      void client.invalidateQueries({ queryKey: queryKeys.projects.all });
    }
  };

  const items = (t: TaskBrief): (Item | "-")[] => {
    const ask = (kind: Dialog) => () => setDialog({ kind, task: t });
    const compareIds = [...new Set([...selectedIds, t.id])];
    const out: (Item | "-")[] = [
      { label: "Open", run: () => navigate(`/experiments/${t.id}`) },
      { label: "Open in new tab", run: () => undefined, href: `/experiments/${t.id}` },
      {
        label: "Compare with selection",
        run: () => navigate(`/compare?ids=${compareIds.join(",")}`),
        disabled: !canCompare(compareIds.length),
        title: canCompare(compareIds.length) ? undefined : "Select 1 to 9 other experiments first",
      },
      "-",
    ];
    if (allows(t, "enqueue")) out.push({ label: "Enqueue…", run: ask("enqueue") });
    if (allows(t, "abort")) out.push({ label: "Abort…", run: ask("abort") });
    if (allows(t, "reset")) out.push({ label: "Reset…", run: ask("reset") });
    if (allows(t, "clone")) out.push({ label: "Clone…", run: ask("clone") });
    if (allows(t, "publish")) out.push({ label: "Publish…", run: ask("publish") });
    if (allows(t, "archive")) out.push({ label: "Archive", run: () => void run("archived", () => archiveTasks([t.id], true)) });
    if (allows(t, "unarchive")) out.push({ label: "Restore", run: () => void run("restored", () => archiveTasks([t.id], false)) });
    out.push({ label: "Tags…", run: ask("tags") }, "-", {
      label: "Copy ID",
      run: () => {
        if (!navigator.clipboard) {
          toast(`The ID is ${t.id}`);
          return;
        }
        navigator.clipboard.writeText(t.id).then(
          () => toast(`Copied ${t.id}`),
          () => toast(`The browser refused the clipboard; the ID is ${t.id}`, "error"),
        );
      },
    });
    return out;
  };

  const t = dialog?.task;
  const ids = t ? [t.id] : [];
  return (
    <>
      {menu && <Menu at={menu} items={items(menu.task)} onClose={onCloseMenu} />}
      {dialog?.kind === "enqueue" && <EnqueueDialog count={1} onClose={close} onConfirm={(queue, position) => run("enqueued", () => enqueueTasks(ids, queue, position))} />}
      {dialog?.kind === "tags" && t && <TagsDialog count={1} onClose={close} onConfirm={(add, remove) => run("tagged", () => tagTasks([t], add, remove))} />}
      {dialog?.kind === "publish" && <PublishDialog count={1} onClose={close} onConfirm={(models) => run("published", () => publishTasks(ids, models))} />}
      {dialog?.kind === "clone" && t && (
        <CloneDialog
          name={t.name}
          projectName={projectName(t.project_id)}
          onClose={close}
          onConfirm={async (body) => {
            const copy = await cloneTask(t.id, body);
            setDialog(null);
            toast(`Cloned as ${copy.name}`);
            void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
            void client.invalidateQueries({ queryKey: queryKeys.projects.all });
          }}
        />
      )}
      {dialog?.kind === "abort" && t && (
        <ConfirmDialog title={`Abort ${t.name}`} action="Abort" busy={busy} onClose={close} onConfirm={() => void run("aborted", () => abortTasks(ids))}>
          <p>A running experiment stops when it next reports; a queued one leaves its queue. What it reported so far is kept.</p>
        </ConfirmDialog>
      )}
      {dialog?.kind === "reset" && t && (
        <ConfirmDialog
          title={`Reset ${t.name}`}
          action={resetNeedsForce(t.status) ? "Force reset" : "Reset"}
          busy={busy}
          onClose={close}
          onConfirm={() => void run("reset", () => resetTasks(ids, resetNeedsForce(t.status)))}
        >
          <p>A reset experiment goes back to a draft: its metrics, logs, plots and output artifacts are deleted.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
