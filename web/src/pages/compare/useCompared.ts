// The compared tasks, all in ONE request (``GET /tasks?id=..&id=..`` with their
// hyperparameters and last metrics, archived or not); an id the hub does not return is
// unknown (deleted, or not visible to the user). Under queryKeys.compare so that the page
// follows the change stream.
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { TaskBrief, TaskPage } from "../../api/types";
import { taskLabels } from "./compare";
import { runColor } from "./palette";

export interface Compared {
  id: string;
  /** loaded; undefined while loading or when it failed */
  task?: TaskBrief;
  missing: boolean;
  error: unknown;
  pending: boolean;
  label: string;
  /** the run's colour, the same in every section of the page */
  color: string;
}

/** The path (and query) of the one request for ``ids``: ``archived=`` (empty) means either. */
export function comparedTasksPath(ids: readonly string[]): string {
  const q = new URLSearchParams(ids.map((id) => ["id", id]));
  q.set("include_hyperparams", "true");
  q.set("archived", "");
  q.set("limit", String(Math.max(1, ids.length)));
  return `/tasks?${q.toString()}`;
}

/** ``ids`` must keep its identity while it holds the same ids (the page memoizes it). */
export function useCompared(ids: readonly string[]): Compared[] {
  const query = useQuery({
    queryKey: queryKeys.compare.tasks(ids),
    queryFn: ({ signal }) => get<TaskPage>(comparedTasksPath(ids), undefined, signal),
    enabled: ids.length > 0,
  });
  const { data, error, isPending } = query;
  return useMemo(() => {
    const byId = new Map((data?.items ?? []).map((t) => [t.id, t]));
    const labels = taskLabels(ids.map((id) => ({ id, name: byId.get(id)?.name ?? id })));
    return ids.map((id, i) => ({
      id,
      task: byId.get(id),
      missing: !!data && !byId.has(id),
      error: data ? null : error,
      pending: isPending,
      label: labels[i],
      color: runColor(i),
    }));
  }, [ids, data, error, isPending]);
}
