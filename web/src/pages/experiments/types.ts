// Wire types only the experiments table uses.

/** ``GET /tasks/columns``: what the tasks in scope have, for the column picker. */
export interface TaskColumns {
  hyperparams: { section: string; name: string }[];
  metrics: { metric: string; variant: string }[];
  truncated: boolean;
}

/** ``GET /queues`` (the fields the table needs). */
export interface QueueName {
  id: string;
  name: string;
}
