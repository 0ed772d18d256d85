// The experiments grid. It scrolls inside its own area, both ways, so the page never
// does: the header row sticks at the top, the selection box, status and name stick at
// the left. Only the rows in view are rendered; nearing the last loaded row asks for the
// next page. Headers sort on click, resize by their right edge, move by drag and drop,
// and param/metric headers carry a filter button.
import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type CSSProperties } from "react";
import type { TaskBrief } from "../../api/types";
import { Cell, cellTitle, type Names } from "./cells";
import { clampWidth, columnWidth, gridTemplate, isPinned, pinnedOffsets, tableWidth, type Column, type Widths } from "./columns";
import { headerState, type Selection } from "./selection";
import { nextSort, sortDirection } from "./urlState";
import { filterKey } from "./valueFilters";

export const ROW_HEIGHT = 36;
const HEADER_HEIGHT = 37;
/** rows from the end of the loaded ones at which the next page is asked for */
const PREFETCH_ROWS = 60;
/** the least height of the scrolling area, when the window is very short */
const MIN_AREA = 260;

interface Props {
  columns: Column[];
  widths: Widths;
  rows: TaskBrief[];
  total: number | null;
  names: Names;
  sort: string;
  onSort: (sort: string) => void;
  selection: Selection;
  onSelectRow: (id: string, shift: boolean) => void;
  onSelectAll: () => void;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
  /** the rows on screen belong to the previous sort or filter */
  stale: boolean;
  /** the highlighted row (keyboard and info panel) */
  activeId: string | null;
  onActivate: (id: string) => void;
  onOpen: (id: string) => void;
  onContextMenu: (task: TaskBrief, x: number, y: number) => void;
  onResize: (id: string, width: number) => void;
  onMove: (moved: string, before: string | null) => void;
  onFilterColumn: (columnId: string) => void;
  /** the keys (``filterKey``) of the columns with a value filter on them */
  filtered: ReadonlySet<string>;
}

/** The height that fills the window below the area's top (the page itself does not scroll). */
function useAreaHeight(ref: React.RefObject<HTMLElement | null>): number {
  const [height, setHeight] = useState(600);
  const measure = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    const top = el.getBoundingClientRect().top + window.scrollY;
    const next = Math.max(MIN_AREA, Math.floor(window.innerHeight - top - 20));
    setHeight((prev) => (prev === next ? prev : next));
  }, [ref]);
  // what is above the table (filters, chips, the selection bar) changes with any render
  useLayoutEffect(measure);
  useEffect(() => {
    const observer = new ResizeObserver(measure);
    observer.observe(document.body);
    window.addEventListener("resize", measure);
    return () => {
      observer.disconnect();
      window.removeEventListener("resize", measure);
    };
  }, [measure]);
  return height;
}

