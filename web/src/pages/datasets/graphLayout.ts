// The layout of a dataset's version graph: versions left to right by depth (a version
// sits one column right of its deepest parent), each column ordered to keep edges short
// (by the mean row of the parents, then by version), edges as curves from a parent's
// right side to a child's left side. Pure: the SVG (VersionGraph.tsx) only draws it.

export interface GraphInput {
  id: string;
  version: string;
  parents: string[];
  created_at?: string;
}

export interface PlacedNode {
  id: string;
  column: number;
  row: number;
  /** top-left corner, in SVG units */
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  /** an SVG path ("M ... C ...") */
  path: string;
}

export interface Layout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export const NODE_WIDTH = 132;
export const NODE_HEIGHT = 40;
export const GAP_X = 48;
export const GAP_Y = 14;
const MARGIN = 4;

/** Numeric comparison of versions ("1.10.0" after "1.9.0"); non-numbers compare as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number(pa[i] ?? 0);
    const y = Number(pb[i] ?? 0);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      const c = (pa[i] ?? "").localeCompare(pb[i] ?? "");
      if (c) return c;
    } else if (x !== y) return x - y;
  }
  return 0;
}

/** Depth of every node: 0 for a node without (known) parents, else 1 + its deepest parent's. */
export function depths(nodes: readonly GraphInput[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    // a cycle cannot come from the hub; should one come, its back edge counts as no parent
    if (visiting.has(id)) return -1;
    visiting.add(id);
    let d = 0;
    for (const p of byId.get(id)?.parents ?? []) {
      if (byId.has(p)) d = Math.max(d, visit(p) + 1);
    }
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  nodes.forEach((n) => visit(n.id));
  return depth;
}

function byVersion(a: GraphInput, b: GraphInput): number {
  return compareVersions(a.version, b.version) || (a.created_at ?? "").localeCompare(b.created_at ?? "") || a.id.localeCompare(b.id);
}

/** Places ``nodes`` (parents outside the list are ignored) and their parent edges. */
export function layoutGraph(nodes: readonly GraphInput[]): Layout {
  const depth = depths(nodes);
  const columns: GraphInput[][] = [];
  for (const n of nodes) (columns[depth.get(n.id) ?? 0] ??= []).push(n);
  const row = new Map<string, number>();
  columns.forEach((column, c) => {
    const mean = (n: GraphInput): number => {
      const rows = n.parents.map((p) => row.get(p)).filter((r): r is number => r !== undefined);
      return rows.length ? rows.reduce((s, r) => s + r, 0) / rows.length : 0;
    };
    const keyed = column.map((n) => ({ n, key: c === 0 ? 0 : mean(n) }));
    keyed.sort((a, b) => a.key - b.key || byVersion(a.n, b.n));
    keyed.forEach(({ n }, r) => row.set(n.id, r));
  });
  const placed: PlacedNode[] = nodes.map((n) => {
    const column = depth.get(n.id) ?? 0;
    const r = row.get(n.id) ?? 0;
    return { id: n.id, column, row: r, x: MARGIN + column * (NODE_WIDTH + GAP_X), y: MARGIN + r * (NODE_HEIGHT + GAP_Y) };
  });
  const at = new Map(placed.map((p) => [p.id, p]));
  const edges: PlacedEdge[] = [];
  for (const n of nodes) {
    const child = at.get(n.id)!;
    for (const p of n.parents) {
      const parent = at.get(p);
      if (parent) edges.push({ from: p, to: n.id, path: edgePath(parent, child) });
    }
  }
  const rows = Math.max(0, ...columns.map((c) => c.length));
  return {
    nodes: placed,
    edges,
    width: columns.length ? 2 * MARGIN + columns.length * NODE_WIDTH + (columns.length - 1) * GAP_X : 0,
    // a trailing gap: the lane of an edge from the last row runs in it
    height: rows ? 2 * MARGIN + rows * (NODE_HEIGHT + GAP_Y) : 0,
  };
}

function edgePath(from: PlacedNode, to: PlacedNode): string {
  const x1 = from.x + NODE_WIDTH;
  const y1 = from.y + NODE_HEIGHT / 2;
  const x2 = to.x;
  const y2 = to.y + NODE_HEIGHT / 2;
  if (to.column - from.column <= 1) {
    const bend = Math.max(16, (x2 - x1) / 2);
    return `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`;
  }
  // across columns: along the gap under the parent's row, so that it crosses no box
  const lane = laneY(from);
  const half = GAP_X / 2;
  const a = x1 + GAP_X - 4;
  const b = x2 - GAP_X + 4;
  return `M ${x1} ${y1} C ${x1 + half} ${y1}, ${x1 + half} ${lane}, ${a} ${lane} L ${b} ${lane} C ${x2 - half} ${lane}, ${x2 - half} ${y2}, ${x2} ${y2}`;
}

/** The middle of the gap under a node's row (no box of any column reaches into it). */
export function laneY(node: Pick<PlacedNode, "y">): number {
  return node.y + NODE_HEIGHT + GAP_Y / 2;
}
