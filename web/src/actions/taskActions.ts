// Task actions, for one task (the experiment page) or many (the table's selection).
// A bulk action goes on past a task the hub refuses and reports each refusal.
import { patch, post } from "../api/client";
import type { TaskOut } from "../api/types";

export interface BulkResult {
  done: string[];
  failed: { id: string; error: string }[];
}

async function each(ids: string[], act: (id: string) => Promise<unknown>): Promise<BulkResult> {
  const result: BulkResult = { done: [], failed: [] };
  // a few at a time: fast for a page of tasks, gentle on the hub for thousands
  const queue = [...ids];
  const workers = Array.from({ length: Math.min(6, queue.length) }, async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        await act(id);
        result.done.push(id);
      } catch (e) {
        result.failed.push({ id, error: (e as Error).message });
      }
    }
  });
  await Promise.all(workers);
  return result;
}

export const enqueueTasks = (ids: string[], queue: string, position: "bottom" | "top" = "bottom") =>
  each(ids, (id) => post(`/tasks/${id}:enqueue`, { queue, position }));
export const abortTasks = (ids: string[]) =>
  each(ids, (id) => post(`/tasks/${id}:abort`, {})); // the hub says who: "aborted by <name>"
export const resetTasks = (ids: string[], force = false) => each(ids, (id) => post(`/tasks/${id}:reset`, { force }));
/** Publish each task; with ``publishModels`` its output models are published too. */
export const publishTasks = (ids: string[], publishModels = true) =>
  each(ids, (id) => post(`/tasks/${id}:publish`, { publish_models: publishModels }));
export const archiveTasks = (ids: string[], archived: boolean) =>
  each(ids, (id) => post(`/tasks/${id}:${archived ? "archive" : "unarchive"}`, {}));
export const dequeueTasks = (ids: string[]) => each(ids, (id) => post(`/tasks/${id}:dequeue`, {}));

/** Add and remove tags on each task (its other tags stay). */
export function tagTasks(tasks: { id: string; tags: string[] }[], add: string[], remove: string[]): Promise<BulkResult> {
  const byId = new Map(tasks.map((t) => [t.id, t.tags]));
  return each(
    tasks.map((t) => t.id),
    (id) => {
      const current = byId.get(id) ?? [];
      const tags = [...new Set([...current.filter((t) => !remove.includes(t)), ...add])];
      return patch(`/tasks/${id}`, { tags });
    },
  );
}

export const cloneTask = (id: string, body: { name?: string; project?: string; comment?: string }) =>
  post<TaskOut>(`/tasks/${id}:clone`, body);

/** "3 tasks enqueued", or "2 enqueued; 1 refused: <why>". */
export function describeResult(result: BulkResult, verb: string): string {
  const n = result.done.length;
  const ok = `${n} task${n === 1 ? "" : "s"} ${verb}`;
  if (!result.failed.length) return ok;
  const first = result.failed[0];
  return `${ok}; ${result.failed.length} refused: ${first.error}`;
}
