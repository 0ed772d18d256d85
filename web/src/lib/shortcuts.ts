// Keyboard shortcuts: pages register theirs with ``useShortcuts``; one window listener
// runs them, and the help dialog (``?``) lists whatever is registered at that moment, so
// the help is always true to the page on screen.
//
// A key is what ``KeyboardEvent.key`` says ("j", "/", "?", "Enter", "ArrowDown"), or a
// sequence of two such keys separated by a space ("g p": g, then p within a second).
// Shortcuts never fire while the user types in a field, nor with Ctrl, Alt or Meta held
// (those belong to the browser), nor while a dialog is open unless ``inDialogs`` is set.
import { useEffect, useRef, useSyncExternalStore } from "react";

export type Shortcut = {
  key: string;
  description: string;
  run: (event: KeyboardEvent) => void;
  /** also while a modal dialog is open (default: no) */
  inDialogs?: boolean;
};

type Entry = Shortcut & { group: string; id: number };

const entries = new Map<number, Entry>();
const listeners = new Set<() => void>();
let snapshot: Entry[] = [];
let nextId = 1;
let pending: { key: string; at: number } | null = null;

const SEQUENCE_MS = 1000;

function changed(): void {
  snapshot = [...entries.values()];
  listeners.forEach((l) => l());
}

/** True when the event comes from a place where keys are text, not commands. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = (target as HTMLInputElement).type;
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(type);
}

function dialogOpen(): boolean {
  return document.querySelector("[role=dialog][aria-modal=true]") !== null;
}

/** Finds the shortcut for this key press, given the key pressed just before (if recent). */
export function match(list: readonly Entry[], key: string, previous: string | null): Entry | undefined {
  // the newest registration wins, so a page's own "j" overrides a global one
  const newestFirst = [...list].reverse();
  if (previous) {
    const seq = newestFirst.find((e) => e.key === `${previous} ${key}`);
    if (seq) return seq;
  }
  return newestFirst.find((e) => e.key === key);
}

function startsSequence(list: readonly Entry[], key: string): boolean {
  return list.some((e) => e.key.startsWith(`${key} `));
}

function onKeyDown(event: KeyboardEvent): void {
  if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
  if (isTyping(event.target)) return;
  const now = Date.now();
  const previous = pending && now - pending.at < SEQUENCE_MS ? pending.key : null;
  const inDialog = dialogOpen();
  const usable = snapshot.filter((e) => !inDialog || e.inDialogs);
  const found = match(usable, event.key, previous);
  if (found) {
    pending = null;
    event.preventDefault();
    found.run(event);
    return;
  }
  pending = startsSequence(usable, event.key) ? { key: event.key, at: now } : null;
}

let installed = false;
function install(): void {
  if (installed) return;
  installed = true;
  window.addEventListener("keydown", onKeyDown);
}

/**
 * Registers ``list`` under ``group`` (the heading in the help) while the component is
 * mounted. The handlers may change on every render; the keys are registered once per
 * distinct set of keys.
 */
export function useShortcuts(group: string, list: Shortcut[]): void {
  const latest = useRef(list);
  useEffect(() => {
    latest.current = list;
  });
  const signature = list.map((s) => `${s.key}\u0000${s.description}\u0000${s.inDialogs ? 1 : 0}`).join("\u0001");
  useEffect(() => {
    install();
    const ids = latest.current.map((s, index) => {
      const id = nextId++;
      entries.set(id, {
        key: s.key,
        description: s.description,
        inDialogs: s.inDialogs,
        group,
        id,
        run: (e) => latest.current[index]?.run(e),
      });
      return id;
    });
    changed();
    return () => {
      ids.forEach((id) => entries.delete(id));
      changed();
    };
  }, [group, signature]);
}

/** The shortcuts registered now, for the help dialog. */
export function useRegisteredShortcuts(): readonly Entry[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => snapshot,
  );
}
