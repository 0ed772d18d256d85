// The table's filters and sort live in the URL's query string, so a link shows the same
// list to whoever opens it: ?status=failed&status=stopped&type=training&tag=best&user=ID
// &q=resnet&archived=1&sort=-metric:loss:val:min&filter=metric:acc:val:last>0.9
// (value filters: valueFilters.ts; the hub evaluates them)
import type { Query } from "../../api/client";

export const DEFAULT_SORT = "-created_at";

export interface TableQuery {
  status: string[];
  type: string[];
  /** every tag must be present; "-name" must be absent */
  tags: string[];
  /** user ids */
  users: string[];
  /** a substring of the name or comment, or the start of the id */
  text: string;
  /** the archive: archived tasks instead of the active ones */
  archived: boolean;
  /** filters on metric and hyperparameter values, as the hub reads them (``KEY OP VALUE``) */
  filters: string[];
  sort: string;
}

/** No filter at all: what "Clear filters" applies. */
export const NO_FILTERS = { status: [], type: [], tags: [], users: [], text: "", archived: false, filters: [] } satisfies Partial<TableQuery>;

const unique = (values: string[]) => [...new Set(values.map((v) => v.trim()).filter(Boolean))];

export function parseQuery(search: URLSearchParams): TableQuery {
  return {
    status: unique(search.getAll("status")),
    type: unique(search.getAll("type")),
    tags: unique(search.getAll("tag")),
    users: unique(search.getAll("user")),
    text: (search.get("q") ?? "").trim(),
    archived: ["1", "true", "yes"].includes(search.get("archived") ?? ""),
    filters: unique(search.getAll("filter")),
    sort: (search.get("sort") ?? "").trim() || DEFAULT_SORT,
  };
}

/** The query string of ``q``: defaults are left out, so the plain table has a plain URL. */
export function toSearch(q: TableQuery): URLSearchParams {
  const out = new URLSearchParams();
  q.status.forEach((s) => out.append("status", s));
  q.type.forEach((t) => out.append("type", t));
  q.tags.forEach((t) => out.append("tag", t));
  q.users.forEach((u) => out.append("user", u));
  if (q.text.trim()) out.set("q", q.text.trim());
  if (q.archived) out.set("archived", "1");
  q.filters.forEach((f) => out.append("filter", f));
  if (q.sort && q.sort !== DEFAULT_SORT) out.set("sort", q.sort);
  return out;
}

export function isFiltered(q: TableQuery): boolean {
  return !!(q.status.length || q.type.length || q.tags.length || q.users.length || q.text || q.archived || q.filters.length);
}

/** What selects and orders the tasks, in ``GET /tasks`` and ``GET /tasks/export`` alike. */
function viewParams(q: TableQuery, projectId: string | undefined): Query {
  return {
    project_id: projectId,
    status: q.status,
    type: q.type,
    tag: q.tags,
    user_id: q.users,
    text: q.text || undefined,
    // the archive: only archived tasks (the hub hides them by default)
    archived: q.archived ? true : undefined,
    filter: q.filters,
    sort: q.sort,
  };
}

/** The parameters of ``GET /tasks`` for one page. */
export function listParams(
  q: TableQuery,
  opts: { projectId?: string; cursor: string | null; limit: number; hyperparams: boolean },
): Query {
  return {
    ...viewParams(q, opts.projectId),
    limit: opts.limit,
    cursor: opts.cursor ?? undefined,
    with_total: opts.cursor ? undefined : true,
    include_hyperparams: opts.hyperparams ? true : undefined,
  };
}

/** The export's name of each built-in column (a TaskBrief field, or the hub's own). */
const EXPORT_NAMES: Record<string, string> = {
  started: "started_at",
  created: "created_at",
  updated: "last_update",
  iteration: "last_iteration",
  queue: "queue_id",
};

/**
 * The parameters of ``GET /tasks/export``: every task of the view (all pages), with
 * ``columnIds`` (the visible columns, in their order) as the CSV's columns.
 */
export function exportParams(q: TableQuery, projectId: string | undefined, columnIds: string[]): Query {
  return { ...viewParams(q, projectId), column: columnIds.map((id) => EXPORT_NAMES[id] ?? id) };
}

// --- sort ------------------------------------------------------------------------------

export type Direction = "ascending" | "descending" | "none";

/** How ``sort`` orders by the column whose key is ``key``. */
export function sortDirection(sort: string, key: string | null): Direction {
  if (!key) return "none";
  if (sort === key) return "ascending";
  if (sort === `-${key}`) return "descending";
  return "none";
}

/** A click on a header: ascending first, then descending, then ascending again. */
export function nextSort(sort: string, key: string): string {
  return sort === key ? `-${key}` : key;
}

/** Comma-separated tags typed by the user, as the list of the URL. */
export function splitTags(text: string): string[] {
  return unique(text.split(","));
}
