// The colour theme: the user's choice (System, Light or Dark, remembered in
// localStorage) resolved against the system's preference and written to
// ``<html data-theme="light|dark">`` (styles.css holds both palettes). Every change
// dispatches the window event ``corral-theme`` so that canvases (charts) redraw with the
// new colours, which they read from the CSS variables at draw time (``cssVar``).
import { useSyncExternalStore } from "react";

export type ThemeChoice = "system" | "light" | "dark";
export type Theme = "light" | "dark";

export const THEME_KEY = "corral.theme";
export const THEME_EVENT = "corral-theme";
const CHOICES: readonly ThemeChoice[] = ["system", "light", "dark"];

/** Parses a stored choice; anything unknown (or nothing) means "system". */
export function parseChoice(value: string | null | undefined): ThemeChoice {
  return CHOICES.includes(value as ThemeChoice) ? (value as ThemeChoice) : "system";
}

/** The theme shown for a choice, given whether the system prefers dark. */
export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  if (choice === "system") return systemDark ? "dark" : "light";
  return choice;
}

/** The theme the ``t`` shortcut switches to: the opposite of the one on screen. */
export function toggled(shown: Theme): ThemeChoice {
  return shown === "dark" ? "light" : "dark";
}

function systemQuery(): MediaQueryList | null {
  return typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;
}

function storedChoice(): ThemeChoice {
  try {
    return parseChoice(window.localStorage.getItem(THEME_KEY));
  } catch {
    return "system"; // storage disabled: follow the system
  }
}

let choice: ThemeChoice = "system";
const listeners = new Set<() => void>();

function apply(): void {
  const theme = resolveTheme(choice, systemQuery()?.matches ?? false);
  const root = document.documentElement;
  const before = root.dataset.theme;
  root.dataset.theme = theme;
  root.dataset.themeChoice = choice;
  listeners.forEach((l) => l());
  if (before !== theme) window.dispatchEvent(new CustomEvent(THEME_EVENT, { detail: { theme, choice } }));
}

let started = false;
/** Sets the theme before the first render and follows the system from then on. */
export function initTheme(): void {
  if (started) return;
  started = true;
  choice = storedChoice();
  apply();
  systemQuery()?.addEventListener("change", () => {
    if (choice === "system") apply();
  });
  // another tab changed the choice
  window.addEventListener("storage", (e) => {
    if (e.key === THEME_KEY) {
      choice = parseChoice(e.newValue);
      apply();
    }
  });
}

export function setThemeChoice(next: ThemeChoice): void {
  choice = next;
  try {
    if (next === "system") window.localStorage.removeItem(THEME_KEY);
    else window.localStorage.setItem(THEME_KEY, next);
  } catch {
    // storage disabled: the choice lasts until the page is reloaded
  }
  apply();
}

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === "dark" ? "dark" : "light";
}

/** The value of a CSS variable of the current theme (``cssVar("--text")``), for canvases. */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The user's choice and the theme on screen, re-rendering when either changes. */
export function useTheme(): { choice: ThemeChoice; theme: Theme } {
  const c = useSyncExternalStore(subscribe, () => choice);
  const theme = useSyncExternalStore(subscribe, currentTheme);
  return { choice: c, theme };
}
