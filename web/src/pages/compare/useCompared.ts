// The compared tasks: each fetched on its own (an unknown id is a 404 of its own), under
// queryKeys.compare so that the page follows the change stream.
import { useQueries, type UseQueryResult } from "@tanstack/react-query";
import { useCallback } from "react";
import { ApiError, get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
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

/** ``ids`` must keep its identity while it holds the same ids (the page memoizes it). */
export function useCompared(ids: readonly string[]): Compared[] {
  // the query observer re-runs `combine` only when a result (or `combine`) changes, and
  // keeps the previous array when the new one is deeply equal: the same tasks, the same array
  const combine = useCallback(
    (results: UseQueryResult<TaskOut>[]): Compared[] => {
      const labels = taskLabels(ids.map((id, i) => ({ id, name: results[i]?.data?.name ?? id })));
      return ids.map((id, i) => ({
        id,
        task: results[i].data,
        missing: results[i].error instanceof ApiError && results[i].error.status === 404,
        error: results[i].error,
        pending: results[i].isPending,
        label: labels[i],
        color: colorOf(i),
      }));
    },
    [ids],
  );
  return useQueries({
    queries: ids.map((id) => ({
      queryKey: queryKeys.compare.task(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => get<TaskOut>(`/tasks/${id}`, undefined, signal),
    })),
    combine,
  });
}
