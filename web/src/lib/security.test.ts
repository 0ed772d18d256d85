import { describe, expect, it } from "vitest";
import { ApiError, parseRetryAfter } from "../api/client";
import {
  addressListText,
  canManageProject,
  formatWait,
  keyScope,
  keyState,
  localToIso,
  loginFailure,
  oidcLoginUrl,
  parseAddressList,
  passwordFormProblem,
  shortUserAgent,
} from "./security";
import type { ApiKey } from "../api/types";

const key = (fields: Partial<ApiKey>): ApiKey => ({
  id: "k1",
  access_key: "AK",
  user_id: "u1",
  label: "",
  kind: "user",
  read_only: false,
  created_at: "2026-01-01T00:00:00Z",
  last_used_at: null,
  revoked_at: null,
  ...fields,
});

describe("address lists", () => {
  it("splits on commas, spaces and new lines, without empties or repeats", () => {
    expect(parseAddressList(" 10.0.0.0/8, 192.168.1.5\n2001:db8::/32 ,,10.0.0.0/8 ")).toEqual([
      "10.0.0.0/8",
      "192.168.1.5",
      "2001:db8::/32",
    ]);
    expect(parseAddressList("   ")).toEqual([]);
  });
  it("prints a list back, or what an empty one means", () => {
    expect(addressListText(["10.0.0.0/8", "::1"])).toBe("10.0.0.0/8, ::1");
    expect(addressListText([], "anywhere")).toBe("anywhere");
    expect(addressListText(undefined, "anywhere")).toBe("anywhere");
  });
});

describe("login failures", () => {
  it("tells how long a lockout lasts", () => {
    const e = new ApiError(429, "Too Many Requests", "locked", [], 42);
    expect(loginFailure(e).text).toBe("Too many failed attempts; try again in 42 s.");
    expect(loginFailure(new ApiError(429, "x", "y", [], 125)).text).toBe("Too many failed attempts; try again in 2 min 5 s.");
    expect(loginFailure(new ApiError(429, "x", "y")).text).toBe("Too many failed attempts; try again later.");
  });
  it("says a wrong password without telling which part was wrong", () => {
    expect(loginFailure(new ApiError(401, "Unauthorized", "bad credentials")).text).toBe("Wrong user name or password.");
  });
  it("passes other errors through", () => {
    expect(loginFailure(new ApiError(0, "Hub unreachable", "The hub did not answer.")).text).toBe("The hub did not answer.");
  });
  it("reads Retry-After as seconds or as a date", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    const now = Date.parse("2026-12-06T12:00:00Z");
    expect(parseRetryAfter("Sun, 06 Dec 2026 12:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter("Sun, 06 Dec 2026 11:00:00 GMT", now)).toBe(0);
  });
  it("formats waits", () => {
    expect(formatWait(0)).toBe("0 s");
    expect(formatWait(58.2)).toBe("59 s");
    expect(formatWait(59.2)).toBe("1 min");
    expect(formatWait(60)).toBe("1 min");
    expect(formatWait(3600)).toBe("1 h");
    expect(formatWait(3720)).toBe("1 h 2 min");
  });
});

describe("single sign-on", () => {
  it("comes back to the page the user was on, and only to a page of this hub", () => {
    expect(oidcLoginUrl("/projects/abc/experiments?status=failed")).toBe(
      "/api/v1/auth/oidc/login?next=%2Fprojects%2Fabc%2Fexperiments%3Fstatus%3Dfailed",
    );
    expect(oidcLoginUrl("//evil.example/x")).toBe("/api/v1/auth/oidc/login?next=%2F");
    expect(oidcLoginUrl("https://evil.example/")).toBe("/api/v1/auth/oidc/login?next=%2F");
  });
});

describe("project management", () => {
  it("is for owners and admins", () => {
    expect(canManageProject({ role: "admin" }, { my_role: null })).toBe(true);
    expect(canManageProject({ role: "user" }, { my_role: "owner" })).toBe(true);
    expect(canManageProject({ role: "user" }, { my_role: "editor" })).toBe(false);
    expect(canManageProject({ role: "user" }, {})).toBe(false);
  });
});

describe("keys", () => {
  const now = Date.parse("2026-06-01T00:00:00Z");
  it("describes a key's scope", () => {
    const names = new Map([["p1", "vision"]]);
    const scoped = key({ read_only: true, projects: ["p1", "p2"], allowed_ips: ["10.0.0.0/8"], expires_at: "2026-07-01T00:00:00Z" });
    const scope = keyScope(scoped, names, now);
    expect(scope[0]).toBe("read-only");
    expect(scope[1]).toBe("projects: vision, p2");
    expect(scope[2]).toMatch(/^expires /);
    expect(scope[3]).toBe("from: 10.0.0.0/8");
    expect(keyScope(key({}), names, now)).toEqual([]);
    expect(keyScope(key({ kind: "task", task_id: "0123456789abcdef" }), names, now)).toEqual(["task token of 01234567"]);
  });
  it("tells revoked, expired and active apart", () => {
    expect(keyState(key({ revoked_at: "2026-01-02T00:00:00Z" }), now)).toBe("revoked");
    expect(keyState(key({ expires_at: "2026-05-01T00:00:00Z" }), now)).toBe("expired");
    expect(keyScope(key({ expires_at: "2026-05-01T00:00:00Z" }), new Map(), now)[0]).toMatch(/^expired /);
    expect(keyState(key({ expires_at: "2026-07-01T00:00:00Z" }), now)).toBe("active");
  });
});

describe("forms", () => {
  it("turns a local date and time into an instant", () => {
    const iso = localToIso("2026-03-04T05:06");
    expect(iso).toBe(new Date(2026, 2, 4, 5, 6).toISOString());
    expect(localToIso("")).toBeNull();
    expect(localToIso("not a date")).toBeNull();
  });
  it("checks a password change before sending it", () => {
    expect(passwordFormProblem("", "a", "a")).toMatch(/current/);
    expect(passwordFormProblem("old", "", "")).toMatch(/new password/);
    expect(passwordFormProblem("old", "new one", "new two")).toBe("The two new passwords differ.");
    expect(passwordFormProblem("same", "same", "same")).toMatch(/is the current one/);
    expect(passwordFormProblem("old", "a long new password", "a long new password")).toBeNull();
  });
  it("shortens user agents", () => {
    expect(shortUserAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/130.0 Safari/537.36")).toBe(
      "Chrome on Linux",
    );
    expect(shortUserAgent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:120.0) Gecko/20100101 Firefox/120.0")).toBe("Firefox on macOS");
    expect(shortUserAgent("python-httpx/0.27.0")).toBe("python-httpx");
    expect(shortUserAgent(null)).toBe("—");
  });
});
