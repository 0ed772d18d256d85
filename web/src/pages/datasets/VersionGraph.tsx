// The version graph of a dataset: versions as boxes left to right by depth, parent links
// as curves (graphLayout.ts places them). A click (or Enter) on a box opens that version;
// the version on screen is highlighted.
import { useEffect, useMemo, useRef } from "react";
import { useNavigate } from "react-router-dom";
import { formatBytes } from "../../lib/format";
import { plural } from "./datasetFormat";
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from "./graphLayout";
import type { DatasetGraph } from "../../api/types";

export function VersionGraph({ graph, currentId, name }: { graph: DatasetGraph; currentId: string; name: string }) {
  const navigate = useNavigate();
  const layout = useMemo(() => layoutGraph(graph.nodes), [graph.nodes]);
  const byId = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph.nodes]);
  // a long history scrolls: bring the version on screen into view
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    const node = layout.nodes.find((n) => n.id === currentId);
    if (el && node) el.scrollLeft = Math.max(0, node.x + NODE_WIDTH / 2 - el.clientWidth / 2);
  }, [layout, currentId]);
  const open = (id: string) => {
    if (id !== currentId) navigate(`/datasets/${id}`);
  };
  return (
    <div className="dataset-graph" ref={box}>
      <svg
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="group"
        aria-label="Version graph"
        data-testid="version-graph"
      >
        {layout.edges.map((e) => (
          <path
            key={`${e.from}>${e.to}`}
            d={e.path}
            className={`graph-edge${e.to === currentId || e.from === currentId ? " graph-edge-current" : ""}`}
            data-testid="graph-edge"
            data-from={e.from}
            data-to={e.to}
          />
        ))}
        {layout.nodes.map((p) => {
          const n = byId.get(p.id)!;
          const current = p.id === currentId;
          const other = n.name !== name;
          return (
            <g
              key={p.id}
              transform={`translate(${p.x} ${p.y})`}
              className={`graph-node graph-node-${n.state}${current ? " graph-node-current" : ""}`}
              role="link"
              tabIndex={0}
              aria-label={`${other ? `${n.name} ` : ""}${n.version}`}
              aria-current={current ? "page" : undefined}
              data-testid="graph-node"
              data-id={p.id}
              onClick={() => open(p.id)}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  open(p.id);
                }
              }}
            >
              <title>{`${n.name} ${n.version} (${n.state}): ${n.file_count} files, ${formatBytes(n.total_size)}`}</title>
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={6} />
              <text x={8} y={16} className="graph-version">
                {other ? `${clip(n.name, 10)} ` : ""}
                {n.version}
              </text>
              <text x={8} y={32} className="graph-meta">
                {n.state === "final" ? `${plural(n.file_count, "file")} · ${formatBytes(n.total_size)}` : n.state}
              </text>
            </g>
          );
        })}
      </svg>
      {graph.truncated && <p className="muted small">The graph shows the first 500 versions.</p>}
    </div>
  );
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
