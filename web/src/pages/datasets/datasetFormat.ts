// Small pure helpers of the Datasets pages: short hashes, folder parts of a path, the
// cursor pager of the file and diff lists, and the words the pages use for states.
import type { DatasetState, DiffChange, FileChange } from "../../api/types";

/** The first ``n`` characters of a SHA-256 (the full one goes in a title). */
export function shortSha(sha: string | null | undefined, n = 10): string {
  return sha ? sha.slice(0, n) : "—";
}

export interface FolderPart {
  label: string;
  /** the ``prefix=`` that lists this folder */
  prefix: string;
}

/** The folders of a path, outermost first: "a/b/c.txt" -> a (a/), b (a/b/). */
export function folderParts(path: string): FolderPart[] {
  const parts = path.split("/").slice(0, -1);
  return parts.map((label, i) => ({ label, prefix: `${parts.slice(0, i + 1).join("/")}/` }));
}

/** The last part of a path (the file's own name). */
export function baseName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

/** The breadcrumb of a folder prefix ("a/b/" -> a, b); "" is the dataset's root. */
export function prefixParts(prefix: string): FolderPart[] {
  return folderParts(prefix.endsWith("/") ? prefix : prefix ? `${prefix}/` : "");
}

/**
 * The cursors of a paged list: page ``i`` is asked with ``cursors[i]`` (null: the first).
 * ``next`` appends the hub's ``next_cursor``; ``previous`` drops the last one.
 */
export interface Pager {
  cursors: (string | null)[];
}

export const firstPage = (): Pager => ({ cursors: [null] });
export const pageIndex = (p: Pager): number => p.cursors.length - 1;
export const currentCursor = (p: Pager): string | null => p.cursors[p.cursors.length - 1];
export const nextPage = (p: Pager, next: string | null | undefined): Pager => (next ? { cursors: [...p.cursors, next] } : p);
export const previousPage = (p: Pager): Pager => (p.cursors.length > 1 ? { cursors: p.cursors.slice(0, -1) } : p);

/** "rows 101–200 of 250" (``total`` unknown: "rows 101–200"). */
export function rowRange(index: number, perPage: number, shown: number, total?: number | null): string {
  if (shown === 0) return total ? `no rows (of ${total})` : "no rows";
  const first = index * perPage + 1;
  const range = `rows ${first}–${first + shown - 1}`;
  return total === null || total === undefined ? range : `${range} of ${total}`;
}

export const STATE_LABELS: Record<DatasetState, string> = { draft: "draft", uploading: "uploading", final: "final" };

export const CHANGE_LABELS: Record<FileChange | DiffChange, string> = {
  unchanged: "unchanged",
  added: "added",
  modified: "modified",
  removed: "removed",
};

/** "3 files", "1 file". */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}
