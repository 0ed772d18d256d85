// Chart colours come from the page's CSS variables (web/src/styles.css), read when a
// chart draws, so that a chart follows the light and dark themes. ``useThemeVersion``
// changes whenever the theme does: the ``data-theme`` attribute of <html>, the
// ``corral-theme`` window event, or the system's colour scheme.
import { useEffect, useState } from "react";

/** The value of a CSS variable of the document, or ``fallback`` when it is not set. */
export function cssVar(name: string, fallback: string): string {
  if (typeof document === "undefined") return fallback;
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** A number that changes each time the theme changes (to redraw with the new colours). */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme", "class", "style"] });
    window.addEventListener("corral-theme", bump);
    const media = typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;
    media?.addEventListener?.("change", bump);
    return () => {
      observer.disconnect();
      window.removeEventListener("corral-theme", bump);
      media?.removeEventListener?.("change", bump);
    };
  }, []);
  return version;
}
