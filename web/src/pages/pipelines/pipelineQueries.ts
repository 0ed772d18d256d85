// The Pipelines pages' reads of the hub: the runs (controller tasks) and a run's steps.
// Both live under the ``tasks`` prefix, so any task's change refreshes them; the run
// itself is ``queries.task`` (``["task", id]``), refreshed when the controller records
// a step's new state.
import { queryOptions } from "@tanstack/react-query";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { TaskPage } from "../../api/types";

/** most runs the list reads (the hub's page size) */
export const RUNS_MAX = 500;

export const pipelineQueries = {
  runs: (projectId: string) =>
    queryOptions({
      queryKey: queryKeys.tasks.pipelines(projectId),
      queryFn: ({ signal }) =>
        get<TaskPage>(
          "/tasks",
          { type: "controller", project_id: projectId, sort: "-created_at", limit: RUNS_MAX, include_hyperparams: true },
          signal,
        ),
    }),
  steps: (runId: string) =>
    queryOptions({
      queryKey: queryKeys.tasks.steps(runId),
      queryFn: ({ signal }) => get<TaskPage>("/tasks", { parent_id: runId, sort: "created_at", limit: RUNS_MAX }, signal),
    }),
};
