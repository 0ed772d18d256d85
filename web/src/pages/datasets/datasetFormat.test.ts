import { describe, expect, it } from "vitest";
import { baseName, currentCursor, firstPage, folderParts, nextPage, pageIndex, plural, prefixParts, previousPage, rowRange, shortSha } from "./datasetFormat";

describe("paths", () => {
  it("splits a path into the folders that list it", () => {
    expect(folderParts("a/b/c.txt")).toEqual([
      { label: "a", prefix: "a/" },
      { label: "b", prefix: "a/b/" },
    ]);
    expect(folderParts("top.txt")).toEqual([]);
    expect(baseName("a/b/c.txt")).toBe("c.txt");
    expect(baseName("top.txt")).toBe("top.txt");
  });

  it("makes the breadcrumb of a prefix, with or without its slash", () => {
    expect(prefixParts("a/b/")).toEqual([
      { label: "a", prefix: "a/" },
      { label: "b", prefix: "a/b/" },
    ]);
    expect(prefixParts("a")).toEqual([{ label: "a", prefix: "a/" }]);
    expect(prefixParts("")).toEqual([]);
  });

  it("shortens hashes", () => {
    expect(shortSha("0123456789abcdef")).toBe("0123456789");
    expect(shortSha(null)).toBe("—");
  });
});

describe("pager", () => {
  it("goes forward with the hub's cursors and back through them", () => {
    let p = firstPage();
    expect(currentCursor(p)).toBeNull();
    p = nextPage(p, "c1");
    p = nextPage(p, "c2");
    expect(pageIndex(p)).toBe(2);
    expect(currentCursor(p)).toBe("c2");
    expect(nextPage(p, null)).toBe(p);
    p = previousPage(p);
    expect(currentCursor(p)).toBe("c1");
    p = previousPage(previousPage(p));
    expect(pageIndex(p)).toBe(0);
    expect(currentCursor(p)).toBeNull();
  });

  it("says which rows are shown", () => {
    expect(rowRange(0, 100, 100, 250)).toBe("rows 1–100 of 250");
    expect(rowRange(2, 100, 50, 250)).toBe("rows 201–250 of 250");
    expect(rowRange(1, 100, 100)).toBe("rows 101–200");
    expect(rowRange(0, 100, 0, 0)).toBe("no rows");
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(1200, "file")).toBe("1,200 files");
  });
});
