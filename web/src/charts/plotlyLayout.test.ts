import { describe, expect, it } from "vitest";
import { annotationColors, bundleFor, colorAt, fitLayout, parseColor, sizeOf, textColorOn, wrapTitle } from "./plotlyLayout";

const theme = { panel: "#101418", text: "#e6e8eb", muted: "#9aa0aa", line: "#2a2f37" };

describe("sizeOf", () => {
  it("turns a reported width and height into an aspect ratio", () => {
    expect(sizeOf({ width: 640, height: 480 })).toEqual({ aspect: 640 / 480, height: null });
  });
  it("keeps a height alone, within limits, and has nothing to say without a size", () => {
    expect(sizeOf({ height: 300 })).toEqual({ aspect: null, height: 300 });
    expect(sizeOf({ height: 50 })).toEqual({ aspect: null, height: 240 });
    expect(sizeOf({})).toEqual({ aspect: null, height: null });
    expect(sizeOf(undefined)).toEqual({ aspect: null, height: null });
  });
});

describe("wrapTitle", () => {
  it("breaks at spaces to lines of at most maxChars", () => {
    expect(wrapTitle("accuracy of the validation set per class", 16)).toBe("accuracy of the<br>validation set<br>per class");
  });
  it("leaves short titles and titles with their own breaks alone", () => {
    expect(wrapTitle("loss", 16)).toBe("loss");
    expect(wrapTitle("a very long title<br>broken by its author", 5)).toBe("a very long title<br>broken by its author");
  });
});

describe("fitLayout", () => {
  it("drops the fixed size, adds automargin to every axis and the theme as a template", () => {
    const out = fitLayout({ width: 640, height: 480, xaxis2: { title: { text: "t" } }, yaxis: { automargin: false } }, theme, 500);
    expect(out.width).toBeUndefined();
    expect(out.height).toBeUndefined();
    expect(out.autosize).toBe(true);
    expect(out.xaxis2).toEqual({ title: { text: "t" }, automargin: true });
    expect(out.yaxis).toEqual({ automargin: false }); // what the script said wins
    const tpl = out.template as { layout: Record<string, unknown> };
    expect(tpl.layout.paper_bgcolor).toBe("#101418");
    expect(tpl.layout.font).toEqual({ color: "#e6e8eb" });
  });
  it("lets explicit colours of the layout win and keeps the data part of the script's template", () => {
    const out = fitLayout({ paper_bgcolor: "#abcdef", template: { data: { bar: [] }, layout: { colorway: ["#111"] } } }, theme, 500);
    expect(out.paper_bgcolor).toBe("#abcdef");
    const tpl = out.template as { data: unknown; layout: Record<string, unknown> };
    expect(tpl.data).toEqual({ bar: [] });
    expect(tpl.layout.colorway).toEqual(["#111"]);
    expect(tpl.layout.paper_bgcolor).toBe("#101418");
  });
  it("wraps a long title and makes room for its lines", () => {
    const long = "a title far too long to fit on a single line of a narrow card";
    const out = fitLayout({ title: { text: long, x: 0.1 } }, theme, 300);
    const title = out.title as { text: string; x: number };
    expect(title.x).toBe(0.1);
    const lines = title.text.split("<br>").length;
    expect(lines).toBeGreaterThan(1);
    expect((out.margin as { t: number }).t).toBe(24 + 22 * lines);
    expect(fitLayout({ title: "short", margin: { t: 5 } }, theme, 600).margin).toEqual({ t: 5, r: 16, b: 40, l: 48 });
  });
});

describe("colours", () => {
  it("parses hex and rgb", () => {
    expect(parseColor("#fff")).toEqual([255, 255, 255]);
    expect(parseColor("#08306b")).toEqual([8, 48, 107]);
    expect(parseColor("rgba(5, 10, 172, 0.5)")).toEqual([5, 10, 172]);
    expect(parseColor("papayawhip")).toBeNull();
  });
  it("interpolates a scale and picks contrasting text", () => {
    const scale: [number, string][] = [[0, "#000000"], [1, "#ffffff"]];
    expect(colorAt(scale, 0, 10, 5)).toEqual([127.5, 127.5, 127.5]);
    expect(colorAt(scale, 0, 10, 20)).toEqual([255, 255, 255]);
    expect(textColorOn([255, 255, 255])).toBe("#111111");
    expect(textColorOn([5, 10, 172])).toBe("#ffffff");
  });
  it("colours each annotation on a heatmap cell against that cell, others untouched", () => {
    // plotly's own "Blues": dark blue for the low end, light grey for the high end
    const blues: [number, string][] = [[0, "rgb(5,10,172)"], [1, "rgb(220,220,220)"]];
    const heatmap = { type: "heatmap", x: ["cat", "dog"], y: ["cat", "dog"], z: [[50, 1], [2, 40]], colorscale: blues };
    const notes = [
      { x: "cat", y: "cat", text: "50" },
      { x: "dog", y: "cat", text: "1" },
      { x: "dog", y: "dog", text: "40", xref: "x2" },
      { x: 0.5, y: 1.1, xref: "paper", yref: "paper", text: "a note" },
    ];
    expect(annotationColors(notes, [heatmap])).toEqual(["#111111", "#ffffff", null, null]);
    expect(annotationColors(notes, [{ ...heatmap, reversescale: true }]).slice(0, 2)).toEqual(["#ffffff", "#111111"]);
  });
});

describe("bundleFor", () => {
  it("takes the cartesian bundle for the usual figures", () => {
    expect(bundleFor({ data: [{ y: [1, 2] }, { type: "bar" }, { type: "heatmap" }], layout: { xaxis2: {} } })).toBe("cartesian");
    expect(bundleFor({ layout: { images: [] } })).toBe("cartesian"); // a matplotlib picture
  });
  it("takes the full bundle for other traces or layouts", () => {
    expect(bundleFor({ data: [{ type: "table" }] })).toBe("full");
    expect(bundleFor({ data: [{ type: "surface" }] })).toBe("full");
    expect(bundleFor({ data: [{ type: "scattergl" }] })).toBe("full");
    expect(bundleFor({ data: [{ type: "scatter" }], layout: { polar: {} } })).toBe("full");
  });
});
