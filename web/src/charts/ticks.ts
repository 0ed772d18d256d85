// Numbers on chart axes and in legends. A set of ticks is formatted together, with the
// fewest decimals that tell every tick apart exactly ("0.25, 0.5, 0.75", never ".0075"
// nor "2, 2, 1"); big values get an SI suffix ("1.5M"), tiny ones an exponent
// ("7.5e-4"). Log-scale ticks span decades, so each is formatted on its own.

const SI = [
  { exp: 12, suffix: "T" },
  { exp: 9, suffix: "G" },
  { exp: 6, suffix: "M" },
  { exp: 3, suffix: "k" },
];

/** From here on values get an SI suffix; below SMALL an exponent. */
const BIG = 1e4;
const SMALL = 1e-3;
const MAX_DECIMALS = 10;

/** "-0" is "0"; the rest as toFixed says. */
function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** The fewest decimals (up to MAX_DECIMALS) with which each of ``vals`` reads back as itself. */
function decimalsFor(vals: readonly number[]): number {
  const scale = Math.max(...vals.map(Math.abs));
  const tolerance = Math.max(scale * 1e-9, 1e-300);
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    if (vals.every((v) => Math.abs(Number(v.toFixed(d)) - v) <= tolerance)) return d;
  }
  return MAX_DECIMALS;
}

/** The fewest significant digits (2..10) in exponent notation that keep ``vals`` apart exactly. */
function exponential(vals: readonly number[]): string[] {
  const scale = Math.max(...vals.map(Math.abs));
  const tolerance = scale * 1e-9;
  let digits = 0;
  while (digits < 9 && !vals.every((v) => Math.abs(Number(v.toExponential(digits)) - v) <= tolerance)) digits++;
  return vals.map((v) => (v === 0 ? "0" : v.toExponential(digits).replace("e+", "e")));
}

/**
 * Labels for ``vals``, formatted together. ``integer``: the values are counts or
 * iterations (no decimals; SI only past a million, and only when exact).
 */
export function formatTicks(vals: readonly number[], integer = false): string[] {
  const finite = vals.filter(Number.isFinite);
  if (finite.length === 0) return vals.map(() => "");
  const scale = Math.max(...finite.map(Math.abs));
  const label = (fn: (v: number) => string) => vals.map((v) => (Number.isFinite(v) ? fn(v) : ""));
  if (scale === 0) return label(() => "0");
  const big = integer ? 1e6 : BIG;
  if (scale >= big) {
    const si = SI.find((s) => scale >= 10 ** s.exp) ?? SI[SI.length - 1];
    const scaled = finite.map((v) => v / 10 ** si.exp);
    const d = decimalsFor(scaled);
    // an iteration that does not fit a short SI label is written out
    if (!integer || d <= 2) return label((v) => (v === 0 ? "0" : fixed(v / 10 ** si.exp, d) + si.suffix));
  }
  if (integer) return label((v) => fixed(Math.round(v), 0));
  if (scale < SMALL) {
    const labels = exponential(finite);
    let i = 0;
    return vals.map((v) => (Number.isFinite(v) ? labels[i++] : ""));
  }
  return label((v) => fixed(v, decimalsFor(finite)));
}

/** One value on its own (a legend, a log-scale tick): 4 significant digits at most. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= BIG) return formatTicks([Number(v.toPrecision(4))])[0];
  if (a < SMALL) return Number(v.toPrecision(4)).toExponential().replace("e+", "e");
  return String(Number(v.toPrecision(4)));
}

/** Log-scale ticks: each on its own (they span decades). */
export function formatLogTicks(vals: readonly number[]): string[] {
  return vals.map((v) => (Number.isFinite(v) ? formatValue(v) : ""));
}

/** Tick steps for integer axes (iterations, counts): never a fraction. */
export const INTEGER_INCRS: number[] = (() => {
  const out: number[] = [];
  for (let e = 0; e <= 15; e++) for (const m of [1, 2, 5]) out.push(m * 10 ** e);
  return out;
})();
