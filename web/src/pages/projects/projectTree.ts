// The projects as a tree (names like team/nasa/asteroids, each row knowing its parent),
// flattened into the rows a table shows given which nodes are expanded and a search.
import type { Project } from "../../api/types";

export interface TreeNode {
  project: Project;
  /** the last segment of the name */
  label: string;
  depth: number;
  children: TreeNode[];
}

export interface VisibleRow {
  node: TreeNode;
  expanded: boolean;
  hasChildren: boolean;
}

/** Nodes by name; a project whose parent is not in the list is a root. */
export function buildTree(projects: Project[]): TreeNode[] {
  const sorted = [...projects].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byId = new Map<string, TreeNode>();
  for (const p of sorted) {
    byId.set(p.id, { project: p, label: p.name.split("/").pop() ?? p.name, depth: 0, children: [] });
  }
  const roots: TreeNode[] = [];
  for (const p of sorted) {
    const node = byId.get(p.id)!;
    const parent = p.parent_id ? byId.get(p.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const setDepth = (nodes: TreeNode[], depth: number) => {
    for (const n of nodes) {
      n.depth = depth;
      // a root whose parent is missing shows its full name
      if (depth === 0) n.label = n.project.name;
      setDepth(n.children, depth + 1);
    }
  };
  setDepth(roots, 0);
  return roots;
}

function matches(p: Project, needle: string): boolean {
  return p.name.toLowerCase().includes(needle) || p.description.toLowerCase().includes(needle);
}

/**
 * The rows to show. Without a search: roots, and the children of expanded nodes. With
 * one: every match and the ancestors leading to it, all open.
 */
export function visibleRows(roots: TreeNode[], expanded: ReadonlySet<string>, search: string): VisibleRow[] {
  const needle = search.trim().toLowerCase();
  const out: VisibleRow[] = [];
  // with a search: does this subtree hold a match?
  const keep = new Map<string, boolean>();
  const mark = (node: TreeNode): boolean => {
    let hit = matches(node.project, needle);
    for (const child of node.children) hit = mark(child) || hit;
    keep.set(node.project.id, hit);
    return hit;
  };
  if (needle) roots.forEach(mark);
  const walk = (nodes: TreeNode[]) => {
    for (const node of nodes) {
      if (needle && !keep.get(node.project.id)) continue;
      const hasChildren = node.children.length > 0;
      const open = needle ? hasChildren : expanded.has(node.project.id);
      out.push({ node, expanded: open && hasChildren, hasChildren });
      if (open) walk(node.children);
    }
  };
  walk(roots);
  return out;
}

/** The ids of every node that has children (to expand all). */
export function parentIds(roots: TreeNode[]): string[] {
  const out: string[] = [];
  const walk = (nodes: TreeNode[]) =>
    nodes.forEach((n) => {
      if (n.children.length) {
        out.push(n.project.id);
        walk(n.children);
      }
    });
  walk(roots);
  return out;
}
