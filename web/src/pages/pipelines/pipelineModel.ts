// What the Pipelines pages read from a controller task, with no I/O: its steps and their
// live state, its version and parameters, and its runs grouped into pipelines.
//
// A pipeline run is a controller task. The controller records the DAG and the state of
// each step in ``runtime.pipeline`` (updated on every change); before it has run (a
// fresh clone) only the definition exists, in the configuration object ``Pipeline``, and
// the steps that did run are the controller's child tasks.
import type { Hyperparam, Hyperparams, TaskBrief, TaskOut } from "../../api/types";

/** A step's state, as the controller records it. */
export type NodeStatus = "pending" | "running" | "completed" | "cached" | "failed" | "aborted" | "skipped";

const NODE_STATUSES: readonly NodeStatus[] = ["pending", "running", "completed", "cached", "failed", "aborted", "skipped"];

export interface PipelineNode {
  name: string;
  parents: string[];
  kind: "function" | "task" | string;
  queue: string | null;
  status: NodeStatus;
  /** the step's own task (null while pending, and for a cached step) */
  taskId: string | null;
  /** the task whose result a cached step reuses */
  cachedFrom: string | null;
  attempts: number;
  /** epoch seconds */
  started: number | null;
  ended: number | null;
  reason: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

export function nodeStatus(v: unknown): NodeStatus {
  return NODE_STATUSES.includes(v as NodeStatus) ? (v as NodeStatus) : "pending";
}

/** One entry of ``runtime.pipeline.nodes``, read defensively (the hub stores it as given). */
export function readNode(raw: unknown): PipelineNode | null {
  if (!isObject(raw) || !str(raw.name)) return null;
  return {
    name: raw.name as string,
    parents: strings(raw.parents),
    kind: str(raw.kind) ?? "function",
    queue: str(raw.queue),
    status: nodeStatus(raw.status),
    taskId: str(raw.task_id),
    cachedFrom: str(raw.cached_from),
    attempts: num(raw.attempts) ?? 0,
    started: num(raw.started),
    ended: num(raw.ended),
    reason: typeof raw.reason === "string" ? raw.reason : "",
  };
}

/** The pipeline's definition (``configuration.Pipeline``), or null when absent or unreadable. */
export function pipelineDefinition(task: Pick<TaskOut, "configuration">): Json | null {
  const text = task.configuration?.Pipeline?.value;
  if (!text) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** How a child task's status reads as a step's. */
const FROM_TASK: Record<string, NodeStatus> = {
  created: "pending",
  queued: "pending",
  in_progress: "running",
  completed: "completed",
  published: "completed",
  failed: "failed",
  stopped: "aborted",
};

const epoch = (iso: string | null | undefined): number | null => (iso ? new Date(iso).getTime() / 1000 : null);

/**
 * The steps of a run: the controller's live record when there is one; else the
 * definition's steps, each matched by name to the child task that ran it (if any).
 */
export function pipelineNodes(task: Pick<TaskOut, "runtime" | "configuration">, children: readonly TaskBrief[] = []): PipelineNode[] {
  const state = (task.runtime as Json | undefined)?.pipeline;
  if (isObject(state) && Array.isArray(state.nodes)) {
    const nodes = state.nodes.map(readNode).filter((n): n is PipelineNode => n !== null);
    if (nodes.length) return nodes;
  }
  const steps = pipelineDefinition(task)?.steps;
  const byName = new Map(children.filter((c) => c.type !== "controller").map((c) => [c.name, c]));
  if (isObject(steps)) {
    return Object.entries(steps).map(([name, raw]) => {
      const step = isObject(raw) ? raw : {};
      const child = byName.get(name);
      return {
        name,
        parents: strings(step.parents),
        kind: str(step.kind) ?? "function",
        queue: str(step.queue),
        status: child ? (FROM_TASK[child.status] ?? "pending") : "pending",
        taskId: child?.id ?? null,
        cachedFrom: null,
        attempts: child ? 1 : 0,
        started: epoch(child?.started_at),
        ended: epoch(child?.completed_at),
        reason: child?.status_reason ?? "",
      };
    });
  }
  // a decorator run without a record yet: its steps as they appear
  return [...byName.values()].map((c) => ({
    name: c.name,
    parents: [],
    kind: "function",
    queue: null,
    status: FROM_TASK[c.status] ?? "pending",
    taskId: c.id,
    cachedFrom: null,
    attempts: 1,
    started: epoch(c.started_at),
    ended: epoch(c.completed_at),
    reason: c.status_reason,
  }));
}

/** The task a step's click opens: its own, or (cached) the one that produced its result. */
export function nodeTarget(node: PipelineNode): string | null {
  return node.taskId ?? node.cachedFrom;
}

/** Seconds a step ran (until now while it runs), or null before it started. */
export function nodeDuration(node: PipelineNode, nowSeconds: number = Date.now() / 1000): number | null {
  if (node.started === null) return null;
  const end = node.ended ?? (node.status === "running" ? nowSeconds : null);
  return end === null ? null : Math.max(0, end - node.started);
}

/** The run's version: ``runtime.version``, else the definition's. */
export function runVersion(task: Pick<TaskOut, "runtime" | "configuration">): string | null {
  const v = (task.runtime as Json | undefined)?.version;
  if (typeof v === "string" && v) return v;
  if (typeof v === "number") return String(v);
  return str(pipelineDefinition(task)?.version);
}

/** The pipeline's parameters (section ``Args``), by name. */
export function runParameters(task: { hyperparams?: Hyperparams | null }): Record<string, Hyperparam> {
  return task.hyperparams?.Args ?? {};
}

/** "rows=5, days=21" (long values clipped), for a table cell. */
export function compactParameters(params: Record<string, Hyperparam>, maxValue = 24): string {
  return Object.entries(params)
    .map(([name, p]) => {
      const text = typeof p.value === "string" ? p.value : JSON.stringify(p.value ?? null);
      return `${name}=${text.length > maxValue ? `${text.slice(0, maxValue - 1)}…` : text}`;
    })
    .join(", ");
}

/** A run that may still change: its DAG is followed, its duration ticks. */
export function isActive(status: string): boolean {
  return status === "queued" || status === "in_progress";
}

export interface Pipeline {
  /** ``project_id/name`` */
  key: string;
  name: string;
  projectId: string;
  /** newest first */
  runs: TaskBrief[];
}

/** Controller tasks grouped into pipelines (project + name), the most recently run first. */
export function groupPipelines(runs: readonly TaskBrief[]): Pipeline[] {
  const groups = new Map<string, Pipeline>();
  for (const run of runs) {
    const key = `${run.project_id}/${run.name}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, name: run.name, projectId: run.project_id, runs: [] }));
    group.runs.push(run);
  }
  const newest = (p: Pipeline) => Math.max(...p.runs.map((r) => new Date(r.created_at).getTime()));
  for (const g of groups.values()) g.runs.sort((a, b) => b.created_at.localeCompare(a.created_at));
  return [...groups.values()].sort((a, b) => newest(b) - newest(a) || a.name.localeCompare(b.name));
}

/** Counts of steps by status, in a fixed order, for a one-line summary ("3 completed, 1 running"). */
export function statusSummary(nodes: readonly PipelineNode[]): string {
  const counts = new Map<NodeStatus, number>();
  for (const n of nodes) counts.set(n.status, (counts.get(n.status) ?? 0) + 1);
  return NODE_STATUSES.filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(", ");
}
