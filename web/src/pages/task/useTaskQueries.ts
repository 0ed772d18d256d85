// Queries the experiment page shares. Keys under ["task", id] go live with the change
// stream (web/src/live/changes.ts); others use the app's shared prefixes.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { get } from "../../api/client";
import type { Project, TaskOut } from "../../api/types";
import type { QueueInfo } from "./types";

export const taskKey = (id: string) => ["task", id] as const;

export function useTask(id: string) {
  return useQuery({ queryKey: taskKey(id), queryFn: ({ signal }) => get<TaskOut>(`/tasks/${id}`, undefined, signal) });
}

export function useProject(id: string | null | undefined) {
  return useQuery({
    queryKey: ["projects", id],
    queryFn: () => get<Project>(`/projects/${id}`),
    enabled: !!id,
  });
}

export function useQueues() {
  return useQuery({ queryKey: ["queues"], queryFn: () => get<QueueInfo[]>("/queues") });
}

/** After a change made here: put the hub's answer in the cache and refresh the lists. */
export function useTaskUpdated() {
  const client = useQueryClient();
  return (task: TaskOut) => {
    client.setQueryData(taskKey(task.id), task);
    void client.invalidateQueries({ queryKey: ["tasks"] });
  };
}
