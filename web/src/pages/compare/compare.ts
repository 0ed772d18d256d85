// The compare page's logic: the ids of the link, hyperparameters side by side with their
// differences, final metrics with the best value of each row, rows of plots and debug
// samples (one column per task), and the axes of the parameters-versus-metric charts.
import type { Figure, Hyperparams, MetricValue, SeriesIterations } from "../../api/types";
import { formatValue } from "../../lib/format";

export const MIN_COMPARED = 2;
export const MAX_COMPARED = 12;

/** The task ids of ``?ids=a,b,c`` in order, without blanks or repeats. */
export function parseIds(param: string | null): string[] {
  if (!param) return [];
  return [...new Set(param.split(",").map((s) => s.trim()).filter(Boolean))];
}

/** What is wrong with comparing ``ids``, if anything. */
export function idsProblem(ids: readonly string[]): string | null {
  if (ids.length < MIN_COMPARED) {
    return ids.length === 0
      ? "Pick at least two experiments to compare: select them in the experiments table, or add them below."
      : "Add at least one more experiment to compare.";
  }
  if (ids.length > MAX_COMPARED) return `At most ${MAX_COMPARED} experiments can be compared at once; this link has ${ids.length}.`;
  return null;
}

/** Labels of the tasks in a legend: their names, with a short id where names repeat. */
export function taskLabels(tasks: readonly { id: string; name: string }[]): string[] {
  const count = new Map<string, number>();
  for (const t of tasks) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  return tasks.map((t) => ((count.get(t.name) ?? 0) > 1 ? `${t.name} (${t.id.slice(0, 6)})` : t.name));
}

export interface ParamRow {
  section: string;
  name: string;
  /** per task, as text; undefined where the task has no such parameter */
  values: (string | undefined)[];
  differs: boolean;
}

const cmp = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/** Every hyperparameter of any task, a value per task; ``differs`` when they are not all the same. */
export function paramRows(params: readonly (Hyperparams | null | undefined)[]): ParamRow[] {
  const keys = new Map<string, [string, string]>();
  for (const p of params) {
    for (const [section, names] of Object.entries(p ?? {})) {
      for (const name of Object.keys(names ?? {})) keys.set(JSON.stringify([section, name]), [section, name]);
    }
  }
  const rows = [...keys.values()].map(([section, name]) => {
    const values = params.map((p) => {
      const entry = p?.[section]?.[name];
      return entry === undefined ? undefined : formatValue(entry.value);
    });
    return { section, name, values, differs: values.some((v) => v !== values[0]) };
  });
  return rows.sort((a, b) => cmp(a.section, b.section) || cmp(a.name, b.name));
}

const LOWER_IS_BETTER = /loss|err|mse|mae|rmse|perplex|ppl|latency|duration|time|cost|wer|cer|distance|regret/i;
/** series whose value is a setting or a count, not a score: no value of them is "best" */
const NO_DIRECTION = /^(lr|learning[ _-]?rate|epoch|epochs|step|steps|iteration|batch[ _-]?size|momentum|weight[ _-]?decay)$/i;

/** A resource series reported by the SDK's monitor (``:monitor:machine``, ``:monitor:gpu``). */
export function isMonitor(metric: string): boolean {
  return metric.startsWith(":monitor:");
}

/** Whether a smaller value of the series is the better one (losses, errors, times). */
export function lowerIsBetter(metric: string, variant: string): boolean {
  return LOWER_IS_BETTER.test(metric) || LOWER_IS_BETTER.test(variant);
}

/**
 * Which way the series gets better: "lower" (losses, errors, times), "higher" (scores),
 * or null when "best" means nothing (monitor series, learning rates, epochs).
 */
export function metricDirection(metric: string, variant: string): "lower" | "higher" | null {
  if (isMonitor(metric) || NO_DIRECTION.test(metric) || NO_DIRECTION.test(variant)) return null;
  return lowerIsBetter(metric, variant) ? "lower" : "higher";
}

/** Index of the best value (null when fewer than two values can be compared or all are equal). */
export function bestIndex(values: readonly (number | null | undefined)[], lower: boolean): number | null {
  let best: number | null = null;
  let known = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return;
    known++;
    if (best === null || (lower ? v < (values[best] as number) : v > (values[best] as number))) best = i;
  });
  if (known < 2 || best === null) return null;
  const top = values[best];
  return values.every((v) => v === null || v === undefined || v === top) ? null : best;
}

export interface MetricRow {
  metric: string;
  variant: string;
  values: (MetricValue | undefined)[];
  /** which way the series gets better; null: no best value is marked */
  direction: "lower" | "higher" | null;
  best: number | null;
}

/**
 * Every metric/variant any task reported, its summary per task, the best last value
 * marked (none for series without a direction); monitor series come last.
 */
