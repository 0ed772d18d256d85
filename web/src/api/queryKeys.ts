// Every TanStack Query key of the UI, in one place: a page asks here for the key of what
// it shows, and the change stream (live/changes.ts) invalidates by the same prefixes.
// Keys are hierarchical, so a prefix (``queryKeys.task.all``, ``queryKeys.task.one(id)``) marks
// everything under it stale:
//   tasks     task lists: the experiments table and its column picker, the pipelines'
//             runs and a run's step tasks (any task's change refreshes them)
//   task      one task (["task", id]) and its records (scalars, logs, plots...)
//   compare   the compare view (refreshed at a slower pace)
//   projects, users, keys, models / model, queues / queue, workers / worker
//   datasets  dataset names and versions, one version's files, diff, graph, usages
//   members   a project's members; teams, lockouts, audit (admin pages); sessions (profile)
// A key names one resource and one wire type: the same key is never read as two types.

export const queryKeys = {
  tasks: {
    all: ["tasks"] as const,
    /** a page of the experiments table (filters, sort, hyperparameters or not) */
    table: (projectId: string | undefined, query: object, hyperparams: boolean) =>
      ["tasks", "table", projectId ?? "all", query, hyperparams] as const,
    columns: (projectId: string | undefined) => ["tasks", "columns", projectId ?? "all"] as const,
    /** the pipeline runs (controller tasks) of a project, or of all */
    pipelines: (projectId: string) => ["tasks", "pipelines", projectId || "all"] as const,
    /** a pipeline run's step tasks (its children) */
    steps: (runId: string) => ["tasks", "steps", runId] as const,
  },
  task: {
    all: ["task"] as const,
    one: (id: string) => ["task", id] as const,
    scalars: (id: string, maxPoints: number) => ["task", id, "scalars", maxPoints] as const,
    artifacts: (id: string) => ["task", id, "artifacts"] as const,
    /** a run's console: a reset or a new run starts a cache of its own */
    logs: (id: string, filters: { search: string; stream: string; run: string }) =>
      ["task", id, "logs", filters] as const,
    plots: (id: string) => ["task", id, "plots"] as const,
    plot: (id: string, metric: string, variant: string, iteration: number | null) =>
      ["task", id, "plots", metric, variant, iteration] as const,
    debugSamples: (id: string) => ["task", id, "debug-samples"] as const,
    debugSample: (id: string, metric: string, variant: string, iteration: number | null) =>
      ["task", id, "debug-samples", metric, variant, iteration] as const,
  },
  compare: {
    all: ["compare"] as const,
    /** the compared tasks, all in one request */
    tasks: (ids: readonly string[]) => ["compare", "tasks", ids] as const,
    scalars: (ids: readonly string[], maxPoints: number) => ["compare", "scalars", ids, maxPoints] as const,
    /** the latest plots (or debug samples) of the tasks, or those of one row at an iteration */
    plots: (ids: readonly string[], row?: { metric: string; variant: string; iteration: number }) =>
      ["compare", "plots", ids, row ?? "latest"] as const,
    samples: (ids: readonly string[], row?: { metric: string; variant: string; iteration: number }) =>
      ["compare", "debug-samples", ids, row ?? "latest"] as const,
    /** tasks by name or id, to add one to the comparison */
    search: (text: string) => ["compare", "search", text] as const,
  },
  projects: {
    all: ["projects"] as const,
    list: () => ["projects", "list"] as const,
    one: (id: string) => ["projects", "one", id] as const,
  },
  users: {
    all: ["users"] as const,
    list: () => ["users", "list"] as const,
    one: (id: string) => ["users", "one", id] as const,
  },
  keys: {
    all: ["keys"] as const,
    list: () => ["keys", "list"] as const,
    /** every user's keys (admins) */
    everyone: () => ["keys", "everyone"] as const,
  },
  members: {
    all: ["members"] as const,
    of: (projectId: string) => ["members", projectId] as const,
  },
  teams: {
    all: ["teams"] as const,
    list: () => ["teams", "list"] as const,
  },
  lockouts: {
    all: ["lockouts"] as const,
    list: () => ["lockouts", "list"] as const,
  },
  audit: {
    all: ["audit"] as const,
    /** the audit log under some filters (pages follow its cursor) */
    list: (query: object) => ["audit", "list", query] as const,
  },
  sessions: {
    all: ["sessions"] as const,
    list: () => ["sessions", "list"] as const,
  },
  providers: {
    all: ["providers"] as const,
  },
  models: {
    all: ["models"] as const,
    list: (filters: object) => ["models", "list", filters] as const,
  },
  model: {
    all: ["model"] as const,
    one: (id: string) => ["model", id] as const,
    /** what was reported for the model (OutputModel.report_*) */
    scalars: (id: string, maxPoints: number) => ["model", id, "scalars", maxPoints] as const,
    plots: (id: string) => ["model", id, "plots"] as const,
    plot: (id: string, metric: string, variant: string, iteration: number | null) =>
      ["model", id, "plots", metric, variant, iteration] as const,
  },
  datasets: {
    all: ["datasets"] as const,
    /** the datasets (names) of a project, or of all, matching a search */
    names: (projectId: string, search: string) => ["datasets", "names", projectId, search] as const,
    /** every version of one dataset (project, name) */
    versions: (projectId: string, name: string) => ["datasets", "versions", projectId, name] as const,
    one: (id: string) => ["datasets", "one", id] as const,
    graph: (id: string) => ["datasets", "one", id, "graph"] as const,
    files: (id: string, query: object) => ["datasets", "one", id, "files", query] as const,
    diff: (id: string, query: object) => ["datasets", "one", id, "diff", query] as const,
    diffSummary: (id: string, against: string) => ["datasets", "one", id, "diff-summary", against] as const,
    usages: (id: string) => ["datasets", "one", id, "usages"] as const,
  },
  queues: {
    all: ["queues"] as const,
    list: () => ["queues", "list"] as const,
  },
  queue: {
    all: ["queue"] as const,
    detail: (name: string) => ["queue", name, "detail"] as const,
    stats: (name: string, span: string) => ["queue", name, "stats", span] as const,
  },
  workers: {
    all: ["workers"] as const,
    list: (includeGone: boolean) => ["workers", "list", { includeGone }] as const,
  },
  worker: {
    all: ["worker"] as const,
    info: (id: string) => ["worker", id, "info"] as const,
    stats: (id: string, span: string) => ["worker", id, "stats", span] as const,
  },
} as const;
