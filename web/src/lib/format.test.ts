import { describe, expect, it } from "vitest";
import { formatAgo, formatBytes, formatDuration, formatNumber, formatValue, taskDuration } from "./format";

describe("format", () => {
  it("formats durations with hours, minutes and seconds", () => {
    expect(formatDuration(5)).toBe("5s");
    expect(formatDuration(65)).toBe("1m 05s");
    expect(formatDuration(3723)).toBe("1h 02m 03s");
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(-1)).toBe("—");
  });

  it("measures a running task until now and a finished one until its end", () => {
    const start = "2026-01-01T00:00:00Z";
    expect(taskDuration(start, "2026-01-01T00:01:00Z")).toBe(60);
    expect(taskDuration(start, null, Date.parse("2026-01-01T00:00:30Z"))).toBe(30);
    expect(taskDuration(null, null)).toBeNull();
  });

  it("formats sizes and numbers", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatNumber(0.123456789)).toBe("0.123457");
    expect(formatNumber(1e-7)).toBe("1.0000e-7");
    expect(formatNumber(42)).toBe("42");
    expect(formatNumber(null)).toBe("—");
  });

  it("keeps a value's type visible", () => {
    expect(formatValue("adam")).toBe("adam");
    expect(formatValue(false)).toBe("false");
    expect(formatValue([1, 2])).toBe("[1,2]");
  });

  it("says how long ago", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(formatAgo("2026-01-01T11:59:30Z", now)).toBe("just now");
    expect(formatAgo("2026-01-01T11:00:00Z", now)).toBe("1 h ago");
  });
});
