// The colours of the compared runs: one per run, the same in every section of the page.
// The first twelve are picked to stay apart (at least 29 ΔE in CIELAB, readable on a
// light and a dark background); beyond twelve, hues walk the golden angle. Run colours
// are data, not theme: they are the same in both themes.

const FIRST = [
  "#2f6fed", // blue
  "#f08c00", // orange
  "#2b8a3e", // green
  "#c2255c", // crimson
  "#1098ad", // teal
  "#f032e6", // magenta
  "#9c6b4e", // brown
  "#808000", // olive
  "#ff725c", // coral
  "#7048e8", // violet
  "#e377c2", // pink
  "#808080", // grey
] as const;

/** Count of colours guaranteed to be distinct from each other. */
export const DISTINCT_COLORS = FIRST.length;

function hex(n: number): string {
  return Math.round(Math.min(255, Math.max(0, n * 255)))
    .toString(16)
    .padStart(2, "0");
}

/** #rrggbb of an HSL colour (h in degrees, s and l in 0..1). */
export function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return `#${hex(f(0))}${hex(f(8))}${hex(f(4))}`;
}

/** The colour of the ``i``-th compared run (deterministic for any i >= 0). */
export function runColor(i: number): string {
  if (i < FIRST.length) return FIRST[i];
  const k = i - FIRST.length;
  return hslToHex((k * 137.508 + 17) % 360, 0.65, k % 2 ? 0.62 : 0.46);
}

/** CIELAB (D65) of a #rrggbb colour. */
export function toLab(color: string): [number, number, number] {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const [r, g, b] = [1, 3, 5].map((i) => lin(parseInt(color.slice(i, i + 2), 16) / 255));
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** Euclidean distance in CIELAB (ΔE 1976) of two #rrggbb colours. */
export function deltaE(a: string, b: string): number {
  const [p, q] = [toLab(a), toLab(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

/** Stops of the viridis scale (perceptually even, readable by the colour-blind). */
const VIRIDIS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour at ``t`` (0..1, clamped) of the viridis scale, as rgb(). */
export function scaleColor(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS[i], VIRIDIS[i + 1]];
  const c = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}
