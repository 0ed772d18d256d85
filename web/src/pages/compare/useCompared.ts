// The compared tasks: each fetched on its own (an unknown id is a 404 of its own), under
// ["compare", ...] so that the page follows the change stream.
import { useQueries, type UseQueryResult } from "@tanstack/react-query";
import { useMemo } from "react";
import { ApiError, get } from "../../api/client";
import type { TaskOut } from "../../api/types";
import { colorOf } from "../../charts/LineChart";
import { taskLabels } from "./compare";

export interface Compared {
  id: string;
  /** loaded; undefined while loading or when it failed */
  task?: TaskOut;
  missing: boolean;
  error: unknown;
  pending: boolean;
  label: string;
  color: string;
}

export function useCompared(ids: readonly string[]): Compared[] {
  const results: UseQueryResult<TaskOut>[] = useQueries({
    queries: ids.map((id) => ({
      queryKey: ["compare", "task", id],
      queryFn: ({ signal }: { signal: AbortSignal }) => get<TaskOut>(`/tasks/${id}`, undefined, signal),
    })),
  });
  const tasks = results.map((r) => r.data);
  const key = JSON.stringify([ids, tasks.map((t) => (t ? [t.id, t.name, t.last_update] : null)), results.map((r) => String(r.error ?? ""))]);
  return useMemo(() => {
    const labels = taskLabels(ids.map((id, i) => ({ id, name: tasks[i]?.name ?? id })));
    return ids.map((id, i) => ({
      id,
      task: tasks[i],
      missing: results[i].error instanceof ApiError && results[i].error.status === 404,
      error: results[i].error,
      pending: results[i].isPending,
      label: labels[i],
      color: colorOf(i),
    }));
    // `key` stands for the ids, the tasks and their errors: the same key, the same array
  }, [key]);
}
