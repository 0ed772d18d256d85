import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it, vi } from "vitest";
import type { Change } from "../api/types";
import { keysFor, LiveChanges } from "./changes";

const change = (entity_type: string, action: string, entity_id = "t1"): Change => ({
  id: 1,
  time: "2026-01-01T00:00:00Z",
  entity_type,
  entity_id,
  action,
  project_id: null,
  user_id: null,
  payload: {},
});

describe("keysFor", () => {
  it("refreshes one task, the lists and the queues when a task changes status", () => {
    const keys = keysFor(change("task", "stopped"));
    expect(keys).toContainEqual(["task", "t1"]);
    expect(keys).toContainEqual(["tasks"]);
    expect(keys).toContainEqual(["queues"]);
  });
  it("refreshes the datasets when a task (a dataset version is one) or a dataset changes", () => {
    expect(keysFor(change("task", "updated"))).toContainEqual(["datasets"]);
    expect(keysFor(change("dataset", "updated", "d"))).toEqual([["datasets"], ["task", "d"], ["tasks"]]);
  });
  it("refreshes the task's data when it reports events", () => {
    expect(keysFor(change("task", "events"))).toEqual([["task", "t1"], ["tasks"], ["compare"]]);
  });
  it("maps queues, workers and models", () => {
    expect(keysFor(change("queue", "reordered", "q"))).toContainEqual(["queues"]);
    expect(keysFor(change("worker", "gone", "w"))).toContainEqual(["workers"]);
    expect(keysFor(change("model", "published", "m"))).toContainEqual(["model", "m"]);
    expect(keysFor(change("unknown", "x"))).toEqual([]);
  });
});

class FakeEventSource {
  static last: FakeEventSource;
  listeners: Record<string, ((e: unknown) => void)[]> = {};
  constructor(public url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, fn: (e: unknown) => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  close() {}
  emit(c: Change) {
    this.listeners.change?.forEach((fn) => fn({ data: JSON.stringify(c) }));
  }
}

describe("LiveChanges", () => {
  it("coalesces a burst and refreshes task lists at the slower pace for events", () => {
    vi.useFakeTimers();
    vi.stubGlobal("EventSource", FakeEventSource);
    const client = new QueryClient();
    const spy = vi.spyOn(client, "invalidateQueries").mockResolvedValue();
    const live = new LiveChanges(client, 300, 3000);
    live.start();
    for (let i = 0; i < 50; i++) FakeEventSource.last.emit(change("task", "events"));
    vi.advanceTimersByTime(300);
    const first = spy.mock.calls.map((c) => c[0]?.queryKey);
    expect(first).toEqual([["task", "t1"]]);
    vi.advanceTimersByTime(3000);
    const all = spy.mock.calls.map((c) => c[0]?.queryKey);
    expect(all).toContainEqual(["tasks"]);
    expect(all.filter((k) => JSON.stringify(k) === '["tasks"]')).toHaveLength(1);
    live.stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });
});
