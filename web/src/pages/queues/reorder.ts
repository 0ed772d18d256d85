// The order of a queue's entries: where a dragged row lands, and the list the hub will
// answer with (shown at once, before the hub confirms).
import type { QueueDetail, QueueEntry } from "../../api/types";

/**
 * The list with the item at ``from`` moved to index ``to`` (the hub's ``:reorder``
 * semantics: the item is taken out, then put at ``to``; out-of-range ``to`` clamps).
 */
export function moveItem<T>(items: readonly T[], from: number, to: number): T[] {
  if (from < 0 || from >= items.length) return [...items];
  const rest = items.filter((_, i) => i !== from);
  const at = to < 0 ? rest.length + 1 + to : to;
  rest.splice(Math.max(0, Math.min(at, rest.length)), 0, items[from]);
  return rest;
}

/**
 * The index a dragged row dropped on the row at ``over`` goes to: it takes that row's
 * place (the rows between shift by one), like sortable lists do.
 */
export function dropIndex(over: number, length: number): number {
  if (length <= 0) return 0;
  return Math.max(0, Math.min(over, length - 1));
}

/** Where a drop indicator goes: above the row when moving up, below it when moving down. */
export function dropSide(from: number, over: number): "above" | "below" | null {
  if (from === over) return null;
  return over < from ? "above" : "below";
}

/** The queue with ``taskId`` moved to ``index`` and the positions renumbered. */
export function withMove(detail: QueueDetail, taskId: string, index: number): QueueDetail {
  const from = detail.entries.findIndex((e) => e.task_id === taskId);
  if (from < 0) return detail;
  const entries: QueueEntry[] = moveItem(detail.entries, from, index).map((e, i) => ({ ...e, index: i }));
  return { ...detail, entries };
}

/** The queue without ``taskId`` (taken out, back to draft). */
export function withoutEntry(detail: QueueDetail, taskId: string): QueueDetail {
  const entries = detail.entries.filter((e) => e.task_id !== taskId).map((e, i) => ({ ...e, index: i }));
  return { ...detail, entries, pending: entries.length };
}
