// The console's lines in memory: pages appended while a task runs, earlier pages
// prepended on demand, a cap so a huge console never holds more than a window of it.
import type { LogLine } from "../../api/types";

export interface ConsoleLines {
  lines: LogLine[];
  /** older lines exist before lines[0] (on the hub) */
  hasEarlier: boolean;
}

/** Most lines kept in the browser; beyond, the oldest are dropped (load them again with "earlier"). */
export const MAX_LINES = 20_000;

export const lastSeq = (c: ConsoleLines): number | null => (c.lines.length ? c.lines[c.lines.length - 1].seq : null);
export const firstSeq = (c: ConsoleLines): number | null => (c.lines.length ? c.lines[0].seq : null);

/** Append lines newer than the last one held (a page may overlap); drop the oldest past ``cap``. */
export function appendLines(c: ConsoleLines, items: LogLine[], cap = MAX_LINES): ConsoleLines {
  const last = lastSeq(c) ?? -Infinity;
  const fresh = items.filter((l) => l.seq > last);
  if (!fresh.length) return c;
  let lines = c.lines.concat(fresh);
  let hasEarlier = c.hasEarlier;
  if (lines.length > cap) {
    lines = lines.slice(lines.length - cap);
    hasEarlier = true;
  }
  return { lines, hasEarlier };
}

/** Prepend an earlier page (``hasMore``: still older lines exist). */
export function prependLines(c: ConsoleLines, items: LogLine[], hasMore: boolean): ConsoleLines {
  const first = firstSeq(c) ?? Infinity;
  const older = items.filter((l) => l.seq < first);
  return { lines: older.concat(c.lines), hasEarlier: hasMore };
}

/** One line on screen: a log event's text may hold several. */
export interface Row {
  key: string;
  seq: number;
  stream: string;
  level: string;
  time: number;
  text: string;
  /** the first row of its event (shows the time) */
  first: boolean;
}

export function toRows(lines: LogLine[]): Row[] {
  const rows: Row[] = [];
  for (const l of lines) {
    const parts = l.text.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
    parts.forEach((text, i) => {
      rows.push({ key: `${l.seq}:${i}`, seq: l.seq, stream: l.stream, level: l.level, time: l.time, text, first: i === 0 });
    });
  }
  return rows;
}

/** ``text`` cut around each case-insensitive occurrence of ``term``, for highlighting. */
export function highlightParts(text: string, term: string): { text: string; match: boolean }[] {
  if (!term) return [{ text, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const lower = text.toLowerCase();
  const needle = term.toLowerCase();
  let at = 0;
  for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, at)) {
    if (i > at) parts.push({ text: text.slice(at, i), match: false });
    parts.push({ text: text.slice(i, i + needle.length), match: true });
    at = i + needle.length;
  }
  if (at < text.length || !parts.length) parts.push({ text: text.slice(at), match: false });
  return parts;
}
