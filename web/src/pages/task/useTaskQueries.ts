// After a change made on the experiment page: the hub's answer goes in the cache at once
// (the change stream refreshes the other views).
import { useQueryClient } from "@tanstack/react-query";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { TaskOut } from "../../api/types";

/** Put the hub's answer in the cache and refresh the lists. */
export function useTaskUpdated() {
  const client = useQueryClient();
  return (task: TaskOut) => {
    client.setQueryData(queries.task(task.id).queryKey, task);
    void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
  };
}
