// The hub's wire types, one per resource, for every page. They are names over the types
// generated from the hub's OpenAPI schema (schema.gen.ts: `scripts/gen-ui-types` writes it
// from src/corral/schemas/, and a test fails while it is stale); nothing here is written
// by hand but the shape of the few fields the schema declares only as "an object"
// (`last_metrics`, a plot's figure, a worker's GPU figures).
import type { components } from "./schema.gen";

type Schemas = components["schemas"];

/** ``T`` with the fields of ``Fields`` given a precise type. */
type Narrow<T, Fields> = Omit<T, keyof Fields> & Fields;

// accounts
/** A user; ``email``, ``role`` and ``allowed_ips`` of others are null to non-admins. */
export type User = Schemas["UserOut"];
export type Session = Schemas["SessionOut"];
/** An API key with its scope (read-only, projects, expiry, networks) and last use. */
export type ApiKey = Schemas["KeyOut"];
export type ApiKeyCreated = Schemas["KeyCreated"];

/** Counts and activity cover the project's subprojects too. */
export type Project = Schemas["ProjectOut"];

// multi-user security (issue 13)
export type HubRole = Schemas["UserCreate"]["role"] & string;
export type UserKind = NonNullable<Schemas["UserCreate"]["kind"]>;
export type ProjectRole = Schemas["MemberSet"]["role"];
export type MemberType = NonNullable<Schemas["MemberSet"]["member_type"]>;
export type TeamOut = Schemas["TeamOut"];
export type AuditOutcome = Schemas["AuditEntryOut"]["outcome"] & ("ok" | "denied" | "failed");
export type AuditEntry = Narrow<Schemas["AuditEntryOut"], { outcome: AuditOutcome; detail: Record<string, unknown> }>;
export type AuditPage = Narrow<Schemas["Page_AuditEntryOut_"], { items: AuditEntry[] }>;

/** One browser session of the user (``GET /auth/sessions``); ``id`` is not the cookie. */
export type WebSessionOut = Schemas["SessionInfo"];
/** A user name (``user:NAME``) or address (``ip:ADDR``) slowed down or locked out. */
export type Lockout = Schemas["LockoutOut"];

/** Ways to log in (``GET /auth/providers``, anonymous): ``oidc`` is null without single sign-on. */
export type AuthProviders = Schemas["AuthProviders"];
/** A user or team with a role on a project; ``inherited_from`` names the ancestor it comes from. */
export type ProjectMember = Narrow<Schemas["MemberOut"], { member_type: MemberType; role: ProjectRole }>;

// tasks
/** One series' summary: ``last_metrics[metric][variant]``. */
export interface MetricValue {
  last: number | null;
  min: number | null;
  max: number | null;
  iteration: number | null;
}
/** metric -> variant -> summary */
export type LastMetrics = Record<string, Record<string, MetricValue>>;
/** A hyperparameter: its JSON value, declared type and description. */
export type Hyperparam = Schemas["HyperparamOut"];
/** section -> name -> {value, type, description} */
export type Hyperparams = Record<string, Record<string, Hyperparam>>;
export type ConfigItem = Schemas["ConfigItemOut"];
export type Script = Schemas["ScriptOut"];
export type Container = Schemas["ContainerOut"];
/** machine facts (os, cpu_cores, gpu_type...) and user properties */
export type Runtime = Schemas["Runtime"];
export type ModelRef = Schemas["ModelRefOut"];
export type TaskModels = Schemas["TaskModelsOut"];
export type TaskStatus = Schemas["TaskOut"]["status"];
export type TaskType = Schemas["TaskOut"]["type"];
/** What the hub accepts for a task now (each task carries its ``allowed_actions``). */
export type TaskAction = Schemas["TaskOut"]["allowed_actions"][number];

export type TaskBrief = Narrow<Schemas["TaskBrief"], { last_metrics: LastMetrics }>;
export type TaskOut = Narrow<Schemas["TaskOut"], { last_metrics: LastMetrics }>;
export type TaskPage = Narrow<Schemas["Page_TaskBrief_"], { items: TaskBrief[] }>;
/** ``GET /tasks/columns``: what the tasks in scope have, for the column picker. */
export type TaskColumns = Schemas["TaskColumns"];

