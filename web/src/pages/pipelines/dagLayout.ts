// Where the DAG view draws each step and each edge: dagre (a maintained layered-graph
// layout) ranks the steps left to right and routes the edges; this turns its answer into
// the boxes' top-left corners and SVG paths.
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from "@dagrejs/dagre";

export const NODE_WIDTH = 184;
export const NODE_HEIGHT = 58;
const MARGIN = 16;

export interface DagInput {
  name: string;
  parents: readonly string[];
}

export interface PlacedNode {
  name: string;
  /** top-left corner */
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  path: string;
}

export interface DagLayout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

interface Point {
  x: number;
  y: number;
}

const r = (n: number) => Math.round(n * 10) / 10;

/**
 * An SVG path through dagre's points: straight for two points, else a smooth curve
 * (quadratic segments through the midpoints of the polyline).
 */
export function edgePath(points: readonly Point[]): string {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  if (rest.length <= 1) return `M${r(first.x)},${r(first.y)}${rest.map((p) => ` L${r(p.x)},${r(p.y)}`).join("")}`;
  let d = `M${r(first.x)},${r(first.y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i];
    const next = points[i + 1];
    const mid = i === points.length - 2 ? next : { x: (p.x + next.x) / 2, y: (p.y + next.y) / 2 };
    d += ` Q${r(p.x)},${r(p.y)} ${r(mid.x)},${r(mid.y)}`;
  }
  return d;
}

/**
 * Lays the steps out left to right. A parent that is not a step (a definition being
 * written while the run starts) is left out rather than drawn as an empty box.
 */
export function layoutDag(nodes: readonly DagInput[]): DagLayout {
  if (nodes.length === 0) return { width: 0, height: 0, nodes: [], edges: [] };
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 56, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(nodes.map((n) => n.name));
  for (const n of nodes) g.setNode(n.name, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const n of nodes) for (const p of n.parents) if (names.has(p) && p !== n.name) g.setEdge(p, n.name);
  dagre.layout(g);

  const placed = nodes.map((n) => {
    const label = g.node(n.name);
    return { name: n.name, x: r((label.x ?? 0) - NODE_WIDTH / 2), y: r((label.y ?? 0) - NODE_HEIGHT / 2) };
  });
  const edges = g.edges().map((e) => ({ from: e.v, to: e.w, path: edgePath(g.edge(e).points ?? []) }));
  const graph = g.graph();
  const width = Math.ceil(graph.width ?? Math.max(...placed.map((p) => p.x + NODE_WIDTH)) + MARGIN);
  const height = Math.ceil(graph.height ?? Math.max(...placed.map((p) => p.y + NODE_HEIGHT)) + MARGIN);
  return { width, height, nodes: placed, edges };
}
