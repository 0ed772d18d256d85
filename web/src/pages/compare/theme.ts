// The theme's colours for the charts this page draws itself: read from the CSS variables
// of styles.css when drawing, and drawn again when the theme changes (the data-theme
// attribute of <html>, the app's "corral-theme" event, or the system's colour scheme).
import { useEffect, useState } from "react";

export interface ThemeColors {
  text: string;
  muted: string;
  line: string;
  panel: string;
}

/** The current values of the theme's variables (empty when a variable is not set). */
export function themeColors(): ThemeColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return { text: v("--text"), muted: v("--muted"), line: v("--line"), panel: v("--panel") };
}

/** A number that changes whenever the theme may have changed: a dependency to redraw on. */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme", "class"] });
    window.addEventListener("corral-theme", bump);
    const scheme = window.matchMedia?.("(prefers-color-scheme: dark)");
    scheme?.addEventListener("change", bump);
    return () => {
      observer.disconnect();
      window.removeEventListener("corral-theme", bump);
      scheme?.removeEventListener("change", bump);
    };
  }, []);
  return version;
}

/** Layout keys that make a plotly figure follow the theme. */
export function themedLayout(c: ThemeColors): Record<string, unknown> {
  const axis = { color: c.text || undefined, gridcolor: c.line || undefined, linecolor: c.line || undefined, zerolinecolor: c.line || undefined };
  return {
    paper_bgcolor: c.panel || undefined,
    plot_bgcolor: c.panel || undefined,
    font: { color: c.text || undefined },
    xaxis: axis,
    yaxis: axis,
  };
}
