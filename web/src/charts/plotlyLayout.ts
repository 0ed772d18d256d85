// How a reported plotly figure is drawn in a card: pure functions, no plotly and no DOM.
//
// - the card decides the size: a reported width is dropped, a reported width and height
//   become an aspect ratio (matplotlib figures report 640x480), a height alone is kept;
// - the theme (CSS variables) goes in as a template under the reported layout, so the
//   figure follows light and dark while colours the script set explicitly still win;
// - labels stay inside: every axis gets automargin, long titles wrap;
// - heatmap annotations get a text colour that contrasts with their cell.

export type Layout = Record<string, unknown>;
type Dict = Record<string, unknown>;

/** The theme colours a figure is drawn with (the values of the CSS variables). */
export interface ThemeColors {
  panel?: string;
  text?: string;
  muted?: string;
  line?: string;
}

/** Height limits of a figure whose aspect ratio comes from the reported size. */
export const MIN_HEIGHT = 240;
export const MAX_HEIGHT = 640;
/** The height of a figure that reports no size. */
export const DEFAULT_HEIGHT = 400;

const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/** ``base`` with ``over`` merged in, recursively; ``over`` wins (an undefined value of
 * ``over`` changes nothing). Neither is changed. */
export function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isDict(v) && isDict(out[k]) ? deepMerge(out[k] as Dict, v) : v;
  }
  return out;
}

/** The box a figure gets: width always from the card; height fixed or by aspect ratio. */
export function sizeOf(layout: Layout | undefined): { aspect: number | null; height: number | null } {
  const w = Number(layout?.width);
  const h = Number(layout?.height);
  if (w > 0 && h > 0) return { aspect: w / h, height: null };
  if (h > 0) return { aspect: null, height: Math.min(Math.max(h, MIN_HEIGHT), 900) };
  return { aspect: null, height: null };
}

/** The title's text, whether given as a string or as ``{text}``. */
function titleText(title: unknown): string {
  if (typeof title === "string") return title;
  if (isDict(title) && typeof title.text === "string") return title.text;
  return "";
}

/**
 * ``text`` broken with ``<br>`` at spaces so that no line is longer than ``maxChars``
 * (a word longer than that stays whole). Text that already has line breaks is kept.
 */
export function wrapTitle(text: string, maxChars: number): string {
  if (text.length <= maxChars || /<br\s*\/?>/i.test(text)) return text;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join("<br>");
}

const AXIS = /^[xy]axis\d*$/;

function themeTemplate(theme: ThemeColors): Dict {
  const axis = {
    automargin: true,
    gridcolor: theme.line,
    linecolor: theme.line,
    zerolinecolor: theme.line,
    tickcolor: theme.muted,
    title: { font: { color: theme.text } },
  };
  const scene = { xaxis: axis, yaxis: axis, zaxis: axis, bgcolor: theme.panel };
  return {
    paper_bgcolor: theme.panel,
    plot_bgcolor: theme.panel,
    font: { color: theme.text },
    title: { font: { color: theme.text } },
    legend: { bgcolor: "rgba(0,0,0,0)", font: { color: theme.text } },
    xaxis: axis,
    yaxis: axis,
    scene,
    polar: { bgcolor: theme.panel, radialaxis: { gridcolor: theme.line }, angularaxis: { gridcolor: theme.line } },
    coloraxis: { colorbar: { tickfont: { color: theme.text } } },
  };
}

/**
 * The layout to draw ``layout`` with in a box ``width`` pixels wide.
 *
 * Fixed ``width``/``height`` are dropped (the box has the size, see :func:`sizeOf`);
 * the theme comes as a template under the reported one's layout part, so explicit
 * colours in the layout win; each axis gets ``automargin`` unless it says otherwise;
 * a long title wraps and the top margin makes room for its lines.
 */
export function fitLayout(layout: Layout | undefined, theme: ThemeColors, width: number): Layout {
  const reported: Dict = { ...(layout ?? {}) };
  delete reported.width;
  delete reported.height;
  const theirs = isDict(reported.template) ? reported.template : {};
  const template = {
    ...theirs,
    layout: deepMerge(isDict(theirs.layout) ? theirs.layout : {}, themeTemplate(theme)),
  };
  const out: Dict = { ...reported, autosize: true, template };
  // axes named in the layout: automargin on (a template only reaches axes it names)
  for (const [key, value] of Object.entries(reported)) {
    if (AXIS.test(key) && isDict(value) && value.automargin === undefined) out[key] = { ...value, automargin: true };
  }
  for (const key of ["xaxis", "yaxis"]) {
    if (out[key] === undefined) out[key] = { automargin: true };
  }
  const text = titleText(reported.title);
  let lines = 0;
  if (text) {
    const size = isDict(reported.title) && isDict(reported.title.font) ? Number(reported.title.font.size) || 16 : 16;
    const wrapped = wrapTitle(text, Math.max(12, Math.floor((width - 40) / (size * 0.55))));
    lines = wrapped.split("<br>").length;
    out.title = { ...(isDict(reported.title) ? reported.title : {}), text: wrapped };
  }
  const margin = isDict(reported.margin) ? reported.margin : {};
  out.margin = { t: lines ? 24 + 22 * lines : 24, r: 16, b: 40, l: 48, ...margin };
  return out;
}

// --- heatmap annotations ------------------------------------------------------------

type RGB = [number, number, number];

