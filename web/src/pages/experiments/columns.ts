// The experiments table's columns: the built-in ones (a task's own fields), and any
// hyperparameter or metric summary the user adds. A column's id is also its sort key
// on the hub (``param:Args:lr``, ``metric:loss:val:min``) when it has one. Status and
// name are pinned at the left; the others are shown, hidden, ordered and resized by the
// user, all kept per project in localStorage.
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
  /** the width it starts with, in pixels (the user may resize it) */
  width: number;
}

export const BUILTINS: Builtin[] = [
  { id: "status", label: "Status", sort: "status", width: 104 },
  { id: "name", label: "Name", sort: "name", width: 260 },
  { id: "type", label: "Type", sort: "type", width: 100 },
  { id: "tags", label: "Tags", sort: null, width: 150 },
  { id: "user", label: "User", sort: "user", width: 100 },
  { id: "started", label: "Started", sort: "started_at", width: 100 },
  { id: "duration", label: "Duration", sort: "duration", width: 100 },
  { id: "queue", label: "Queue", sort: "queue", width: 100 },
  { id: "worker", label: "Worker", sort: "worker", width: 110 },
  { id: "project", label: "Project", sort: "project", width: 160 },
  { id: "created", label: "Created", sort: "created_at", width: 100 },
  { id: "updated", label: "Last update", sort: "last_update", width: 110 },
  { id: "iteration", label: "Iteration", sort: "last_iteration", width: 90 },
  { id: "id", label: "ID", sort: "id", width: 96 },
];

/** Columns that stay at the left, in this order, and cannot be hidden or moved. */
export const PINNED: readonly BuiltinId[] = ["status", "name"];
export const isPinned = (id: string) => (PINNED as readonly string[]).includes(id);

/** The narrowest a column may be resized to (the name keeps room for a few words). */
export const MIN_WIDTH = 56;
export const MIN_NAME_WIDTH = 120;
export const minWidth = (id: string) => (id === "name" ? MIN_NAME_WIDTH : MIN_WIDTH);
/** The widest a column may be dragged to. */
export const MAX_WIDTH = 1200;

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
  /** the default width in pixels */
  width: number;
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
    return { kind: "param", id, label: `${section}/${name}`, sort: id, width: 120, section, name };
  }
  if (kind === "metric") {
    const parts = decodeParts(rest, 3);
    if (!parts || !(METRIC_AGGS as readonly string[]).includes(parts[2])) return null;
    const [metric, variant, agg] = parts as [string, string, MetricAgg];
    const label = `${metric}/${variant} (${agg})`;
    return { kind: "metric", id, label, sort: id, width: 140, metric, variant, agg };
  }
  return null;
}

/**
 * The columns of ``ids``, unknown and repeated ones dropped; the pinned ones (status,
 * name) always there and first.
 */
export function resolveColumns(ids: string[]): Column[] {
  const seen = new Set<string>(PINNED);
  const out: Column[] = PINNED.map((id) => parseColumn(id)!);
  for (const id of ids) {
    const column = seen.has(id) ? null : parseColumn(id);
    if (!column) continue;
    seen.add(id);
    out.push(column);
  }
  return out;
}

/** Show or hide one column: a new column goes at the end; the pinned ones stay. */
export function toggleColumn(ids: string[], id: string): string[] {
  if (isPinned(id)) return ids;
  return ids.includes(id) ? ids.filter((c) => c !== id) : [...ids, id];
}

/** ``moved`` put just before ``target`` (at the end when ``target`` is null); pinned ones stay. */
export function moveColumn(ids: string[], moved: string, target: string | null): string[] {
  if (moved === target || isPinned(moved) || !ids.includes(moved)) return ids;
  const rest = ids.filter((c) => c !== moved);
  let at = target === null ? rest.length : rest.indexOf(target);
  if (at < 0) return ids;
  // never in front of a pinned column
  const lastPinned = Math.max(-1, ...PINNED.map((p) => rest.indexOf(p)));
  at = Math.max(at, lastPinned + 1);
  return [...rest.slice(0, at), moved, ...rest.slice(at)];
}

