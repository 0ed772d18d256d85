// A pipeline run's DAG, live: the steps laid out by dagre (dagLayout.ts) and drawn as SVG,
// each coloured by its status (CSS variables of both themes), with its duration, its
// attempts when it took more than one, and a "cached" badge that links to the task whose
// result it reuses. A click (or Enter) on a step opens its task; pointing at a step (or
// focusing it) shows it in the side panel.
import { useMemo, type MouseEvent } from "react";
import { useNavigate } from "react-router-dom";
import { formatDuration } from "../../lib/format";
import { layoutDag, NODE_HEIGHT, NODE_WIDTH } from "./dagLayout";
import { nodeDuration, nodeTarget, type PipelineNode } from "./pipelineModel";

const BADGE_WIDTH = 52;

export const taskPath = (id: string) => `/experiments/${id}`;

/** "completed · 12s · 3 attempts" */
export function nodeLine(node: PipelineNode, nowSeconds: number): string {
  const parts: string[] = [node.status];
  const d = nodeDuration(node, nowSeconds);
  if (d !== null) parts.push(formatDuration(d));
  if (node.attempts > 1) parts.push(`${node.attempts} attempts`);
  return parts.join(" · ");
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export function DagView({
  nodes,
  now,
  selected,
  onSelect,
}: {
  nodes: PipelineNode[];
  /** ms */
  now: number;
  selected: string | null;
  onSelect: (name: string) => void;
}) {
  const navigate = useNavigate();
  // the layout changes with the steps and their links, not with their states
  const shape = JSON.stringify(nodes.map((n) => [n.name, n.parents]));
  const layout = useMemo(() => layoutDag(JSON.parse(shape).map(([name, parents]: [string, string[]]) => ({ name, parents }))), [shape]);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const open = (id: string | null, e?: MouseEvent) => {
    if (!id) return;
    if (e && (e.ctrlKey || e.metaKey || e.shiftKey)) {
      window.open(taskPath(id), "_blank", "noopener");
      return;
    }
    navigate(taskPath(id));
  };
  const seconds = now / 1000;
  return (
    <div className="dag-view">
      <svg width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group" aria-label="Pipeline steps" data-testid="dag">
        <defs>
          <marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="dag-arrow" />
          </marker>
        </defs>
        {layout.edges.map((e) => {
          const source = byName.get(e.from);
          const done = source?.status === "completed" || source?.status === "cached";
          const near = selected !== null && (e.from === selected || e.to === selected);
          return (
            <path
              key={`${e.from}>${e.to}`}
              d={e.path}
              className={`dag-edge${done ? " dag-edge-done" : ""}${near ? " dag-edge-near" : ""}`}
              markerEnd="url(#dag-arrow)"
              data-testid="dag-edge"
              data-from={e.from}
              data-to={e.to}
            />
          );
        })}
        {layout.nodes.map((p) => {
          const n = byName.get(p.name)!;
          const target = nodeTarget(n);
          return (
            <g
              key={p.name}
              transform={`translate(${p.x} ${p.y})`}
              className={`dag-node dag-node-${n.status}${selected === n.name ? " dag-node-selected" : ""}${target ? "" : " dag-node-inert"}`}
              role={target ? "link" : "img"}
              tabIndex={0}
              aria-label={`${n.name}: ${nodeLine(n, seconds)}`}
              data-testid="dag-node"
              data-name={n.name}
              data-status={n.status}
              onMouseEnter={() => onSelect(n.name)}
              onFocus={() => onSelect(n.name)}
              onClick={(e) => open(target, e)}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  open(target);
                }
              }}
            >
              <title>{`${n.name} (${n.kind} step): ${nodeLine(n, seconds)}${n.reason ? ` — ${n.reason}` : ""}`}</title>
              <rect className="dag-box" width={NODE_WIDTH} height={NODE_HEIGHT} rx={8} />
              <rect className="dag-stripe" width={5} height={NODE_HEIGHT} rx={2} />
              <text x={14} y={23} className="dag-name">
                {clip(n.name, n.status === "cached" ? 15 : 21)}
              </text>
              <text x={14} y={43} className="dag-meta" data-testid="dag-node-meta">
                {nodeLine(n, seconds)}
              </text>
            </g>
          );
        })}
        {/* after the steps, so that a badge is over its step and its own link */}
        {layout.nodes.map((p) => {
          const n = byName.get(p.name)!;
          if (n.status !== "cached") return null;
          const x = p.x + NODE_WIDTH - BADGE_WIDTH - 8;
          const y = p.y + 8;
          const href = n.cachedFrom ? taskPath(n.cachedFrom) : undefined;
          const badge = (
            <g transform={`translate(${x} ${y})`} className="dag-badge">
              <rect width={BADGE_WIDTH} height={18} rx={9} />
              <text x={BADGE_WIDTH / 2} y={13} textAnchor="middle">
                cached
              </text>
            </g>
          );
          return href ? (
            <a
              key={p.name}
              href={href}
              data-testid="cached-link"
              data-name={n.name}
              aria-label={`${n.name}: cached, from task ${n.cachedFrom}`}
              onMouseEnter={() => onSelect(n.name)}
              onClick={(e) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                e.preventDefault();
                navigate(href);
              }}
            >
              <title>{`The result of task ${n.cachedFrom}`}</title>
              {badge}
            </a>
          ) : (
            <g key={p.name}>{badge}</g>
          );
        })}
      </svg>
    </div>
  );
}
