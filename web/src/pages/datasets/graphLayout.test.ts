import { describe, expect, it } from "vitest";
import { compareVersions, depths, GAP_X, GAP_Y, laneY, layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "./graphLayout";

const node = (id: string, version: string, parents: string[] = []) => ({ id, version, parents });

describe("compareVersions", () => {
  it("compares the parts as numbers", () => {
    expect(compareVersions("1.10.0", "1.9.0")).toBeGreaterThan(0);
    expect(compareVersions("1.0.0", "1.0.0")).toBe(0);
    expect(compareVersions("1.0", "1.0.1")).toBeLessThan(0);
    expect(["2.0.0", "1.0.10", "1.0.2"].sort(compareVersions)).toEqual(["1.0.2", "1.0.10", "2.0.0"]);
  });
});

describe("layoutGraph", () => {
  it("puts each version one column right of its deepest parent", () => {
    // a -> b -> d, a -> c -> d, and e from a alone: d has depth 2
    const nodes = [node("d", "1.0.3", ["b", "c"]), node("a", "1.0.0"), node("b", "1.0.1", ["a"]), node("c", "1.0.2", ["a"]), node("e", "1.0.4", ["a", "d"])];
    const d = depths(nodes);
    expect(Object.fromEntries(d)).toEqual({ a: 0, b: 1, c: 1, d: 2, e: 3 });
    const layout = layoutGraph(nodes);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(at.a.x).toBeLessThan(at.b.x);
    expect(at.b.x).toBe(at.c.x);
    expect(at.d.x - at.b.x).toBe(NODE_WIDTH + GAP_X);
    // b before c in its column (by version), one node height and gap apart
    expect(at.b.row).toBe(0);
    expect(at.c.row).toBe(1);
    expect(at.c.y).toBeGreaterThan(at.b.y + NODE_HEIGHT - 1);
    expect(layout.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(["a>b", "a>c", "a>e", "b>d", "c>d", "d>e"]);
    expect(layout.width).toBeGreaterThanOrEqual(at.e.x + NODE_WIDTH);
    expect(layout.height).toBeGreaterThanOrEqual(at.c.y + NODE_HEIGHT);
  });

  it("draws an edge from the parent's right side to the child's left side", () => {
    const layout = layoutGraph([node("a", "1.0.0"), node("b", "1.0.1", ["a"])]);
    const [a, b] = layout.nodes;
    const [edge] = layout.edges;
    expect(edge.path.startsWith(`M ${a.x + NODE_WIDTH} ${a.y + NODE_HEIGHT / 2} C`)).toBe(true);
    expect(edge.path.endsWith(`${b.x} ${b.y + NODE_HEIGHT / 2}`)).toBe(true);
  });

  it("routes an edge that skips columns through the gap between rows, clear of every box", () => {
    // b (row 1 of column 0) is also a parent of d, two columns right
    const layout = layoutGraph([node("a", "1.0.0"), node("b", "2.0.0"), node("c", "1.0.1", ["a"]), node("c2", "1.0.2", ["a"]), node("d", "1.0.3", ["c", "b"])]);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    const long = layout.edges.find((e) => e.from === "b")!;
    const lane = laneY(at.b);
    expect(lane).toBe(at.b.y + NODE_HEIGHT + GAP_Y / 2);
    expect(long.path).toContain(` L ${at.d.x - GAP_X + 4} ${lane} C`);
    // the lane is below every box of row 1 and above every box of row 2
    for (const n of layout.nodes) expect(lane < n.y || lane > n.y + NODE_HEIGHT).toBe(true);
    expect(layout.height).toBeGreaterThan(lane);
    expect(long.path.endsWith(`${at.d.x} ${at.d.y + NODE_HEIGHT / 2}`)).toBe(true);
  });

  it("orders a column by its parents' rows so that edges do not cross", () => {
    // roots r1 (row 0) and r2 (row 1); the child of r2 has the lower version but goes below
    const layout = layoutGraph([node("r1", "1.0.0"), node("r2", "2.0.0"), node("c2", "1.0.1", ["r2"]), node("c1", "2.0.1", ["r1"])]);
    const row = Object.fromEntries(layout.nodes.map((n) => [n.id, n.row]));
    expect(row).toEqual({ r1: 0, r2: 1, c1: 0, c2: 1 });
  });

  it("ignores parents outside the graph and survives a cycle", () => {
    const layout = layoutGraph([node("a", "1.0.0", ["gone"]), node("x", "1.0.1", ["y"]), node("y", "1.0.2", ["x"])]);
    expect(layout.nodes).toHaveLength(3);
    expect(layout.edges.some((e) => e.from === "gone")).toBe(false);
    expect(layoutGraph([])).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
  });
});
