// The compare page's sections: their anchors, the sticky nav that links them, and the
// scroll to the anchor of the link (/compare?ids=..#plots) once the page is there.
import { useEffect } from "react";
import { Link, useLocation } from "react-router-dom";

export const SECTIONS = [
  { id: "parameters", title: "Hyperparameters" },
  { id: "analysis", title: "Parameters vs metric" },
  { id: "metrics", title: "Final metrics" },
  { id: "scalars", title: "Scalars" },
  { id: "plots", title: "Plots" },
  { id: "debug-samples", title: "Debug samples" },
] as const;

export function SectionNav() {
  const { search, hash } = useLocation();
  return (
    <nav className="compare-nav" aria-label="Sections">
      {SECTIONS.map((s) => (
        <Link key={s.id} to={{ search, hash: s.id }} replace aria-current={hash === `#${s.id}` ? "location" : undefined}>
          {s.title}
        </Link>
      ))}
    </nav>
  );
}

/** What the user does to scroll on their own: then the page stops holding the anchor. */
const USER_SCROLLS = ["wheel", "touchstart", "keydown", "mousedown"] as const;

/**
 * Scrolls to the element of the location's hash once ``ready``, and holds it there
 * while the sections above it grow (their charts and figures arrive after the first
 * scroll) until the user scrolls on their own.
 */
export function useScrollToHash(ready: boolean): void {
  const { hash } = useLocation();
  useEffect(() => {
    if (!ready || hash.length < 2) return;
    const target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) return;
    const scroll = () => target.scrollIntoView({ block: "start" });
    const observer = new ResizeObserver(scroll);
    const stop = () => {
      observer.disconnect();
      USER_SCROLLS.forEach((e) => window.removeEventListener(e, stop, true));
    };
    scroll();
    observer.observe(target.closest(".compare-page") ?? document.body);
    USER_SCROLLS.forEach((e) => window.addEventListener(e, stop, { capture: true, passive: true }));
    return stop;
  }, [ready, hash]);
}
