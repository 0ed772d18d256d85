// Live updates: one EventSource on the hub's change stream (/changes/stream) for the
// whole app. Each change marks the cached queries it touches as stale, so whatever is on
// screen refetches; bursts (a running script reports many batches) are coalesced.
//
// Query keys the app uses (a prefix invalidates everything under it):
//   ["tasks", ...]                 task lists and tables
//   ["task", id, ...]              one task and its sub-resources (scalars, logs, plots...)
//   ["compare", ...]               the compare view
//   ["projects"], ["models"], ["model", id], ["queues"], ["queue", name],
//   ["workers"], ["worker", id], ["keys"], ["users"]

import type { QueryClient, QueryKey } from "@tanstack/react-query";
import { API } from "../api/client";
import type { Change } from "../api/types";

export type LiveState = "connecting" | "live" | "offline";
type Listener = (change: Change) => void;

/**
 * Keys refreshed at a slower pace: a running task reports many event batches, and a
 * table of thousands of rows need not refetch for each.
 */
export const LAZY_KEYS: QueryKey[] = [["tasks"], ["compare"]];

/** The query keys a change makes stale. */
export function keysFor(change: Change): QueryKey[] {
  const id = change.entity_id;
  switch (change.entity_type) {
    case "task":
      if (change.action === "events") return [["task", id], ...LAZY_KEYS];
      return [["task", id], ["tasks"], ["projects"], ["queues"], ["queue"], ["workers"], ["worker"], ["compare"]];
    case "model":
      return [["models"], ["model", id], ["task"]];
    case "project":
      return [["projects"], ["tasks"]];
    case "queue":
      return [["queues"], ["queue"]];
    case "worker":
      return [["workers"], ["worker"], ["queues"], ["queue"]];
    case "key":
      return [["keys"]];
    case "user":
      return [["users"]];
    default:
      return [];
  }
}

export class LiveChanges {
  private source: EventSource | null = null;
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(s: LiveState) => void>();
  private pending = new Map<string, QueryKey>();
  private lazy = new Map<string, QueryKey>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lazyTimer: ReturnType<typeof setTimeout> | null = null;
  state: LiveState = "connecting";

  constructor(
    private readonly client: QueryClient,
    private readonly delayMs = 300,
    private readonly lazyDelayMs = 3000,
  ) {}

  start(): void {
    if (this.source) return;
    const source = new EventSource(`${API}/changes/stream?heartbeat=15`, { withCredentials: true });
    source.addEventListener("open", () => this.setState("live"));
    source.addEventListener("error", () => this.setState("offline"));
    source.addEventListener("change", (event) => {
      const change = JSON.parse((event as MessageEvent).data) as Change;
      this.listeners.forEach((l) => l(change));
      const events = change.entity_type === "task" && change.action === "events";
      for (const key of keysFor(change)) {
        const k = JSON.stringify(key);
        const lazy = events && LAZY_KEYS.some((l) => JSON.stringify(l) === k);
        (lazy ? this.lazy : this.pending).set(k, key);
      }
      this.schedule();
    });
    this.source = source;
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.timer) clearTimeout(this.timer);
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    this.timer = this.lazyTimer = null;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (s: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(state: LiveState): void {
    this.state = state;
    this.stateListeners.forEach((l) => l(state));
  }

  private schedule(): void {
    if (!this.timer && this.pending.size) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush(this.pending);
      }, this.delayMs);
    }
    if (!this.lazyTimer && this.lazy.size) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = null;
        this.flush(this.lazy);
      }, this.lazyDelayMs);
    }
  }

  private flush(keys: Map<string, QueryKey>): void {
    const all = [...keys.values()];
    keys.clear();
    for (const queryKey of all) void this.client.invalidateQueries({ queryKey });
  }
}
