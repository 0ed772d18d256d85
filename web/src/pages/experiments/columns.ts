// The experiments table's columns: the built-in ones (a task's own fields), and any
// hyperparameter or metric summary the user adds. A column's id is also its sort key
// on the hub (``param:Args:lr``, ``metric:loss:val:min``) when it has one; the chosen
// columns are kept per project in localStorage.
import type { TaskBrief } from "../../api/types";

export type BuiltinId =
  | "status"
  | "name"
  | "type"
  | "tags"
  | "user"
  | "started"
  | "duration"
  | "queue"
  | "worker"
  | "project"
  | "created"
  | "updated"
  | "iteration"
  | "id";

export interface Builtin {
  id: BuiltinId;
  label: string;
  /** the hub's sort key, or null if the column cannot be sorted */
  sort: string | null;
  /** the narrowest the column gets, in pixels */
  min: number;
  /** a share of the room left over (0: fixed at ``min``) */
  grow?: number;
}

export const BUILTINS: Builtin[] = [
  { id: "status", label: "Status", sort: "status", min: 96 },
  { id: "name", label: "Name", sort: "name", min: 180, grow: 2 },
  { id: "type", label: "Type", sort: "type", min: 96 },
  { id: "tags", label: "Tags", sort: null, min: 100, grow: 1 },
  { id: "user", label: "User", sort: "user", min: 96 },
  { id: "started", label: "Started", sort: "started_at", min: 186 },
  { id: "duration", label: "Duration", sort: "duration", min: 96 },
  { id: "queue", label: "Queue", sort: "queue", min: 96 },
  { id: "worker", label: "Worker", sort: "worker", min: 104 },
  { id: "project", label: "Project", sort: "project", min: 120, grow: 1 },
  { id: "created", label: "Created", sort: "created_at", min: 186 },
  { id: "updated", label: "Last update", sort: "last_update", min: 186 },
  { id: "iteration", label: "Iteration", sort: "last_iteration", min: 84 },
  { id: "id", label: "ID", sort: "id", min: 96 },
];

const BUILTIN_BY_ID = new Map(BUILTINS.map((b) => [b.id as string, b]));

/** What a table shows before the user picks: the all-projects view adds the project. */
export function defaultColumns(allProjects: boolean): string[] {
  const base: string[] = ["status", "name", "type", "tags", "user", "started", "duration", "queue", "worker"];
  if (allProjects) base.splice(2, 0, "project");
  return base;
}

export const METRIC_AGGS = ["last", "min", "max"] as const;
export type MetricAgg = (typeof METRIC_AGGS)[number];

interface ColumnBase {
  id: string;
  label: string;
  min: number;
  grow?: number;
}

export type Column =
  | (ColumnBase & { kind: "builtin"; sort: string | null; builtin: BuiltinId })
  | (ColumnBase & { kind: "param"; sort: string; section: string; name: string })
  | (ColumnBase & { kind: "metric"; sort: string; metric: string; variant: string; agg: MetricAgg });

// A ":" inside a name is written %3A, as the hub reads each segment percent-decoded.
const enc = (s: string) => encodeURIComponent(s);

export function paramColumnId(section: string, name: string): string {
  return `param:${enc(section)}:${enc(name)}`;
}

export function metricColumnId(metric: string, variant: string, agg: MetricAgg): string {
  return `metric:${enc(metric)}:${enc(variant)}:${agg}`;
}

function decodeParts(rest: string, count: number): string[] | null {
  const parts = rest.split(":");
  if (parts.length !== count) return null;
  try {
    const decoded = parts.map(decodeURIComponent);
    return decoded.every(Boolean) ? decoded : null;
  } catch {
    return null;
  }
}

/** The column an id names, or null for an id this version does not know. */
export function parseColumn(id: string): Column | null {
  const builtin = BUILTIN_BY_ID.get(id);
  if (builtin) return { kind: "builtin", ...builtin, builtin: builtin.id };
  const [kind, ...restParts] = id.split(":");
  const rest = restParts.join(":");
  if (kind === "param") {
    const parts = decodeParts(rest, 2);
    if (!parts) return null;
    const [section, name] = parts;
    return { kind: "param", id, label: `${section}/${name}`, sort: id, min: 110, section, name };
  }
  if (kind === "metric") {
    const parts = decodeParts(rest, 3);
    if (!parts || !(METRIC_AGGS as readonly string[]).includes(parts[2])) return null;
    const [metric, variant, agg] = parts as [string, string, MetricAgg];
    const label = `${metric}/${variant} (${agg})`;
    return { kind: "metric", id, label, sort: id, min: 130, metric, variant, agg };
  }
  return null;
}

/** The columns of ``ids``, unknown and repeated ones dropped; the name column always stays. */
export function resolveColumns(ids: string[]): Column[] {
  const seen = new Set<string>();
  const out: Column[] = [];
  for (const id of ids) {
    const column = seen.has(id) ? null : parseColumn(id);
    if (!column) continue;
    seen.add(id);
    out.push(column);
  }
  if (!seen.has("name")) out.unshift(parseColumn("name")!);
  return out;
}

/** Show or hide one column: a new column goes at the end. */
export function toggleColumn(ids: string[], id: string): string[] {
  if (id === "name") return ids;
  return ids.includes(id) ? ids.filter((c) => c !== id) : [...ids, id];
}

/** A hyperparameter's value of a task (``undefined`` when it has none). */
export function paramValue(task: TaskBrief, section: string, name: string): unknown {
  return task.hyperparams?.[section]?.[name]?.value;
}

export function metricValue(task: TaskBrief, metric: string, variant: string, agg: MetricAgg): number | null {
  return task.last_metrics?.[metric]?.[variant]?.[agg] ?? null;
}

/** Whether the table must ask the hub for the tasks' hyperparameters. */
export function needsHyperparams(columns: Column[]): boolean {
  return columns.some((c) => c.kind === "param");
}

/** The width of the selection box's column. */
export const BOX_WIDTH = 34;

/** The CSS ``grid-template-columns`` of a row: the selection box, then each column. */
export function gridTemplate(columns: Column[]): string {
  const tracks = columns.map((c) => (c.grow ? `minmax(${c.min}px, ${c.grow}fr)` : `${c.min}px`));
  return [`${BOX_WIDTH}px`, ...tracks].join(" ");
}

/** The narrowest a row gets: past it the page scrolls sideways. */
export function minTableWidth(columns: Column[]): number {
  return columns.reduce((sum, c) => sum + c.min, BOX_WIDTH);
}

// --- persistence ---------------------------------------------------------------------

const STORAGE_PREFIX = "corral.experiments.columns.";

export function storageKey(projectId: string | undefined): string {
  return STORAGE_PREFIX + (projectId ?? "all");
}

/** The saved column ids of a project, or the defaults (a broken entry counts as none). */
export function loadColumns(storage: Pick<Storage, "getItem"> | undefined, projectId: string | undefined): string[] {
  const fallback = defaultColumns(!projectId);
  try {
    const raw = storage?.getItem(storageKey(projectId));
    if (!raw) return fallback;
    const ids: unknown = JSON.parse(raw);
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === "string")) return fallback;
    return resolveColumns(ids).map((c) => c.id);
  } catch {
    return fallback;
  }
}

export function saveColumns(storage: Pick<Storage, "setItem"> | undefined, projectId: string | undefined, ids: string[]): void {
  try {
    storage?.setItem(storageKey(projectId), JSON.stringify(ids));
  } catch {
    // private mode or a full storage: the choice lasts for this page only
  }
}
