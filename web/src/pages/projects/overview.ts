// The project overview's choices: which metric ranks the "best" runs (remembered per
// project in localStorage) and how it is sent to the hub.

export type MetricValue = "last" | "min" | "max";
export type MetricOrder = "max" | "min";

export interface BestChoice {
  /** ``METRIC:VARIANT`` as the hub lists it (``%3A`` for a ``:`` inside a name) */
  series: string;
  value: MetricValue;
  order: MetricOrder;
}

const VALUES: readonly MetricValue[] = ["last", "min", "max"];
const ORDERS: readonly MetricOrder[] = ["max", "min"];
export const BEST_KEY = (projectId: string) => `corral.overview.best.${projectId}`;

/** A stored choice, or null when there is none or it is not one (an old or edited value). */
export function parseBest(text: string | null): BestChoice | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<BestChoice>;
    if (typeof v.series !== "string" || splitSeries(v.series) === null) return null;
    if (!VALUES.includes(v.value as MetricValue) || !ORDERS.includes(v.order as MetricOrder)) return null;
    return { series: v.series, value: v.value as MetricValue, order: v.order as MetricOrder };
  } catch {
    return null;
  }
}

/** ``[metric, variant]`` decoded from ``METRIC:VARIANT``, or null. */
export function splitSeries(series: string): [string, string] | null {
  const parts = series.split(":");
  if (parts.length !== 2 || !parts[0] || !parts[1]) return null;
  try {
    return [decodeURIComponent(parts[0]), decodeURIComponent(parts[1])];
  } catch {
    return null;
  }
}

/** How a series reads in the picker: ``loss / val``. */
export function seriesLabel(series: string): string {
  const parts = splitSeries(series);
  return parts ? `${parts[0]} / ${parts[1]}` : series;
}

/** The query of ``GET /projects/{id}/overview`` for a choice. */
export function overviewParams(choice: BestChoice | null): Record<string, string> {
  return choice ? { metric: `${choice.series}:${choice.value}`, order: choice.order } : {};
}

/** The stored choice of a project (null: none, or storage disabled). */
export function loadBest(projectId: string): BestChoice | null {
  try {
    return parseBest(window.localStorage.getItem(BEST_KEY(projectId)));
  } catch {
    return null;
  }
}

export function saveBest(projectId: string, choice: BestChoice | null): void {
  try {
    if (choice) window.localStorage.setItem(BEST_KEY(projectId), JSON.stringify(choice));
    else window.localStorage.removeItem(BEST_KEY(projectId));
  } catch {
    // storage disabled: the choice lasts while the page is open
  }
}

/** The metric series of the picker: the user's own first, ``:monitor:`` ones last. */
export function orderSeries(series: readonly string[]): string[] {
  const monitor = (s: string) => s.startsWith(":monitor:") || s.startsWith("%3Amonitor%3A");
  return [...series.filter((s) => !monitor(s)), ...series.filter(monitor)];
}