export function metricRows(all: readonly (Record<string, Record<string, MetricValue>> | null | undefined)[]): MetricRow[] {
  const keys = new Map<string, [string, string]>();
  for (const m of all) for (const [metric, variants] of Object.entries(m ?? {})) for (const variant of Object.keys(variants ?? {})) keys.set(JSON.stringify([metric, variant]), [metric, variant]);
  return [...keys.values()]
    .sort((a, b) => Number(isMonitor(a[0])) - Number(isMonitor(b[0])) || cmp(a[0], b[0]) || cmp(a[1], b[1]))
    .map(([metric, variant]) => {
      const values = all.map((m) => m?.[metric]?.[variant]);
      const direction = metricDirection(metric, variant);
      const best = direction ? bestIndex(values.map((v) => v?.last), direction === "lower") : null;
      return { metric, variant, values, direction, best };
    });
}

/** One row of the plots (or debug samples) section: a metric/variant, an item per task. */
export interface MediaRow<T> {
  metric: string;
  variant: string;
  /** per task (in the order of the page), its item at the row's iteration, if any */
  cells: (T | undefined)[];
  /** every iteration any task has for the row, newest first */
  iterations: number[];
}

type Item = { task_id: string; metric: string; variant: string };

/** Items of several tasks laid out in rows per metric/variant and a column per task. */
export function mediaRows<T extends Item>(
  taskIds: readonly string[],
  items: readonly T[],
  iterations: readonly (SeriesIterations & { task_id: string })[],
): MediaRow<T>[] {
  const rows = new Map<string, MediaRow<T>>();
  const row = (metric: string, variant: string) => {
    const key = JSON.stringify([metric, variant]);
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { metric, variant, cells: taskIds.map(() => undefined), iterations: [] }));
    return r;
  };
  const column = new Map(taskIds.map((id, i) => [id, i]));
  for (const item of items) {
    const i = column.get(item.task_id);
    if (i !== undefined) row(item.metric, item.variant).cells[i] = item;
  }
  for (const it of iterations) {
    if (!column.has(it.task_id)) continue;
    const r = row(it.metric, it.variant);
    r.iterations = [...new Set([...r.iterations, ...it.iterations])].sort((a, b) => b - a);
  }
  return [...rows.values()].sort((a, b) => cmp(a.metric, b.metric) || cmp(a.variant, b.variant));
}

/** An axis of the parameters-versus-metric charts: numbers, or categories in name order. */
export type Axis =
  | { kind: "number"; label: string; values: number[] }
  | { kind: "category"; label: string; values: string[]; categories: string[] };

const MISSING = "—";

/** A number from a parameter's value as shown ("0.01", "32"); null when it is not one. */
function asNumber(v: string | undefined): number | null {
  if (v === undefined || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * The axis of one parameter over the tasks: numeric when every task has a number,
 * otherwise categorical (booleans, strings, missing values shown as "—").
 */
export function paramAxis(label: string, values: readonly (string | undefined)[]): Axis {
  const numbers = values.map(asNumber);
  if (numbers.every((n) => n !== null)) return { kind: "number", label, values: numbers as number[] };
  const shown = values.map((v) => v ?? MISSING);
  return { kind: "category", label, values: shown, categories: [...new Set(shown)].sort((a, b) => Number(a === MISSING) - Number(b === MISSING) || cmp(a, b)) };
}

/** Where ``count`` ticks go on an axis from ``lo`` to ``hi``: round steps (1, 2, 5 x 10^n). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Height of a figure in a column of the compare page. */
const CELL_HEIGHT = 300;

/**
 * The figure sized for a narrow column: its own fixed width (matplotlib figures come
 * 600-640 px wide) gives way to the column's, and its height is capped.
 */
export function fitted(figure: Figure): Figure {
  const layout: Record<string, unknown> = { ...(figure.layout ?? {}) };
  delete layout.width;
  const h = typeof layout.height === "number" ? Math.min(layout.height, CELL_HEIGHT) : CELL_HEIGHT;
  return { ...figure, layout: { ...layout, autosize: true, height: h } };
}

/**
 * The picture of a figure that is only a rendered image (a matplotlib figure the SDK
 * could not convert: a layout with one image and no data), or null. Shown as an <img>
 * it fits its column at once, and a row of them costs no plotly drawing.
 */
export function renderedImage(figure: Figure): string | null {
  const layout = figure.layout ?? {};
  const meta = layout.meta as { rendered?: string } | undefined;
  const images = layout.images as { source?: unknown }[] | undefined;
  if (meta?.rendered !== "image" || (figure.data ?? []).length > 0 || images?.length !== 1) return null;
  const source = images[0].source;
  return typeof source === "string" && /^data:image\//.test(source) ? source : null;
}