// a task's records
export type Artifact = Schemas["ArtifactOut"];
export type LogLine = Schemas["LogLine"];
export type LogPage = Schemas["LogPage"];
/** One series, downsampled by the hub to at most max_points buckets (unless it fits). */
export type ScalarSeries = Schemas["ScalarSeriesOut"];
export type ScalarsOut = Schemas["ScalarsOut"];
export type SeriesIterations = Schemas["SeriesIterations"];
/** A plotly figure as the script reported it. */
export interface Figure {
  data?: unknown[];
  layout?: Record<string, unknown>;
}
export type PlotItem = Narrow<Schemas["PlotOut"], { figure: Figure }>;
export type PlotsOut = Narrow<Schemas["PlotsOut"], { items: PlotItem[] }>;
export type DebugSample = Schemas["DebugSampleOut"];
export type DebugSamplesOut = Schemas["DebugSamplesOut"];

// models
export type ModelBrief = Schemas["ModelBrief"];
export type ModelOut = Schemas["ModelOut"];
export type ModelPage = Schemas["Page_ModelBrief_"];

// datasets (issue 15): a version is a task of type data_processing
export type DatasetStats = Schemas["DatasetStats"];
/** ``stats`` is always sent (the schema declares it with a default factory). */
export type DatasetVersion = Narrow<Schemas["DatasetVersion"], { stats: DatasetStats }>;
export type DatasetState = DatasetVersion["state"];
/** A dataset: every version of one (project, name); ``latest_*`` is the highest version. */
export type DatasetName = Schemas["DatasetName"];
export type DatasetFile = Schemas["DatasetFile"];
export type FileChange = NonNullable<DatasetFile["change"]>;
export type DiffEntry = Schemas["DiffEntry"];
export type DiffChange = DiffEntry["change"];
export type DiffSummary = Schemas["DiffSummary"];
export type DatasetGraph = Schemas["DatasetGraph"];
export type DatasetGraphNode = Schemas["DatasetGraphNode"];
export type DatasetUsage = Schemas["DatasetUsage"];
export type DatasetPage = Narrow<Schemas["Page_DatasetVersion_"], { items: DatasetVersion[] }>;
export type DatasetNamePage = Schemas["Page_DatasetName_"];
export type DatasetFilePage = Schemas["Page_DatasetFile_"];
export type DiffPage = Schemas["Page_DiffEntry_"];
export type UsagePage = Schemas["Page_DatasetUsage_"];

// queues and workers
export type Queue = Schemas["QueueOut"];
export type QueueEntry = Schemas["QueueEntryOut"];
export type QueueDetail = Schemas["QueueDetail"];
export type QueueStatPoint = Schemas["QueueStatPoint"];
/** what ``POST /queues/{name}:clear`` answers */
export type QueueCleared = Schemas["Cleared"];
export type WorkerTask = Schemas["WorkerTask"];
export type GpuStat = Schemas["GpuStat"];
export type WorkerStat = Narrow<Schemas["WorkerStatOut"], { gpus: GpuStat[] }>;
export type Worker = Narrow<Schemas["WorkerOut"], { last_stats?: WorkerStat | null }>;

/** One entry of the hub's change log (the change stream's events). */
export type Change = Schemas["ChangeOut"];

/** ``list`` when it names every member of ``T``; the type check fails on a missing one. */
const everyOf =
  <T extends string>() =>
  <const L extends readonly T[]>(list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : { missing: Exclude<T, L[number]> })) =>
    list;

/** The statuses in the order the filters list them (every status of the hub's schema). */
export const TASK_STATUSES = everyOf<TaskStatus>()([
  "created",
  "queued",
  "in_progress",
  "stopped",
  "completed",
  "failed",
  "published",
]);

export const TASK_TYPES = everyOf<TaskType>()([
  "training",
  "testing",
  "inference",
  "data_processing",
  "application",
  "monitor",
  "controller",
  "optimizer",
  "service",
  "qc",
  "custom",
]);

/** How a task type reads in the UI: "data processing", "QC". */
export function taskTypeLabel(type: string): string {
  return type === "qc" ? "QC" : type.replace("_", " ");
}
