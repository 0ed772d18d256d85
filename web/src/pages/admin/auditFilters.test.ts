import { describe, expect, it } from "vitest";
import { auditQuery, auditSearch, isAuditFiltered, NO_AUDIT_FILTERS, parseAuditFilters } from "./auditFilters";

describe("audit filters", () => {
  it("round-trip through the URL", () => {
    const filters = { ...NO_AUDIT_FILTERS, actor: "alice", outcome: "denied" as const, since: "2026-03-04T05:06" };
    const search = auditSearch(filters);
    expect(search.toString()).toBe("actor=alice&outcome=denied&since=2026-03-04T05%3A06");
    expect(parseAuditFilters(search)).toEqual(filters);
  });
  it("drop an outcome the hub does not know", () => {
    expect(parseAuditFilters(new URLSearchParams("outcome=maybe&action=login.failed"))).toEqual({
      ...NO_AUDIT_FILTERS,
      action: "login.failed",
    });
  });
  it("know when nothing is filtered", () => {
    expect(isAuditFiltered(NO_AUDIT_FILTERS)).toBe(false);
    expect(isAuditFiltered({ ...NO_AUDIT_FILTERS, actor: "  " })).toBe(false);
    expect(isAuditFiltered({ ...NO_AUDIT_FILTERS, targetType: "key" })).toBe(true);
  });
  it("build the API's query: instants in UTC, the cursor, the page size", () => {
    const q = auditQuery(
      { actor: " bob ", action: "key.revoked", targetType: "key", outcome: "ok", since: "2026-03-04T05:06", until: "" },
      "c42",
      50,
    );
    expect(q).toEqual({
      actor: "bob",
      action: "key.revoked",
      target_type: "key",
      outcome: "ok",
      since: new Date(2026, 2, 4, 5, 6).toISOString(),
      until: undefined,
      cursor: "c42",
      limit: 50,
    });
  });
  it("leave out what is empty or does not parse", () => {
    expect(auditQuery({ ...NO_AUDIT_FILTERS, since: "garbage" })).toEqual({
      actor: undefined,
      action: undefined,
      target_type: undefined,
      outcome: undefined,
      since: undefined,
      until: undefined,
      cursor: undefined,
      limit: 100,
    });
  });
});
