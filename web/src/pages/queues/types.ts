// Queues on the wire (src/corral/schemas/queues.py: QueueOut, QueueDetail, QueueStatPoint).

export interface Queue {
  id: string;
  name: string;
  tags: string[];
  created_at: string;
  /** ``default`` and ``services``: never renamed or deleted */
  builtin: boolean;
  pending: number;
  /** ids of the live workers that serve it */
  workers: string[];
  /** mean seconds waited by the tasks dequeued in the last hour */
  avg_wait: number | null;
  /** seconds the task at the front has waited */
  current_wait: number | null;
}

export interface QueueEntry {
  task_id: string;
  task_name: string;
  status: string;
  project_id: string;
  user_id: string | null;
  /** 0 runs next */
  index: number;
  enqueued_at: string;
  /** seconds waited so far */
  wait: number;
}

export interface QueueDetail extends Queue {
  entries: QueueEntry[];
}

export interface QueueStatPoint {
  time: string;
  /** the length after the enqueue or dequeue */
  pending: number;
  /** the dequeued task's wait in seconds (null for an enqueue) */
  wait: number | null;
}

/** A queue's name as a URL path segment. */
export const queuePath = (name: string) => `/queues/${encodeURIComponent(name)}`;
