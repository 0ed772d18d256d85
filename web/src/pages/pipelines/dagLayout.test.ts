import { describe, expect, it } from "vitest";
import { edgePath, layoutDag, NODE_HEIGHT, NODE_WIDTH } from "./dagLayout";

const FAN = [
  { name: "load", parents: [] },
  { name: "sq1", parents: ["load"] },
  { name: "sq2", parents: ["load"] },
  { name: "sq3", parents: ["load"] },
  { name: "total", parents: ["sq1", "sq2", "sq3"] },
];

describe("layoutDag", () => {
  it("ranks a fan-out and fan-in left to right, one column per depth", () => {
    const layout = layoutDag(FAN);
    const at = new Map(layout.nodes.map((n) => [n.name, n]));
    expect(layout.nodes).toHaveLength(5);
    expect(at.get("load")!.x).toBeLessThan(at.get("sq1")!.x);
    expect(at.get("sq1")!.x).toBe(at.get("sq2")!.x);
    expect(at.get("sq2")!.x).toBe(at.get("sq3")!.x);
    expect(at.get("sq3")!.x).toBeLessThan(at.get("total")!.x);
    // the three middle steps do not overlap
    const ys = ["sq1", "sq2", "sq3"].map((n) => at.get(n)!.y).sort((a, b) => a - b);
    expect(ys[1] - ys[0]).toBeGreaterThanOrEqual(NODE_HEIGHT);
    expect(ys[2] - ys[1]).toBeGreaterThanOrEqual(NODE_HEIGHT);
  });

  it("draws one edge per parent link and fits everything in its size", () => {
    const layout = layoutDag(FAN);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(
      ["load>sq1", "load>sq2", "load>sq3", "sq1>total", "sq2>total", "sq3>total"],
    );
    for (const e of layout.edges) expect(e.path).toMatch(/^M[\d.]+,[\d.]+ /);
    for (const n of layout.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0);
      expect(n.y).toBeGreaterThanOrEqual(0);
      expect(n.x + NODE_WIDTH).toBeLessThanOrEqual(layout.width);
      expect(n.y + NODE_HEIGHT).toBeLessThanOrEqual(layout.height);
    }
  });

  it("leaves out a parent that is not a step, and copes with no steps", () => {
    const layout = layoutDag([{ name: "b", parents: ["a"] }]);
    expect(layout.nodes.map((n) => n.name)).toEqual(["b"]);
    expect(layout.edges).toEqual([]);
    expect(layoutDag([])).toEqual({ width: 0, height: 0, nodes: [], edges: [] });
  });
});

describe("edgePath", () => {
  it("is a line for two points and a curve through more", () => {
    expect(edgePath([{ x: 0, y: 0 }, { x: 10, y: 5 }])).toBe("M0,0 L10,5");
    expect(edgePath([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 20, y: 10 }])).toBe("M0,0 Q10,0 20,10");
    expect(edgePath([])).toBe("");
  });
});
