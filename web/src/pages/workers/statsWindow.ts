// The time window of the statistics charts (workers and queues): what it reads from the
// hub, and how often it asks again.

export const WINDOWS = [
  { key: "15m", label: "15 min", seconds: 15 * 60 },
  { key: "1h", label: "1 h", seconds: 3600 },
  { key: "6h", label: "6 h", seconds: 6 * 3600 },
  { key: "24h", label: "24 h", seconds: 24 * 3600 },
  { key: "7d", label: "7 d", seconds: 7 * 24 * 3600 },
] as const;

export type WindowKey = (typeof WINDOWS)[number]["key"];

export const DEFAULT_WINDOW: WindowKey = "1h";

/** Most points a chart asks for: the hub averages runs of samples down to this. */
export const CHART_POINTS = 600;

export function isWindowKey(value: string | null | undefined): value is WindowKey {
  return WINDOWS.some((w) => w.key === value);
}

export function windowSeconds(key: WindowKey): number {
  return WINDOWS.find((w) => w.key === key)?.seconds ?? 3600;
}

/** The start of the window ending at ``now`` (ms), as the ISO time the hub takes. */
export function windowSince(key: WindowKey, now: number = Date.now()): string {
  return new Date(now - windowSeconds(key) * 1000).toISOString();
}

/** How often the charts refresh: heartbeats write no change to the stream, so they poll. */
export function refreshMs(key: WindowKey): number {
  const seconds = windowSeconds(key);
  if (seconds <= 6 * 3600) return 10_000;
  if (seconds <= 24 * 3600) return 30_000;
  return 60_000;
}

/** Unix seconds (what the charts' time axis takes) of an ISO time. */
export function unixSeconds(iso: string): number {
  return new Date(iso).getTime() / 1000;
}

/**
 * The lines with an empty point at each end of the window (``from``..``to``, unix
 * seconds), so the time axis spans the window chosen, not just the samples in it.
 */
export function padToWindow<L extends { x: number[]; y: (number | null)[] }>(lines: L[], from: number, to: number): L[] {
  return lines.map((l) => {
    const x = [...l.x];
    const y = [...l.y];
    if (!x.length || x[0] > from) {
      x.unshift(from);
      y.unshift(null);
    }
    if (x[x.length - 1] < to) {
      x.push(to);
      y.push(null);
    }
    return { ...l, x, y };
  });
}
