// The table's rows: pages of GET /tasks chained by next_cursor. The key is under
// queryKeys.tasks, so a change streamed by the hub refreshes the loaded pages.
import { useInfiniteQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { TaskBrief, TaskPage } from "../../api/types";
import { listParams, type TableQuery } from "./urlState";

/** The first page is small to show rows soon; the next ones are larger to scroll far. */
export const FIRST_PAGE = 100;
export const NEXT_PAGE = 250;

export function useTaskPages(query: TableQuery, projectId: string | undefined, hyperparams: boolean) {
  const pages = useInfiniteQuery({
    queryKey: queryKeys.tasks.table(projectId, query, hyperparams),
    queryFn: ({ pageParam, signal }) =>
      get<TaskPage>(
        "/tasks",
        listParams(query, { projectId, cursor: pageParam, limit: pageParam ? NEXT_PAGE : FIRST_PAGE, hyperparams }),
        signal,
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    // a new sort or filter keeps the old rows on screen until the new ones arrive
    placeholderData: (previous) => previous,
  });
  const rows = useMemo(() => {
    // a task that moved between pages while they refreshed shows once
    const seen = new Set<string>();
    const out: TaskBrief[] = [];
    for (const page of pages.data?.pages ?? []) {
      for (const task of page.items) {
        if (!seen.has(task.id)) {
          seen.add(task.id);
          out.push(task);
        }
      }
    }
    return out;
  }, [pages.data]);
  const total = pages.data?.pages[0]?.total ?? null;
  return { ...pages, rows, total };
}
