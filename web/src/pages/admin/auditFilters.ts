// The audit log's filters: kept in the page's URL (a link shows the same entries) and
// turned into the query of ``GET /audit``.
import type { Query } from "../../api/client";
import type { AuditOutcome } from "../../api/types";
import { localToIso } from "../../lib/security";

export interface AuditFilters {
  actor: string;
  action: string;
  targetType: string;
  outcome: AuditOutcome | "";
  /** ``datetime-local`` text, the browser's time zone */
  since: string;
  until: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { actor: "", action: "", targetType: "", outcome: "", since: "", until: "" };

const OUTCOMES: readonly AuditOutcome[] = ["ok", "denied", "failed"];

/** The URL's names of the filters (short, like the API's). */
const PARAMS: Record<keyof AuditFilters, string> = {
  actor: "actor",
  action: "action",
  targetType: "target_type",
  outcome: "outcome",
  since: "since",
  until: "until",
};

export function parseAuditFilters(search: URLSearchParams): AuditFilters {
  const value = (key: keyof AuditFilters) => (search.get(PARAMS[key]) ?? "").trim();
  const outcome = value("outcome");
  return {
    actor: value("actor"),
    action: value("action"),
    targetType: value("targetType"),
    outcome: (OUTCOMES as readonly string[]).includes(outcome) ? (outcome as AuditOutcome) : "",
    since: value("since"),
    until: value("until"),
  };
}

export function auditSearch(filters: AuditFilters): URLSearchParams {
  const out = new URLSearchParams();
  for (const key of Object.keys(PARAMS) as (keyof AuditFilters)[]) {
    const v = filters[key].trim();
    if (v) out.set(PARAMS[key], v);
  }
  return out;
}

export function isAuditFiltered(filters: AuditFilters): boolean {
  return auditSearch(filters).toString() !== "";
}

/**
 * The query of one page of ``GET /audit``: the filters (times as UTC instants; a time that
 * does not parse is left out rather than sent), the cursor of the page, its size.
 */
export function auditQuery(filters: AuditFilters, cursor: string | null = null, limit = 100): Query {
  return {
    actor: filters.actor.trim() || undefined,
    action: filters.action.trim() || undefined,
    target_type: filters.targetType.trim() || undefined,
    outcome: filters.outcome || undefined,
    since: localToIso(filters.since) ?? undefined,
    until: localToIso(filters.until) ?? undefined,
    cursor: cursor ?? undefined,
    limit,
  };
}

/** The audit action names of the hub (design13), for the action filter's suggestions. */
export const AUDIT_ACTIONS = [
  "login.ok",
  "login.failed",
  "login.locked",
  "logout",
  "session.revoked",
  "password.changed",
  "key.created",
  "key.revoked",
  "user.created",
  "user.updated",
  "user.role_changed",
  "user.deactivated",
  "team.created",
  "team.updated",
  "team.deleted",
  "team.member_added",
  "team.member_removed",
  "project.member_set",
  "project.member_removed",
  "project.visibility",
  "project.archived",
  "project.unarchived",
  "project.deleted",
  "task.deleted",
  "model.deleted",
  "task.published",
  "model.published",
  "task.enqueued",
  "task.aborted",
  "lockout.cleared",
  "quota.set",
  "quota.removed",
  "file.deleted",
] as const;

/** The target types the actions above name. */
export const AUDIT_TARGET_TYPES = ["user", "session", "key", "team", "project", "task", "model", "lockout", "quota", "file"] as const;
