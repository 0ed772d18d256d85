// The models table's filters: kept in the URL (shareable, back/forward), sent to the hub.
import type { Query } from "../../api/client";

export interface ModelFilters {
  text: string;
  framework: string;
  /** comma separated; ``-tag`` excludes */
  tags: string;
  projectId: string;
  publishedOnly: boolean;
  archived: boolean;
  /** a model field, ``-`` for descending */
  sort: string;
}

export const DEFAULT_SORT = "-created_at";
export const PAGE_SIZE = 50;

/** Frameworks the SDK's auto-capture names, offered while typing the framework filter. */
export const KNOWN_FRAMEWORKS = ["pytorch", "keras", "xgboost", "lightgbm", "joblib"];

export function filtersFromSearch(params: URLSearchParams): ModelFilters {
  return {
    text: params.get("text") ?? "",
    framework: params.get("framework") ?? "",
    tags: params.get("tags") ?? "",
    projectId: params.get("project") ?? "",
    publishedOnly: params.get("published") === "1",
    archived: params.get("archived") === "1",
    sort: params.get("sort") || DEFAULT_SORT,
  };
}

/** The URL's search params of ``filters`` (defaults left out). */
export function filtersToSearch(f: ModelFilters): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.text) out.text = f.text;
  if (f.framework) out.framework = f.framework;
  if (f.tags) out.tags = f.tags;
  if (f.projectId) out.project = f.projectId;
  if (f.publishedOnly) out.published = "1";
  if (f.archived) out.archived = "1";
  if (f.sort !== DEFAULT_SORT) out.sort = f.sort;
  return out;
}

export function splitTags(text: string): string[] {
  return [...new Set(text.split(",").map((t) => t.trim()).filter(Boolean))];
}

/** The ``GET /models`` query for a page of the table (the first page also asks the total). */
export function listQuery(f: ModelFilters, cursor: string | null): Query {
  return {
    text: f.text.trim() || undefined,
    framework: f.framework.trim() || undefined,
    tag: splitTags(f.tags),
    project_id: f.projectId || undefined,
    published: f.publishedOnly ? true : undefined,
    // archived models are shown instead of the others, as in the experiments table
    archived: f.archived,
    sort: f.sort,
    limit: PAGE_SIZE,
    cursor: cursor ?? undefined,
    with_total: cursor ? undefined : true,
  };
}

/** Clicking a column: sort by it ascending, again descending, again back to the default. */
export function nextSort(current: string, field: string): string {
  if (current === field) return `-${field}`;
  if (current === `-${field}`) return field === DEFAULT_SORT.slice(1) ? field : DEFAULT_SORT;
  return field;
}

export function sortDirection(current: string, field: string): "ascending" | "descending" | "none" {
  if (current === field) return "ascending";
  if (current === `-${field}`) return "descending";
  return "none";
}

/** The API path (``/files/PATH``, URL-encoded) of a ``hub://PATH`` uri; null for other schemes. */
export function hubFilePath(uri: string): string | null {
  if (!uri.startsWith("hub://")) return null;
  const path = uri.slice("hub://".length).replace(/^\/+/, "");
  return path ? `/files/${path.split("/").map(encodeURIComponent).join("/")}` : null;
}

/** The class table of ``labels``: by id, then name. */
export function labelRows(labels: Record<string, number>): [string, number][] {
  return Object.entries(labels).sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
}
