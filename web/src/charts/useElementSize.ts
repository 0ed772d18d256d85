// Element measurements for charts: the width a chart will have (to ask the hub for about
// one point per pixel) and whether it is near the screen yet (to draw it only then).
import { useEffect, useLayoutEffect, useState, type RefObject } from "react";

/** The element's width in CSS pixels, followed as it resizes (0 before it is laid out). */
export function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/** True once the element has come within ``margin`` pixels of the viewport (and stays true). */
export function useSeen(ref: RefObject<HTMLElement | null>, margin = 300): boolean {
  // without IntersectionObserver (old browsers, tests) everything counts as seen
  const [seen, setSeen] = useState(() => typeof IntersectionObserver === "undefined");
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setSeen(true), {
      rootMargin: `${margin}px`,
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref, margin, seen]);
  return seen;
}