/** ``#abc``, ``#aabbcc``, ``rgb(...)`` or ``rgba(...)`` as [r, g, b]; null otherwise. */
export function parseColor(color: string): RGB | null {
  const c = color.trim().toLowerCase();
  let m = /^#([0-9a-f]{3})$/.exec(c);
  if (m) return [...m[1]].map((d) => parseInt(d + d, 16)) as RGB;
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(c);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as RGB;
  m = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/.exec(c);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  if (c === "white") return [255, 255, 255];
  if (c === "black") return [0, 0, 0];
  return null;
}

/** The colour of ``value`` on ``scale`` ([[0, colour], ..., [1, colour]]) between zmin and zmax. */
export function colorAt(scale: [number, string][], zmin: number, zmax: number, value: number): RGB | null {
  if (!scale.length || !Number.isFinite(value)) return null;
  const t = zmax > zmin ? Math.min(1, Math.max(0, (value - zmin) / (zmax - zmin))) : 0.5;
  let i = 0;
  while (i < scale.length - 2 && scale[i + 1][0] < t) i++;
  const [p0, c0] = scale[i];
  const [p1, c1] = scale[Math.min(i + 1, scale.length - 1)];
  const a = parseColor(c0);
  const b = parseColor(c1);
  if (!a || !b) return null;
  const f = p1 > p0 ? Math.min(1, Math.max(0, (t - p0) / (p1 - p0))) : 0;
  return [0, 1, 2].map((k) => a[k] + (b[k] - a[k]) * f) as RGB;
}

/** Relative luminance (WCAG) of an sRGB colour, 0 (black) to 1 (white). */
export function luminance([r, g, b]: RGB): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Dark text on a light background, light text on a dark one (whichever contrasts more). */
export function textColorOn(background: RGB): string {
  const l = luminance(background);
  // contrast with black (#1d2330-ish) vs with white: (l + .05) / .05 against 1.05 / (l + .05)
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#111111" : "#ffffff";
}

/** What plotly resolved for a heatmap trace (its ``_fullData`` entry). */
export interface FullHeatmap {
  type?: string;
  x?: unknown[];
  y?: unknown[];
  z?: unknown[][];
  zmin?: number;
  zmax?: number;
  colorscale?: [number, string][];
  reversescale?: boolean;
  xaxis?: string;
  yaxis?: string;
}

const axisRef = (ref: unknown, letter: "x" | "y") => (typeof ref === "string" && ref ? ref : letter);

/**
 * For each annotation lying on a heatmap cell (same axes, its x and y one of the
 * heatmap's), the font colour that contrasts with the cell's colour; ``null`` for the
 * others. ``heatmaps`` are plotly's resolved traces (colour scales as arrays, zmin/zmax
 * computed), so the colour is the one on screen.
 */
export function annotationColors(annotations: unknown[], heatmaps: FullHeatmap[]): (string | null)[] {
  return annotations.map((a) => {
    if (!isDict(a)) return null;
    const xref = axisRef(a.xref, "x");
    const yref = axisRef(a.yref, "y");
    for (const h of heatmaps) {
      if (h.type !== "heatmap" || !h.z || !h.colorscale) continue;
      if (axisRef(h.xaxis, "x") !== xref || axisRef(h.yaxis, "y") !== yref) continue;
      const j = indexOn(h.x, a.x, h.z[0]?.length ?? 0);
      const i = indexOn(h.y, a.y, h.z.length);
      if (i < 0 || j < 0) continue;
      const value = Number(h.z[i]?.[j]);
      const zs = h.z.flat().map(Number).filter(Number.isFinite);
      const zmin = Number.isFinite(h.zmin) ? Number(h.zmin) : Math.min(...zs);
      const zmax = Number.isFinite(h.zmax) ? Number(h.zmax) : Math.max(...zs);
      const scale = h.reversescale ? h.colorscale.map(([p, c]) => [1 - p, c] as [number, string]).reverse() : h.colorscale;
      const cell = colorAt(scale, zmin, zmax, value);
      return cell ? textColorOn(cell) : null;
    }
    return null;
  });
}

/** The index of ``at`` among ``labels`` (by value or text); without labels, ``at`` is the index. */
function indexOn(labels: unknown[] | undefined, at: unknown, count: number): number {
  if (labels && labels.length) {
    const exact = labels.findIndex((l) => l === at);
    return exact >= 0 ? exact : labels.findIndex((l) => String(l) === String(at));
  }
  const n = Number(at);
  return Number.isInteger(n) && n >= 0 && n < count ? n : -1;
}

// --- which plotly bundle ------------------------------------------------------------

/** The trace types of plotly's cartesian bundle (1.4 MB against the full one's 4.6 MB). */
const CARTESIAN = new Set([
  "bar", "box", "contour", "heatmap", "histogram", "histogram2d", "histogram2dcontour",
  "image", "pie", "scatter", "scatterternary", "violin",
]);
/** Layout parts only the full bundle draws (3-D scenes, maps, polar axes...). */
const FULL_ONLY = /^(scene|geo|mapbox|map|polar|smith)\d*$/;

export type Bundle = "cartesian" | "full";

/**
 * The smallest plotly bundle that draws ``figure``: the cartesian one when every trace
 * is of its types (a trace without a type is a scatter) and the layout asks for nothing
 * else, the full one otherwise (tables, 3-D, maps, WebGL traces...).
 */
export function bundleFor(figure: { data?: unknown[]; layout?: Layout }): Bundle {
  const traces = Array.isArray(figure.data) ? figure.data : [];
  for (const trace of traces) {
    const type = isDict(trace) && typeof trace.type === "string" ? trace.type : "scatter";
    if (!CARTESIAN.has(type)) return "full";
  }
  return Object.keys(figure.layout ?? {}).some((k) => FULL_ONLY.test(k)) ? "full" : "cartesian";
}
