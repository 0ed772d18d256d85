// Live updates: one EventSource on the hub's change stream (/changes/stream) for the
// whole app. Each change marks the cached queries it touches as stale, so whatever is on
// screen refetches; bursts (a running script reports many batches) are coalesced. The
// keys are the prefixes of api/queryKeys.ts: a prefix invalidates everything under it.

import type { QueryClient, QueryKey } from "@tanstack/react-query";
import { API } from "../api/client";
import { queryKeys as k } from "../api/queryKeys";
import type { Change } from "../api/types";

export type LiveState = "connecting" | "live" | "offline";
type Listener = (change: Change) => void;

/**
 * Keys refreshed at a slower pace: a running task reports many event batches, and a
 * table of thousands of rows need not refetch for each.
 */
export const LAZY_KEYS: QueryKey[] = [k.tasks.all, k.compare.all];

/** The query keys a change makes stale. */
export function keysFor(change: Change): QueryKey[] {
  const id = change.entity_id;
  switch (change.entity_type) {
    case "task":
      if (change.action === "events") return [k.task.one(id), ...LAZY_KEYS];
      return [
        k.task.one(id),
        k.tasks.all,
        k.projects.all,
        k.queues.all,
        k.queue.all,
        k.workers.all,
        k.worker.all,
        k.compare.all,
        // a dataset version is a task
        k.datasets.all,
      ];
    case "dataset":
      return [k.datasets.all, k.task.one(id), k.tasks.all];
    case "model":
      return [k.models.all, k.model.one(id), k.task.all];
    case "project":
      return [k.projects.all, k.tasks.all, k.members.all];
    case "queue":
      return [k.queues.all, k.queue.all];
    case "worker":
      return [k.workers.all, k.worker.all, k.queues.all, k.queue.all];
    case "key":
      return [k.keys.all];
    case "user":
      return [k.users.all, k.teams.all];
    case "team":
      return [k.teams.all, k.users.all, k.members.all];
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
