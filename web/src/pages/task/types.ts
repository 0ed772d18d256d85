// Wire types only the experiment page uses (see src/corral/schemas/).

export interface Script {
  repository?: string;
  branch?: string;
  commit?: string;
  diff?: string;
  entry_point?: string;
  working_dir?: string;
  code?: string;
  requirements?: Record<string, string>;
  freeze?: string;
  python?: string;
}

export interface Container {
  image?: string;
  arguments?: string;
  setup_script?: string;
}

export interface Artifact {
  id: string;
  task_id: string;
  name: string;
  type: string;
  mode: string;
  uri: string;
  size: number | null;
  hash: string | null;
  content_type: string | null;
  preview: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface LogLine {
  seq: number;
  /** seconds since the epoch */
  time: number;
  stream: string;
  level: string;
  text: string;
  worker: string | null;
}

export interface LogPage {
  items: LogLine[];
  first_seq: number | null;
  last_seq: number | null;
  has_more: boolean;
}

export interface ModelRef {
  name: string;
  model_id: string;
}

export interface ModelInfo {
  id: string;
  name: string;
  framework: string;
  uri: string;
  tags: string[];
  published: boolean;
  archived: boolean;
  created_at?: string;
}

export interface QueueInfo {
  id: string;
  name: string;
}
