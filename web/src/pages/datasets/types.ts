// The hub's dataset wire types (src/corral/schemas/datasets.py), typed by hand until the
// hub's routes are in the OpenAPI schema that scripts/gen-ui-types reads.
// TODO(switch): name them over ``components["schemas"]`` of api/schema.gen.ts.

export type DatasetState = "draft" | "uploading" | "final";
export type FileChange = "unchanged" | "added" | "modified";
export type DiffChange = "added" | "removed" | "modified";

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  total?: number | null;
}

export interface DatasetStats {
  file_count: number;
  total_size: number;
  added: number;
  modified: number;
  removed: number;
  added_bytes: number;
  modified_bytes: number;
  removed_bytes: number;
  pending_count: number;
  pending_bytes: number;
  external_count: number;
}

export interface DatasetVersion {
  id: string;
  name: string;
  project_id: string;
  project: string;
  version: string;
  state: DatasetState;
  status: string;
  description: string;
  tags: string[];
  parents: string[];
  user_id: string | null;
  user: string;
  output_uri: string;
  created_at: string;
  last_update: string | null;
  finalized_at: string | null;
  stats: DatasetStats;
}

export interface DatasetName {
  project_id: string;
  project: string;
  name: string;
  versions: number;
  latest_version: string;
  latest_id: string;
  last_update: string | null;
}

export interface DatasetFile {
  path: string;
  size: number;
  sha256: string;
  change: FileChange;
  blob_id: string | null;
  blob_uri: string;
  blob_kind: "chunk" | "file" | null;
  compression: "none" | "deflate" | null;
  external_url: string | null;
  source: string | null;
}

export interface DiffEntry {
  path: string;
  change: DiffChange;
  size: number | null;
  sha256: string | null;
  old_size: number | null;
  old_sha256: string | null;
}

export interface DiffSummary {
  added: number;
  removed: number;
  modified: number;
  added_bytes: number;
  removed_bytes: number;
  modified_bytes: number;
}

export interface DatasetGraphNode {
  id: string;
  name: string;
  project_id: string;
  version: string;
  state: DatasetState;
  parents: string[];
  created_at: string;
  file_count: number;
  total_size: number;
}

export interface DatasetGraph {
  nodes: DatasetGraphNode[];
  truncated: boolean;
}

export interface DatasetUsage {
  task_id: string;
  task_name: string;
  project_id: string;
  status: string;
  alias: string;
  dataset_id: string;
  used_at: string;
}

export type DatasetPage = Page<DatasetVersion>;
export type DatasetNamePage = Page<DatasetName>;
export type DatasetFilePage = Page<DatasetFile>;
export type DiffPage = Page<DiffEntry>;
export type UsagePage = Page<DatasetUsage>;
