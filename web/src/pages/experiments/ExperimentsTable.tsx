// The experiments grid: a sticky header that sorts on click, and only the rows in view
// rendered (the page itself scrolls); nearing the last loaded row asks for the next page.
import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type CSSProperties } from "react";
import type { TaskBrief } from "../../api/types";
import { Cell, cellTitle, type Names } from "./cells";
import { gridTemplate, minTableWidth, type Column } from "./columns";
import { headerState, type Selection } from "./selection";
import { nextSort, sortDirection } from "./urlState";

export const ROW_HEIGHT = 36;
/** rows from the end of the loaded ones at which the next page is asked for */
const PREFETCH_ROWS = 60;

interface Props {
  columns: Column[];
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
}

function HeaderCell({ column, sort, onSort }: { column: Column; sort: string; onSort: (s: string) => void }) {
  const direction = sortDirection(sort, column.sort);
  const arrow = direction === "ascending" ? "▲" : direction === "descending" ? "▼" : "";
  return (
    <div role="columnheader" aria-sort={column.sort ? direction : undefined} className="xp-cell" title={column.label}>
      {column.sort ? (
        <button className="xp-sort" onClick={() => onSort(nextSort(sort, column.sort!))}>
          {column.label}
          {arrow && <span aria-hidden="true"> {arrow}</span>}
        </button>
      ) : (
        column.label
      )}
    </div>
  );
}

/** The page offset of the rows' top, which the window virtualizer measures from. */
function useOffsetTop(ref: React.RefObject<HTMLElement | null>): number {
  const [top, setTop] = useState(0);
  const measure = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    const next = Math.round(el.getBoundingClientRect().top + window.scrollY);
    setTop((prev) => (prev === next ? prev : next));
  }, [ref]);
  // what is above the table (filters, the selection bar) changes with any render
  useLayoutEffect(measure);
  useEffect(() => {
    const observer = new ResizeObserver(measure);
    observer.observe(document.body);
    return () => observer.disconnect();
  }, [measure]);
  return top;
}

export function ExperimentsTable(props: Props) {
  const { columns, rows, total, names, sort, onSort, selection, onSelectRow, onSelectAll } = props;
  const body = useRef<HTMLDivElement>(null);
  const scrollMargin = useOffsetTop(body);
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollMargin,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.length ? items[items.length - 1].index : -1;

  const { hasMore, loadingMore, loadMore } = props;
  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= rows.length - PREFETCH_ROWS) loadMore();
  }, [hasMore, loadingMore, lastIndex, rows.length, loadMore]);

  const order = rows.map((r) => r.id);
  const header = headerState(selection, order);
  const style = { "--xp-grid": gridTemplate(columns), minWidth: minTableWidth(columns) } as CSSProperties;
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
      style={style}
    >
      <div className="xp-head" role="rowgroup">
        <div className="xp-row" role="row" aria-rowindex={1}>
          <div role="columnheader" className="xp-cell xp-box">
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
            <HeaderCell key={c.id} column={c} sort={sort} onSort={onSort} />
          ))}
        </div>
      </div>
      <div ref={body} role="rowgroup" className="xp-body" style={{ height: virtualizer.getTotalSize() }}>
        {items.map((item) => {
          const task = rows[item.index];
          const selected = selection.ids.has(task.id);
          return (
            <div
              key={task.id}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={selected}
              data-task-id={task.id}
              className={`xp-row${selected ? " xp-selected" : ""}${task.archived ? " xp-archived" : ""}`}
              style={{ transform: `translateY(${item.start - scrollMargin}px)`, height: ROW_HEIGHT }}
            >
              <div role="gridcell" className="xp-cell xp-box">
                <input
                  type="checkbox"
                  aria-label={`Select ${task.name}`}
                  checked={selected}
                  onChange={() => undefined}
                  onClick={(e) => onSelectRow(task.id, e.shiftKey)}
                />
              </div>
              {columns.map((c) => (
                <div key={c.id} role="gridcell" className={`xp-cell xp-${c.kind}`} data-column={c.id} title={cellTitle(c, task)}>
                  <Cell column={c} task={task} names={names} />
                </div>
              ))}
            </div>
          );
        })}
      </div>
      {(loadingMore || hasMore) && (
        <div className="xp-more muted" aria-live="polite">
          {loadingMore ? "Loading more…" : `${rows.length.toLocaleString()} of ${(total ?? rows.length).toLocaleString()} loaded`}
        </div>
      )}
    </div>
  );
}
