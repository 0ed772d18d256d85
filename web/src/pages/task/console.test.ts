import { describe, expect, it } from "vitest";
import type { LogLine } from "../../api/types";
import { appendLines, highlightParts, prependLines, toRows, type ConsoleLines } from "./console";

const line = (seq: number, text = `line ${seq}`, stream = "stdout"): LogLine => ({
  seq,
  time: 1700000000 + seq,
  stream,
  level: "info",
  text,
  worker: null,
});
const seqs = (c: ConsoleLines) => c.lines.map((l) => l.seq);

describe("appendLines", () => {
  it("adds only lines newer than the last one held", () => {
    const c = { lines: [line(1), line(2)], hasEarlier: false };
    expect(seqs(appendLines(c, [line(2), line(3), line(4)]))).toEqual([1, 2, 3, 4]);
  });

  it("returns the same object when nothing is new", () => {
    const c = { lines: [line(1)], hasEarlier: false };
    expect(appendLines(c, [line(1)])).toBe(c);
  });

  it("drops the oldest lines past the cap and says earlier ones exist", () => {
    const c = appendLines({ lines: [line(1), line(2)], hasEarlier: false }, [line(3), line(4)], 3);
    expect(seqs(c)).toEqual([2, 3, 4]);
    expect(c.hasEarlier).toBe(true);
  });
});

describe("prependLines", () => {
  it("puts an earlier page in front, skipping overlap", () => {
    const c = prependLines({ lines: [line(5), line(6)], hasEarlier: true }, [line(3), line(4), line(5)], false);
    expect(seqs(c)).toEqual([3, 4, 5, 6]);
    expect(c.hasEarlier).toBe(false);
  });
});

describe("toRows", () => {
  it("splits multi-line events into rows, the first one marked", () => {
    const rows = toRows([line(1, "a\nb\n"), line(2, "c", "stderr")]);
    expect(rows.map((r) => [r.text, r.first, r.stream])).toEqual([
      ["a", true, "stdout"],
      ["b", false, "stdout"],
      ["c", true, "stderr"],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(3);
  });
});

describe("highlightParts", () => {
  it("marks every match, in any case", () => {
    expect(highlightParts("Loss=1 loss=2", "LOSS")).toEqual([
      { text: "Loss", match: true },
      { text: "=1 ", match: false },
      { text: "loss", match: true },
      { text: "=2", match: false },
    ]);
  });

  it("leaves the text whole without a term or a match", () => {
    expect(highlightParts("abc", "")).toEqual([{ text: "abc", match: false }]);
    expect(highlightParts("abc", "x")).toEqual([{ text: "abc", match: false }]);
    expect(highlightParts("", "x")).toEqual([{ text: "", match: false }]);
  });
});
