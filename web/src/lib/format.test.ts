import { describe, expect, it } from "vitest";
import { formatAgo, formatBytes, formatCompactTime, formatDuration, formatNumber, formatValue, taskDuration } from "./format";

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

  it("formats times compactly: minutes ago, the time today, the day this year, the date before", () => {
    // local times, so the test holds in any time zone
    const now = new Date(2026, 11, 6, 15, 30, 20).getTime();
    const at = (...a: [number, number, number, number?, number?]) => new Date(a[0], a[1], a[2], a[3] ?? 0, a[4] ?? 0).toISOString();
    expect(formatCompactTime(at(2026, 11, 6, 15, 30), now, "en-US")).toBe("just now");
    expect(formatCompactTime(at(2026, 11, 6, 15, 27), now, "en-US")).toBe("3 min ago");
    expect(formatCompactTime(at(2026, 11, 6, 14, 2), now, "en-US")).toBe("14:02");
    expect(formatCompactTime(at(2026, 11, 6, 0, 5), now, "en-US")).toBe("00:05");
    expect(formatCompactTime(at(2026, 11, 4, 23, 0), now, "en-US")).toBe("Dec 4");
    expect(formatCompactTime(at(2025, 0, 9), now, "en-US")).toBe("Jan 9, 2025");
    expect(formatCompactTime(null, now)).toBe("—");
    expect(formatCompactTime("not a date", now)).toBe("—");
  });
});
