// The compare page's logic: the ids of the link, hyperparameters side by side with their
// differences, final metrics with the best value of each row.
import type { Hyperparams, MetricValue } from "../../api/types";
import { formatValue } from "../../lib/format";

export const MIN_COMPARED = 2;
export const MAX_COMPARED = 10;

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

/** Whether a smaller value of the series is the better one (losses, errors, times). */
export function lowerIsBetter(metric: string, variant: string): boolean {
  return LOWER_IS_BETTER.test(metric) || LOWER_IS_BETTER.test(variant);
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
  lower: boolean;
  best: number | null;
}

/** Every metric/variant any task reported, its summary per task, the best last value marked. */
export function metricRows(all: readonly (Record<string, Record<string, MetricValue>> | null | undefined)[]): MetricRow[] {
  const keys = new Map<string, [string, string]>();
  for (const m of all) for (const [metric, variants] of Object.entries(m ?? {})) for (const variant of Object.keys(variants ?? {})) keys.set(JSON.stringify([metric, variant]), [metric, variant]);
  return [...keys.values()]
    .sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]))
    .map(([metric, variant]) => {
      const values = all.map((m) => m?.[metric]?.[variant]);
      const lower = lowerIsBetter(metric, variant);
      return { metric, variant, values, lower, best: bestIndex(values.map((v) => v?.last), lower) };
    });
}
