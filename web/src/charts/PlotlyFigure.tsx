// A plotly figure ({data, layout}) as reported by a script. plotly is big: it is loaded
// on first use, as a chunk of its own, so that pages without plots do not pay for it,
// and as its cartesian bundle when that draws the figure (see bundleFor); preloadPlotly
// starts the download early, where a plot is likely to be wanted.
//
// The figure fits its box: the reported width and height only give an aspect ratio
// (see plotlyLayout.ts), plotly autosizes to the box and follows it as it resizes. The
// colours come from the theme's CSS variables and are redrawn when the theme changes.
// Once drawn the box carries data-ready="true" (tests and benchmarks wait for it).
import { useEffect, useRef, useState } from "react";
import type { Figure } from "../api/types";
import { annotationColors, bundleFor, fitLayout, sizeOf, type Bundle, type FullHeatmap, type ThemeColors } from "./plotlyLayout";
import "./plotly.css";

type Plotly = typeof import("plotly.js-dist-min").default;
const loading: Partial<Record<Bundle, Promise<Plotly>>> = {};
let full: Plotly | null = null;

/**
 * plotly, as a chunk of its own: the cartesian bundle (1.4 MB; scatter, bar, heatmap,
 * histogram, box, contour, pie...) unless ``bundle`` is "full" (4.6 MB; tables, 3-D,
 * maps...). Once the full one is there it draws everything.
 */
export function loadPlotly(bundle: Bundle = "full"): Promise<Plotly> {
  if (full) return Promise.resolve(full);
  if (bundle === "full") {
    loading.full ??= import("plotly.js-dist-min").then((m) => (full = m.default));
  } else {
    loading.cartesian ??= import("plotly.js-cartesian-dist-min").then((m) => m.default);
  }
  const promise = loading[bundle]!;
  promise.catch(() => delete loading[bundle]); // the next draw tries again
  return promise;
}

/** Start loading plotly now (a page about to draw figures); errors wait for the draw. */
export function preloadPlotly(bundle: Bundle = "cartesian"): void {
  loadPlotly(bundle).catch(() => undefined);
}

/** The theme's colours now (an unset variable leaves plotly's own default). */
function themeColors(): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string) => style.getPropertyValue(name).trim() || undefined;
  return { panel: v("--panel"), text: v("--text"), muted: v("--muted"), line: v("--line") };
}

/** Calls ``onChange`` when the theme changes (data-theme, the app's event, or the system's). */
function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme", "class"] });
  window.addEventListener("corral-theme", onChange);
  const media = window.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", onChange);
  return () => {
    observer.disconnect();
    window.removeEventListener("corral-theme", onChange);
    media?.removeEventListener?.("change", onChange);
  };
}

type PlotlyElement = HTMLDivElement & { _fullData?: FullHeatmap[]; layout?: Record<string, unknown> };

/** Heatmap annotations in a colour that contrasts with their cell (after a draw). */
async function fixAnnotationContrast(plotly: Plotly, el: PlotlyElement): Promise<void> {
  const annotations = el.layout?.annotations;
  const heatmaps = (el._fullData ?? []).filter((t) => t.type === "heatmap");
  if (!Array.isArray(annotations) || annotations.length === 0 || heatmaps.length === 0) return;
  const colors = annotationColors(annotations, heatmaps);
  const update: Record<string, string> = {};
  colors.forEach((c, i) => {
    const font = (annotations[i] as { font?: { color?: string } }).font;
    if (c && font?.color !== c) update[`annotations[${i}].font.color`] = c;
  });
  if (Object.keys(update).length) await plotly.relayout(el, update);
}

export function PlotlyFigure({ figure, label }: { figure: Figure; label: string }) {
  const box = useRef<PlotlyElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);
  const size = sizeOf(figure.layout);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let gone = false;
    let plotly: Plotly | null = null;
    let drawing = Promise.resolve();
    const bundle = bundleFor(figure);
    const draw = () => {
      // one draw at a time, in order: a theme change during a draw redraws after it
      drawing = drawing
        .then(async () => {
          const p = (plotly ??= await loadPlotly(bundle));
          if (gone) return;
          const data = Array.isArray(figure.data) ? figure.data : [];
          const layout = fitLayout(figure.layout, themeColors(), el.clientWidth || 600);
          await p.react(el, data, layout, { responsive: true, displaylogo: false });
          if (gone) return;
          await fixAnnotationContrast(p, el);
          if (!gone) setReady(true);
        })
        .catch((e: Error) => {
          if (!gone) setError(e.message || "the figure could not be drawn");
        });
    };
    const observer = new ResizeObserver(() => plotly && el.isConnected && el.dataset.ready === "true" && plotly.Plots.resize(el));
    observer.observe(el);
    const unwatch = watchTheme(draw);
    draw();
    return () => {
      gone = true;
      observer.disconnect();
      unwatch();
      setReady(false);
      plotly?.purge(el);
    };
  }, [figure]);

  const style: React.CSSProperties = size.aspect
    ? { aspectRatio: String(size.aspect) }
    : { height: `${size.height ?? 400}px` };
  return (
    <>
      {error && <div className="error-box" role="alert">Could not draw {label}: {error}</div>}
      <div
        className={`plotly-box${size.aspect ? " by-aspect" : ""}`}
        ref={box}
        style={style}
        role="img"
        aria-label={label}
        data-testid="plot"
        data-ready={ready ? "true" : "false"}
      />
    </>
  );
}
