// Wire types of the hub's REST API that several pages share (see src/corral/schemas/).
// A page that alone uses a resource keeps its types next to it.

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  total: number | null;
}

export interface User {
  id: string;
  name: string;
  email: string | null;
  role: string;
  active: boolean;
  created_at: string;
}

export interface Session {
  user: User;
  csrf_token: string;
  expires_at: string;
}

export interface ApiKey {
  id: string;
  access_key: string;
  user_id: string;
  label: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ApiKeyCreated extends ApiKey {
  secret_key: string;
}

export interface Project {
  id: string;
  name: string;
  parent_id: string | null;
  description: string;
  visibility: string;
  owner_id: string | null;
  tags: string[];
  created_at: string;
  last_update: string;
  task_count: number | null;
}

export interface MetricValue {
  last: number | null;
  min: number | null;
  max: number | null;
  iteration: number | null;
}

/** section -> name -> {value, type, description} */
export type Hyperparams = Record<string, Record<string, { value: unknown; type?: string; description?: string }>>;

export interface TaskBrief {
  id: string;
  name: string;
  project_id: string;
  type: string;
  status: string;
  status_reason: string;
  tags: string[];
  system_tags: string[];
  comment: string;
  archived: boolean;
  parent_id: string | null;
  user_id: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  last_update: string;
  worker: string | null;
  queue_id: string | null;
  last_iteration: number | null;
  /** metric -> variant -> summary */
  last_metrics: Record<string, Record<string, MetricValue>>;
  hyperparams?: Hyperparams | null;
}

export interface TaskOut extends TaskBrief {
  status_message: string;
  exit_code: number | null;
  script: Record<string, unknown>;
  container: Record<string, unknown>;
  hyperparams: Hyperparams | null;
  configuration: Record<string, { type?: string; value?: string; description?: string }>;
  runtime: Record<string, unknown>;
  models: Record<string, unknown>;
}

export interface Change {
  id: number;
  time: string;
  entity_type: string;
  entity_id: string;
  action: string;
  project_id: string | null;
  user_id: string | null;
  payload: Record<string, unknown>;
}

export const TASK_STATUSES = [
  "created",
  "queued",
  "in_progress",
  "stopped",
  "completed",
  "failed",
  "published",
] as const;

export const TASK_TYPES = [
  "training",
  "testing",
  "inference",
  "data_processing",
  "controller",
  "optimizer",
  "service",
  "custom",
] as const;
