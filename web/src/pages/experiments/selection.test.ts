import { describe, expect, it } from "vitest";
import { canCompare, clickRow, EMPTY_SELECTION, headerState, keepLoaded, toggleAll } from "./selection";

const order = ["a", "b", "c", "d", "e"];
const ids = (s: { ids: ReadonlySet<string> }) => [...s.ids].sort();

describe("selection", () => {
  it("a click toggles one row and sets the anchor", () => {
    let s = clickRow(EMPTY_SELECTION, order, "b", false);
    expect(ids(s)).toEqual(["b"]);
    expect(s.anchor).toBe("b");
    s = clickRow(s, order, "b", false);
    expect(ids(s)).toEqual([]);
  });

  it("a shift-click selects the range from the anchor, either way", () => {
    let s = clickRow(EMPTY_SELECTION, order, "b", false);
    s = clickRow(s, order, "d", true);
    expect(ids(s)).toEqual(["b", "c", "d"]);
    expect(s.anchor).toBe("b");
    const up = clickRow(clickRow(EMPTY_SELECTION, order, "d", false), order, "a", true);
    expect(ids(up)).toEqual(["a", "b", "c", "d"]);
  });

  it("a shift-click on a selected row clears the range", () => {
    let s = toggleAll(EMPTY_SELECTION, order);
    s = clickRow(s, order, "b", false); // unselects b, anchor b
    s = clickRow(s, order, "d", true); // d was selected: the range goes
    expect(ids(s)).toEqual(["a", "e"]);
  });

  it("a shift-click without an anchor is a plain click", () => {
    const s = clickRow(EMPTY_SELECTION, order, "c", true);
    expect(ids(s)).toEqual(["c"]);
  });

  it("the header box selects all loaded rows, then none", () => {
    const all = toggleAll(clickRow(EMPTY_SELECTION, order, "a", false), order);
    expect(ids(all)).toEqual(order);
    expect(headerState(all, order)).toBe("all");
    expect(headerState(clickRow(all, order, "a", false), order)).toBe("some");
    expect(ids(toggleAll(all, order))).toEqual([]);
    expect(headerState(EMPTY_SELECTION, order)).toBe("none");
    expect(headerState(EMPTY_SELECTION, [])).toBe("none");
  });

  it("rows no longer loaded leave the selection", () => {
    const s = toggleAll(EMPTY_SELECTION, order);
    const kept = keepLoaded({ ...s, anchor: "e" }, ["a", "b"]);
    expect(ids(kept)).toEqual(["a", "b"]);
    expect(kept.anchor).toBeNull();
    expect(keepLoaded(s, order)).toBe(s);
  });

  it("compare takes 2 to 12", () => {
    expect([1, 2, 12, 13].map(canCompare)).toEqual([false, true, true, false]);
  });
});
