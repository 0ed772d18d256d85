import { describe, expect, it } from "vitest";
import { groupByMetric, iterationsOf, mediaKind, mediaUrl } from "./media";

describe("mediaUrl", () => {
  it("serves hub:// files from the hub's files API", () => {
    expect(mediaUrl("hub://tasks/abc/debug/a b.png")).toBe("/api/v1/files/tasks/abc/debug/a%20b.png");
  });
  it("keeps web URLs and gives up on stores the browser cannot reach", () => {
    expect(mediaUrl("https://example.com/x.png")).toBe("https://example.com/x.png");
    expect(mediaUrl("s3://bucket/x.png")).toBeNull();
  });
});

describe("mediaKind", () => {
  it("trusts the content type, else the extension", () => {
    expect(mediaKind("x.bin", "image/png")).toBe("image");
    expect(mediaKind("clip.mp4", null)).toBe("video");
    expect(mediaKind("page.html", "text/html")).toBe("other");
    expect(mediaKind("sound.WAV?x=1", "application/octet-stream")).toBe("audio");
  });
});

describe("grouping", () => {
  it("groups by metric in name order and finds iterations", () => {
    const items = [
      { metric: "b", variant: "y" },
      { metric: "a", variant: "z" },
      { metric: "b", variant: "x" },
    ];
    expect(groupByMetric(items).map(([m, g]) => [m, g.map((i) => i.variant)])).toEqual([
      ["a", ["z"]],
      ["b", ["x", "y"]],
    ]);
    expect(iterationsOf([{ metric: "a", variant: "z", iterations: [1, 5] }], "a", "z")).toEqual([1, 5]);
    expect(iterationsOf([], "a", "z")).toEqual([]);
  });
});
