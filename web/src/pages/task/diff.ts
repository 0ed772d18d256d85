// Unified diffs (`git diff` output, or a plain `diff -u`) parsed into files, hunks and
// numbered lines, for the uncommitted-changes viewer of the Execution tab.

export type DiffLineKind = "add" | "del" | "ctx" | "note";

export interface DiffLine {
  kind: DiffLineKind;
  /** the line without its leading "+", "-" or " " */
  text: string;
  /** line number in the old file (del, ctx) */
  oldNo: number | null;
  /** line number in the new file (add, ctx) */
  newNo: number | null;
}

export interface DiffHunk {
  /** the whole "@@ -1,3 +1,3 @@ def f():" line */
  header: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export interface DiffFile {
  oldPath: string | null;
  newPath: string | null;
  /** "index 1111..2222", "new file mode 100644", "Binary files ... differ"... */
  meta: string[];
  hunks: DiffHunk[];
  added: number;
  removed: number;
  binary: boolean;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;
const GIT_HEADER = /^diff --git (?:"?a\/(.+?)"?) (?:"?b\/(.+?)"?)$/;

/** A path of a "---"/"+++" line: null for /dev/null, without the a/ b/ prefix and any timestamp. */
function headerPath(raw: string): string | null {
  let path = raw.split("\t")[0].trim();
  if (path.startsWith('"') && path.endsWith('"')) path = path.slice(1, -1);
  if (path === "/dev/null") return null;
  if (/^[ab]\//.test(path)) path = path.slice(2);
  return path;
}

function newFile(oldPath: string | null = null, newPath: string | null = null): DiffFile {
  return { oldPath, newPath, meta: [], hunks: [], added: 0, removed: 0, binary: false };
}

/** The name to show for a file: "a.py", or "old.py → new.py" for a rename. */
export function fileTitle(file: DiffFile): string {
  const { oldPath, newPath } = file;
  if (oldPath && newPath && oldPath !== newPath) return `${oldPath} → ${newPath}`;
  return newPath ?? oldPath ?? "(unnamed)";
}

/**
 * Parse a unified diff. Text before the first file header or hunk is ignored; a hunk
 * without any file header goes into an unnamed file.
 *
 * >>> parseDiff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")[0].hunks[0].lines.length
 * 2
 */
export function parseDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  // a hunk ends when both sides have been read in full; until then "--- x" is a removed line
  let oldLeft = 0;
  let newLeft = 0;

  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();

  for (const line of lines) {
    const inHunk = hunk !== null && (oldLeft > 0 || newLeft > 0);
    if (inHunk && hunk) {
      const mark = line[0];
      if (mark === "+") {
        hunk.lines.push({ kind: "add", text: line.slice(1), oldNo: null, newNo: newNo++ });
        file!.added++;
        newLeft--;
        continue;
      }
      if (mark === "-") {
        hunk.lines.push({ kind: "del", text: line.slice(1), oldNo: oldNo++, newNo: null });
        file!.removed++;
        oldLeft--;
        continue;
      }
      if (mark === " " || line === "") {
        hunk.lines.push({ kind: "ctx", text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (mark === "\\") {
        hunk.lines.push({ kind: "note", text: line, oldNo: null, newNo: null });
        continue;
      }
      // anything else ends the hunk early (a truncated diff): read it as a header
    } else if (hunk && line.startsWith("\\")) {
      hunk.lines.push({ kind: "note", text: line, oldNo: null, newNo: null });
      continue;
    }

    const git = GIT_HEADER.exec(line);
    if (git) {
      file = newFile(git[1], git[2]);
      files.push(file);
      hunk = null;
      continue;
    }
    if (line.startsWith("--- ")) {
      // a "---" right after a "diff --git" belongs to it; otherwise it starts a plain diff
      if (!file || file.hunks.length) {
        file = newFile();
        files.push(file);
      }
      file.oldPath = headerPath(line.slice(4));
      hunk = null;
      continue;
    }
    if (line.startsWith("+++ ") && file && !file.hunks.length) {
      file.newPath = headerPath(line.slice(4));
      continue;
    }
    const h = HUNK.exec(line);
    if (h) {
      if (!file) {
        file = newFile();
        files.push(file);
      }
      const counts = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line)!;
      oldNo = Number(h[1]);
      newNo = Number(h[2]);
      oldLeft = counts[1] === undefined ? 1 : Number(counts[1]);
      newLeft = counts[2] === undefined ? 1 : Number(counts[2]);
      hunk = { header: line, oldStart: oldNo, newStart: newNo, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (file) {
      if (line.startsWith("Binary files") || line === "GIT binary patch") file.binary = true;
      if (line.startsWith("rename from ")) file.oldPath = line.slice(12);
      if (line.startsWith("rename to ")) file.newPath = line.slice(10);
      if (line.startsWith("new file mode")) file.oldPath = null;
      if (line.startsWith("deleted file mode")) file.newPath = null;
      if (line.trim()) file.meta.push(line);
    }
  }
  return files;
}