function HeaderCell({
  column,
  width,
  sort,
  onSort,
  left,
  dropTarget,
  filtered,
  onFilter,
  onResizeStart,
  onDragStart,
  onDragOver,
  onDrop,
}: {
  column: Column;
  width: number;
  sort: string;
  onSort: (s: string) => void;
  left: number | undefined;
  dropTarget: boolean;
  filtered: boolean;
  onFilter: () => void;
  onResizeStart: (e: React.PointerEvent) => void;
  onDragStart: (e: React.DragEvent) => void;
  onDragOver: (e: React.DragEvent) => void;
  onDrop: (e: React.DragEvent) => void;
}) {
  const direction = sortDirection(sort, column.sort);
  const arrow = direction === "ascending" ? "▲" : direction === "descending" ? "▼" : "";
  const pinned = left !== undefined;
  const movable = !isPinned(column.id);
  return (
    <div
      role="columnheader"
      aria-sort={column.sort ? direction : undefined}
      className={`xp-cell xp-hcell${pinned ? " xp-pinned" : ""}${dropTarget ? " xp-drop" : ""}`}
      style={pinned ? { left } : undefined}
      title={column.label}
      data-column={column.id}
      data-width={width}
      draggable={movable}
      onDragStart={movable ? onDragStart : undefined}
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      {column.sort ? (
        <button className="xp-sort" onClick={() => onSort(nextSort(sort, column.sort!))}>
          {column.label}
          {arrow && <span aria-hidden="true"> {arrow}</span>}
        </button>
      ) : (
        <span className="xp-hlabel">{column.label}</span>
      )}
      {column.kind !== "builtin" && (
        <button
          className={`xp-hfilter${filtered ? " xp-on" : ""}`}
          aria-label={`Filter on ${column.label}`}
          title={`Filter on ${column.label}`}
          onClick={onFilter}
        >
          <svg viewBox="0 0 16 16" aria-hidden="true">
            <path d="M1 2h14l-5.5 6.5V14l-3-1.5V8.5z" />
          </svg>
        </button>
      )}
      <span
        className="xp-resize"
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize ${column.label}`}
        onPointerDown={onResizeStart}
        onClick={(e) => e.stopPropagation()}
      />
    </div>
  );
}

export function ExperimentsTable(props: Props) {
  const { columns, rows, total, names, sort, onSort, selection, onSelectRow, onSelectAll, activeId } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const height = useAreaHeight(scroller);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollMargin: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;

  const { hasMore, loadingMore, loadMore } = props;
  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= rows.length - PREFETCH_ROWS) loadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, loadMore]);

  // the highlighted row stays in view as the keyboard moves it
  const activeIndex = activeId ? rows.findIndex((r) => r.id === activeId) : -1;
  useEffect(() => {
    if (activeIndex >= 0) virtualizer.scrollToIndex(activeIndex, { align: "auto" });
  }, [activeIndex, virtualizer]);

  // a resize in progress: the width follows the pointer, saved when it is released
  const [dragging, setDragging] = useState<{ id: string; width: number } | null>(null);
  const resizing = useRef(false);
  const { onResize } = props;
  const startResize = (column: Column, e: React.PointerEvent) => {
    e.preventDefault();
    e.stopPropagation();
    resizing.current = true;
    const startX = e.clientX;
    const startWidth = columnWidth(column, props.widths);
    let width = startWidth;
    const move = (ev: PointerEvent) => {
      width = clampWidth(column.id, startWidth + ev.clientX - startX);
      setDragging({ id: column.id, width });
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      resizing.current = false;
      setDragging(null);
      if (width !== startWidth) onResize(column.id, width);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  };
  const widths: Widths = dragging ? { ...props.widths, [dragging.id]: dragging.width } : props.widths;

  // moving a column: drag its header onto another
  const [moving, setMoving] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const { onMove } = props;

  const order = rows.map((r) => r.id);
  const header = headerState(selection, order);
  const pinned = pinnedOffsets(columns, widths);
  const gridStyle = { "--xp-grid": gridTemplate(columns, widths), width: tableWidth(columns, widths) } as CSSProperties;
  const pinnedCell = (id: string): { className: string; style?: CSSProperties } => {
    const left = pinned.get(id);
    return left === undefined ? { className: "" } : { className: " xp-pinned", style: { left } };
  };
  return (
    <div
      className={`xp-table${props.stale ? " xp-stale" : ""}`}
      role="grid"
      aria-label="Experiments"
      aria-rowcount={(total ?? rows.length) + 1}
      aria-busy={props.stale || loadingMore}
      data-testid="experiments-table"
      data-total={total ?? ""}
      data-loaded={rows.length}
    >
      <div className="xp-scroll" ref={scroller} style={{ height }} data-testid="experiments-scroll">
        <div className="xp-inner" style={gridStyle}>
          <div className="xp-head" role="rowgroup">
            <div className="xp-row" role="row" aria-rowindex={1}>
              <div role="columnheader" className="xp-cell xp-box xp-pinned" style={{ left: 0 }}>
                <input
                  type="checkbox"
                  aria-label="Select all loaded experiments"
                  checked={header === "all"}
                  ref={(el) => {
                    if (el) el.indeterminate = header === "some";
                  }}
                  onChange={onSelectAll}
                  disabled={!rows.length}
                />
              </div>
              {columns.map((c) => (
                <HeaderCell
                  key={c.id}
                  column={c}
                  width={columnWidth(c, widths)}
                  sort={sort}
                  onSort={onSort}
                  left={pinned.get(c.id)}
                  dropTarget={moving !== null && over === c.id && moving !== c.id}
                  filtered={props.filtered.has(filterKey(c.id))}
                  onFilter={() => props.onFilterColumn(c.id)}
                  onResizeStart={(e) => startResize(c, e)}
                  onDragStart={(e) => {
                    if (resizing.current) {
                      e.preventDefault();
                      return;
                    }
                    e.dataTransfer.effectAllowed = "move";
                    e.dataTransfer.setData("text/plain", c.id);
                    setMoving(c.id);
                  }}
                  onDragOver={(e) => {
                    if (!moving || isPinned(c.id)) return;
                    e.preventDefault();
                    e.dataTransfer.dropEffect = "move";
                    if (over !== c.id) setOver(c.id);
                  }}
                  onDrop={(e) => {
                    e.preventDefault();
                    const moved = moving ?? e.dataTransfer.getData("text/plain");
                    setMoving(null);
                    setOver(null);
                    if (moved && moved !== c.id && !isPinned(c.id)) {
                      // dropped on a column to its right: it goes after that one
                      const ids = columns.map((x) => x.id);
                      const after = ids.indexOf(moved) < ids.indexOf(c.id);
                      onMove(moved, after ? (ids[ids.indexOf(c.id) + 1] ?? null) : c.id);
                    }
                  }}
                />
              ))}
              <div className="xp-cell xp-filler" aria-hidden="true" />
            </div>
          </div>
          <div role="rowgroup" className="xp-body" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const task = rows[item.index];
              const selected = selection.ids.has(task.id);
              const active = task.id === activeId;
              return (
                <div
                  key={task.id}
                  role="row"
                  aria-rowindex={item.index + 2}
                  aria-selected={selected}
                  aria-current={active ? "true" : undefined}
                  data-task-id={task.id}
                  className={`xp-row${selected ? " xp-selected" : ""}${active ? " xp-active" : ""}${task.archived ? " xp-archived" : ""}`}
                  style={{ transform: `translateY(${item.start - HEADER_HEIGHT}px)`, height: ROW_HEIGHT }}
                  onClick={(e) => {
                    const target = e.target as HTMLElement;
                    if (target.closest("input")) return;
                    const link = target.closest("a");
                    // a link opens its page as links do; the name's plain click opens the panel
                    if (link && !link.classList.contains("xp-name")) return;
                    if (link && (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey)) return;
                    e.preventDefault();
                    props.onActivate(task.id);
                  }}
                  onDoubleClick={(e) => {
                    if ((e.target as HTMLElement).closest("input")) return;
                    props.onOpen(task.id);
                  }}
                  onContextMenu={(e) => {
                    e.preventDefault();
                    props.onContextMenu(task, e.clientX, e.clientY);
                  }}
                >
                  <div role="gridcell" className="xp-cell xp-box xp-pinned" style={{ left: 0 }}>
                    <input
                      type="checkbox"
                      aria-label={`Select ${task.name}`}
                      checked={selected}
                      onChange={() => undefined}
                      onClick={(e) => onSelectRow(task.id, e.shiftKey)}
                    />
                  </div>
                  {columns.map((c) => {
                    const pin = pinnedCell(c.id);
                    return (
                      <div
                        key={c.id}
                        role="gridcell"
                        className={`xp-cell xp-${c.kind}${pin.className}`}
                        style={pin.style}
                        data-column={c.id}
                        title={cellTitle(c, task)}
                      >
                        <Cell column={c} task={task} names={names} />
                      </div>
                    );
                  })}
                  <div className="xp-cell xp-filler" aria-hidden="true" />
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {(loadingMore || hasMore) && (
        <div className="xp-more muted" aria-live="polite">
          {loadingMore ? "Loading more…" : `${rows.length.toLocaleString()} of ${(total ?? rows.length).toLocaleString()} loaded`}
        </div>
      )}
    </div>
  );
}
