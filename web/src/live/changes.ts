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

/** The query keys a change makes stale. */
export function keysFor(change: Change): QueryKey[] {
  const id = change.entity_id;
  switch (change.entity_type) {
    case "task":
      if (change.action === "events") return [["task", id], ["tasks"], ["compare"]];
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
  private timer: ReturnType<typeof setTimeout> | null = null;
  state: LiveState = "connecting";

  constructor(
    private readonly client: QueryClient,
    private readonly delayMs = 300,
  ) {}

  start(): void {
    if (this.source) return;
    const source = new EventSource(`${API}/changes/stream?heartbeat=15`, { withCredentials: true });
    source.addEventListener("open", () => this.setState("live"));
    source.addEventListener("error", () => this.setState("offline"));
    source.addEventListener("change", (event) => {
      const change = JSON.parse((event as MessageEvent).data) as Change;
      this.listeners.forEach((l) => l(change));
      for (const key of keysFor(change)) this.pending.set(JSON.stringify(key), key);
      this.schedule();
    });
    this.source = source;
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const keys = [...this.pending.values()];
      this.pending.clear();
      for (const queryKey of keys) void this.client.invalidateQueries({ queryKey });
    }, this.delayMs);
  }
}
