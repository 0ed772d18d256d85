// Pure helpers of the security pages (admin, profile, members, login): address lists,
// key scopes, lockout messages, who may manage a project.
import { ApiError } from "../api/client";
import type { ApiKey } from "../api/types";
import { formatTime } from "./format";

/**
 * A list of addresses or CIDR blocks as typed (commas, spaces or new lines between them):
 * trimmed, without empties or repeats. The hub checks each one (a bad one is a 422).
 */
export function parseAddressList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}

/** The other way: a list for a text box, or "anywhere" in a table. */
export function addressListText(list: readonly string[] | null | undefined, empty = ""): string {
  return list && list.length ? list.join(", ") : empty;
}

/** "42 s", "3 min 5 s", "2 h 1 min": a wait as people read it. */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** What the login form says about a failed attempt (a 429 tells how long to wait). */
export function loginFailure(error: unknown): { title: string; text: string } {
  if (error instanceof ApiError && error.status === 429) {
    const wait = error.retryAfter;
    return {
      title: "Too many failed attempts",
      text:
        wait === null
          ? "Too many failed attempts; try again later."
          : `Too many failed attempts; try again in ${formatWait(wait)}.`,
    };
  }
  if (error instanceof ApiError && error.status === 401) {
    return { title: "Login failed", text: "Wrong user name or password." };
  }
  return { title: "Login failed", text: (error as Error)?.message ?? String(error) };
}

/** Where the SSO button goes: the hub's OIDC login, coming back to ``path`` after. */
export function oidcLoginUrl(path: string): string {
  const next = path.startsWith("/") && !path.startsWith("//") ? path : "/";
  return `/api/v1/auth/oidc/login?next=${encodeURIComponent(next)}`;
}

/** An owner of the project (or an admin) manages its members and its visibility. */
export function canManageProject(user: { role: string | null }, project: { my_role?: string | null }): boolean {
  return user.role === "admin" || project.my_role === "owner";
}

/** A key's scope in short phrases ("read-only", "projects: a, b", "expires …", "from: …"); [] = full rights. */
export function keyScope(key: ApiKey, projectNames: ReadonlyMap<string, string> = new Map(), now = Date.now()): string[] {
  const parts: string[] = [];
  if (key.kind === "task") parts.push(`task token${key.task_id ? ` of ${key.task_id.slice(0, 8)}` : ""}`);
  if (key.read_only) parts.push("read-only");
  if (key.projects && key.projects.length) {
    parts.push(`projects: ${key.projects.map((p) => projectNames.get(p) ?? p).join(", ")}`);
  }
  if (key.expires_at) {
    const past = new Date(key.expires_at).getTime() <= now;
    parts.push(`${past ? "expired" : "expires"} ${formatTime(key.expires_at)}`);
  }
  if (key.allowed_ips && key.allowed_ips.length) parts.push(`from: ${key.allowed_ips.join(", ")}`);
  return parts;
}

/** A key's state: revoked, expired or active. */
export function keyState(key: ApiKey, now = Date.now()): "revoked" | "expired" | "active" {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && new Date(key.expires_at).getTime() <= now) return "expired";
  return "active";
}

/** ``<input type="datetime-local">`` text (the browser's local time) as an ISO instant, or null. */
export function localToIso(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The new password's fields checked before sending: null, or what is wrong. */
export function passwordFormProblem(oldPassword: string, next: string, confirm: string): string | null {
  if (!oldPassword) return "Type your current password.";
  if (!next) return "Type the new password.";
  if (next !== confirm) return "The two new passwords differ.";
  if (next === oldPassword) return "The new password is the current one.";
  return null;
}

/** A browser's user agent in a few words: "Chrome on Linux". */
export function shortUserAgent(ua: string | null | undefined): string {
  if (!ua) return "—";
  const browser =
    /Edg\//.test(ua) ? "Edge" :
    /Firefox\//.test(ua) ? "Firefox" :
    /Chrom(e|ium)\//.test(ua) ? "Chrome" :
    /Safari\//.test(ua) ? "Safari" :
    /python-httpx|python-requests|curl\//i.test(ua) ? ua.split(/[\s/]/)[0] : "";
  const os =
    /Windows/.test(ua) ? "Windows" :
    /Mac OS X|Macintosh/.test(ua) ? "macOS" :
    /Android/.test(ua) ? "Android" :
    /iPhone|iPad/.test(ua) ? "iOS" :
    /Linux/.test(ua) ? "Linux" : "";
  if (!browser) return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
  return os ? `${browser} on ${os}` : browser;
}
