// Row selection: a click toggles one row, a shift-click sets the range from the last
// clicked row to this one, the header box selects every loaded row or none.

export interface Selection {
  ids: ReadonlySet<string>;
  /** the last row clicked without shift, where a shift-click range starts */
  anchor: string | null;
}

export const EMPTY_SELECTION: Selection = { ids: new Set(), anchor: null };

/**
 * The selection after a click on the box of ``id``; ``order`` is the ids of the loaded
 * rows as shown. A shift-click gives the range the state of the clicked row's new state.
 */
export function clickRow(sel: Selection, order: string[], id: string, shift: boolean): Selection {
  const ids = new Set(sel.ids);
  const select = !ids.has(id);
  const from = shift && sel.anchor ? order.indexOf(sel.anchor) : -1;
  const to = order.indexOf(id);
  if (from >= 0 && to >= 0) {
    const [lo, hi] = from < to ? [from, to] : [to, from];
    for (const rowId of order.slice(lo, hi + 1)) {
      if (select) ids.add(rowId);
      else ids.delete(rowId);
    }
    return { ids, anchor: sel.anchor };
  }
  if (select) ids.add(id);
  else ids.delete(id);
  return { ids, anchor: id };
}

/** Every loaded row, or none when they all are selected already. */
export function toggleAll(sel: Selection, order: string[]): Selection {
  const all = order.length > 0 && order.every((id) => sel.ids.has(id));
  return all ? EMPTY_SELECTION : { ids: new Set(order), anchor: null };
}

export function headerState(sel: Selection, order: string[]): "all" | "some" | "none" {
  const n = order.filter((id) => sel.ids.has(id)).length;
  if (n === 0) return "none";
  return n === order.length ? "all" : "some";
}

/** Keeps only the ids still loaded (after a refetch dropped some rows). */
export function keepLoaded(sel: Selection, order: string[]): Selection {
  const loaded = new Set(order);
  const ids = [...sel.ids].filter((id) => loaded.has(id));
  if (ids.length === sel.ids.size) return sel;
  return { ids: new Set(ids), anchor: sel.anchor && loaded.has(sel.anchor) ? sel.anchor : null };
}

/** Compare takes 2 to 12 tasks. */
export const canCompare = (n: number) => n >= 2 && n <= 12;