/** ``id`` one place to the left (-1) or right (+1) among the movable columns. */
export function shiftColumn(ids: string[], id: string, by: -1 | 1): string[] {
  const movable = ids.filter((c) => !isPinned(c));
  const i = movable.indexOf(id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= movable.length) return ids;
  const target = by < 0 ? movable[j] : (movable[j + 1] ?? null);
  return moveColumn(ids, id, target);
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

/** Widths the user dragged, by column id. */
export type Widths = Readonly<Record<string, number>>;

export function clampWidth(id: string, width: number): number {
  return Math.round(Math.min(MAX_WIDTH, Math.max(minWidth(id), width)));
}

export function columnWidth(column: Column, widths: Widths): number {
  const w = widths[column.id];
  return typeof w === "number" && Number.isFinite(w) ? clampWidth(column.id, w) : column.width;
}

/**
 * The CSS ``grid-template-columns`` of a row: the selection box, each column at its
 * width, and a last track that takes what is left when the columns are narrower than
 * the table.
 */
export function gridTemplate(columns: Column[], widths: Widths): string {
  return [`${BOX_WIDTH}px`, ...columns.map((c) => `${columnWidth(c, widths)}px`), "minmax(0, 1fr)"].join(" ");
}

/** The width of a row's columns together. */
export function tableWidth(columns: Column[], widths: Widths): number {
  return columns.reduce((sum, c) => sum + columnWidth(c, widths), BOX_WIDTH);
}

/** The ``left`` of each pinned column (they stick there when the table scrolls sideways). */
export function pinnedOffsets(columns: Column[], widths: Widths): Map<string, number> {
  const out = new Map<string, number>();
  let left = BOX_WIDTH;
  for (const c of columns) {
    if (!isPinned(c.id)) break;
    out.set(c.id, left);
    left += columnWidth(c, widths);
  }
  return out;
}

// --- persistence ---------------------------------------------------------------------

const STORAGE_PREFIX = "corral.experiments.columns.";

const WIDTHS_PREFIX = "corral.experiments.widths.";

export function storageKey(projectId: string | undefined): string {
  return STORAGE_PREFIX + (projectId ?? "all");
}

export function widthsKey(projectId: string | undefined): string {
  return WIDTHS_PREFIX + (projectId ?? "all");
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

/** The saved widths of a project's columns (anything unreadable is dropped). */
export function loadWidths(storage: Pick<Storage, "getItem"> | undefined, projectId: string | undefined): Widths {
  try {
    const raw = storage?.getItem(widthsKey(projectId));
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    const out: Record<string, number> = {};
    for (const [id, w] of Object.entries(parsed)) {
      if (typeof w === "number" && Number.isFinite(w)) out[id] = clampWidth(id, w);
    }
    return out;
  } catch {
    return {};
  }
}

export function saveWidths(
  storage: Pick<Storage, "setItem" | "removeItem"> | undefined,
  projectId: string | undefined,
  widths: Widths,
): void {
  try {
    if (Object.keys(widths).length) storage?.setItem(widthsKey(projectId), JSON.stringify(widths));
    else storage?.removeItem(widthsKey(projectId));
  } catch {
    // as for the columns: this page only
  }
}

// --- the picker -------------------------------------------------------------------------

/** The machine series the SDK reports (``:monitor:machine``, ``:monitor:gpu``...). */
export const isMonitorMetric = (metric: string) => metric.startsWith(":monitor:");

/** The picker's metrics: the run's own first, the machine monitoring series last. */
export function splitMonitor<T extends { metric: string }>(metrics: readonly T[]): { own: T[]; monitor: T[] } {
  return {
    own: metrics.filter((m) => !isMonitorMetric(m.metric)),
    monitor: metrics.filter((m) => isMonitorMetric(m.metric)),
  };
}
