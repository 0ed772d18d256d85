// A column header that sorts the table by its field (again: the other way).
import { nextSort, sortDirection } from "./modelFilters";

export function SortHeader({ field, label, sort, onSort }: { field: string; label: string; sort: string; onSort: (sort: string) => void }) {
  const direction = sortDirection(sort, field);
  const arrow = direction === "ascending" ? " ▲" : direction === "descending" ? " ▼" : "";
  return (
    <th aria-sort={direction}>
      <button className="sort-header" onClick={() => onSort(nextSort(sort, field))}>
        {label}
        {arrow}
      </button>
    </th>
  );
}
