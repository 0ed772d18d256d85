import { describe, expect, it } from "vitest";
import { fileTitle, parseDiff } from "./diff";

const GIT = `diff --git a/train.py b/train.py
index 1111111..2222222 100644
--- a/train.py
+++ b/train.py
@@ -1,3 +1,3 @@
 import corral
-LR = 0.1
+LR = 0.01
 print("training")
`;

describe("parseDiff", () => {
  it("reads a git diff into a file with numbered lines", () => {
    const [file, ...rest] = parseDiff(GIT);
    expect(rest).toEqual([]);
    expect(file.oldPath).toBe("train.py");
    expect(file.newPath).toBe("train.py");
    expect(file.meta).toEqual(["index 1111111..2222222 100644"]);
    expect(file.added).toBe(1);
    expect(file.removed).toBe(1);
    const [hunk] = file.hunks;
    expect(hunk.header).toBe("@@ -1,3 +1,3 @@");
    expect(hunk.lines).toEqual([
      { kind: "ctx", text: "import corral", oldNo: 1, newNo: 1 },
      { kind: "del", text: "LR = 0.1", oldNo: 2, newNo: null },
      { kind: "add", text: "LR = 0.01", oldNo: null, newNo: 2 },
      { kind: "ctx", text: 'print("training")', oldNo: 3, newNo: 3 },
    ]);
  });

  it("splits several files and hunks, numbering from each hunk's start", () => {
    const text = `diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -10,2 +10,3 @@ def f():
 x = 1
+y = 2
 z = 3
@@ -40 +41 @@
-old
+new
diff --git a/b.py b/b.py
--- a/b.py
+++ b/b.py
@@ -1 +1,0 @@
-gone
`;
    const files = parseDiff(text);
    expect(files.map(fileTitle)).toEqual(["a.py", "b.py"]);
    const [first, second] = files[0].hunks;
    expect(first.lines.map((l) => [l.kind, l.oldNo, l.newNo])).toEqual([
      ["ctx", 10, 10],
      ["add", null, 11],
      ["ctx", 11, 12],
    ]);
    expect(second.oldStart).toBe(40);
    expect(second.lines.map((l) => [l.kind, l.oldNo, l.newNo])).toEqual([
      ["del", 40, null],
      ["add", null, 41],
    ]);
    expect(files[1].removed).toBe(1);
  });

  it("keeps removed lines that look like file headers inside a hunk", () => {
    const text = `--- a/notes.md
+++ b/notes.md
@@ -1,2 +1,2 @@
--- a heading rule
+++ another rule
 end
`;
    const [file] = parseDiff(text);
    expect(file.hunks[0].lines.map((l) => [l.kind, l.text])).toEqual([
      ["del", "-- a heading rule"],
      ["add", "++ another rule"],
      ["ctx", "end"],
    ]);
  });

  it("knows new, deleted, renamed and binary files", () => {
    const text = `diff --git a/new.txt b/new.txt
new file mode 100644
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+hello
\\ No newline at end of file
diff --git a/old.txt b/old.txt
deleted file mode 100644
--- a/old.txt
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/x.py b/y.py
similarity index 100%
rename from x.py
rename to y.py
diff --git a/img.png b/img.png
Binary files a/img.png and b/img.png differ
`;
    const files = parseDiff(text);
    expect(files.map(fileTitle)).toEqual(["new.txt", "old.txt", "x.py → y.py", "img.png"]);
    expect(files[0].oldPath).toBeNull();
    expect(files[0].hunks[0].lines.at(-1)).toEqual({
      kind: "note",
      text: "\\ No newline at end of file",
      oldNo: null,
      newNo: null,
    });
    expect(files[1].newPath).toBeNull();
    expect(files[2].hunks).toEqual([]);
    expect(files[3].binary).toBe(true);
  });

  it("reads CRLF text, a bare hunk, and nothing from an empty diff", () => {
    const files = parseDiff("@@ -3 +3 @@\r\n-a\r\n+b\r\n");
    expect(fileTitle(files[0])).toBe("(unnamed)");
    expect(files[0].hunks[0].lines.map((l) => l.text)).toEqual(["a", "b"]);
    expect(parseDiff("")).toEqual([]);
    expect(parseDiff("just some text\n")).toEqual([]);
  });
});
