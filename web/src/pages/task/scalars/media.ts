// Debug samples: where the browser finds a sample's file, and how to show it.
import { API } from "../../../api/client";
import type { SeriesIterations } from "../../../api/types";

/**
 * A URL the browser can load for ``uri``: the hub's own files (``hub://PATH``) are served
 * at /api/v1/files/PATH (the session cookie authenticates); http(s) as they are; other
 * stores (s3://, file://...) are out of the browser's reach: ``null``.
 */
export function mediaUrl(uri: string): string | null {
  if (uri.startsWith("hub://")) {
    const path = uri.slice("hub://".length).replace(/^\/+/, "");
    return `${API}/files/${path.split("/").map(encodeURIComponent).join("/")}`;
  }
  if (/^https?:\/\//i.test(uri) || /^data:(image|audio|video)\//i.test(uri)) return uri;
  return null;
}

export type MediaKind = "image" | "video" | "audio" | "other";

const EXTENSIONS: Record<string, MediaKind> = {
  png: "image", jpg: "image", jpeg: "image", gif: "image", webp: "image", bmp: "image", svg: "image", avif: "image",
  mp4: "video", webm: "video", mov: "video", ogv: "video",
  wav: "audio", mp3: "audio", ogg: "audio", flac: "audio", m4a: "audio",
};

/** What a sample is, from its content type or else its file extension. */
export function mediaKind(uri: string, contentType: string | null | undefined): MediaKind {
  const type = (contentType ?? "").toLowerCase();
  for (const kind of ["image", "video", "audio"] as const) if (type.startsWith(`${kind}/`)) return kind;
  if (type && type !== "application/octet-stream") return "other";
  const ext = uri.split(/[?#]/)[0].split(".").pop()?.toLowerCase() ?? "";
  return EXTENSIONS[ext] ?? "other";
}

/** The iterations reported for (metric, variant), ascending. */
export function iterationsOf(all: readonly SeriesIterations[], metric: string, variant: string): number[] {
  return all.find((s) => s.metric === metric && s.variant === variant)?.iterations ?? [];
}

/** Items grouped by metric (in name order), each group's items by variant. */
export function groupByMetric<T extends { metric: string; variant: string }>(items: readonly T[]): [string, T[]][] {
  const groups = new Map<string, T[]>();
  const cmp = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
  for (const item of [...items].sort((a, b) => cmp(a.metric, b.metric) || cmp(a.variant, b.variant))) {
    const list = groups.get(item.metric) ?? [];
    list.push(item);
    groups.set(item.metric, list);
  }
  return [...groups.entries()];
}
