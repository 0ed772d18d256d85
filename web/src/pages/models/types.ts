// Models on the wire (src/corral/schemas/models.py: ModelBrief, ModelOut).

export interface ModelBrief {
  id: string;
  name: string;
  project_id: string | null;
  task_id: string | null;
  user_id: string | null;
  framework: string;
  /** ``hub://PATH`` (the hub's file store) or s3://, gs://, file://... */
  uri: string;
  tags: string[];
  system_tags: string[];
  /** class name -> id */
  labels: Record<string, number>;
  metadata: Record<string, unknown>;
  comment: string;
  published: boolean;
  archived: boolean;
  parent_id: string | null;
  created_at: string;
  last_update: string;
}

export interface ModelOut extends ModelBrief {
  /** the network design or configuration, as text */
  design: string;
}
