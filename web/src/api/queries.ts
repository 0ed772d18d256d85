// The queries several pages share: each ties its key (queryKeys.ts) to the request and
// the wire type, so that every page reading a key reads the same thing. A page that waits
// for an id adds ``enabled``: ``useQuery({ ...queries.task(id ?? ""), enabled: !!id })``.
import { queryOptions } from "@tanstack/react-query";
import { get } from "./client";
import { queryKeys } from "./queryKeys";
import type { ModelOut, Project, Queue, QueueDetail, TaskOut, User } from "./types";

export const queries = {
  task: (id: string) =>
    queryOptions({
      queryKey: queryKeys.task.one(id),
      queryFn: ({ signal }) => get<TaskOut>(`/tasks/${id}`, undefined, signal),
    }),
  projects: () =>
    queryOptions({ queryKey: queryKeys.projects.list(), queryFn: ({ signal }) => get<Project[]>("/projects", undefined, signal) }),
  project: (id: string) =>
    queryOptions({
      queryKey: queryKeys.projects.one(id),
      queryFn: ({ signal }) => get<Project>(`/projects/${id}`, undefined, signal),
    }),
  users: () => queryOptions({ queryKey: queryKeys.users.list(), queryFn: ({ signal }) => get<User[]>("/users", undefined, signal) }),
  user: (id: string) =>
    queryOptions({ queryKey: queryKeys.users.one(id), queryFn: ({ signal }) => get<User>(`/users/${id}`, undefined, signal) }),
  queues: () => queryOptions({ queryKey: queryKeys.queues.list(), queryFn: ({ signal }) => get<Queue[]>("/queues", undefined, signal) }),
  queue: (name: string) =>
    queryOptions({
      queryKey: queryKeys.queue.detail(name),
      queryFn: ({ signal }) => get<QueueDetail>(`/queues/${encodeURIComponent(name)}`, undefined, signal),
    }),
  model: (id: string) =>
    queryOptions({
      queryKey: queryKeys.model.one(id),
      queryFn: ({ signal }) => get<ModelOut>(`/models/${id}`, undefined, signal),
    }),
};
