// Filters on metric and hyperparameter values: chips under the filter bar, and a dialog
// to add or change one (from the bar, or from a column header's filter button). The hub
// evaluates them (valueFilters.ts); a filter it refuses shows the hub's reason by its chip.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { TaskColumns } from "../../api/types";
import { DialogFooter, Modal } from "../../components/Modal";
import { METRIC_AGGS, metricColumnId, paramColumnId, splitMonitor, type Column } from "./columns";
import {
  checkFilter,
  describeFilter,
  filterKey,
  formatFilter,
  formatSetValues,
  keyLabel,
  OPERATORS,
  parseFilter,
  parseSetValues,
  type Operator,
  type ValueFilter,
} from "./valueFilters";

/** What the dialog edits: a filter of the list (``index``) or a new one, maybe on a given key. */
export interface FilterEdit {
  index: number | null;
  key?: string;
}

type Mode = "compare" | "range" | "in" | "not-in";

function FilterDialog({
  projectId,
  columns,
  initial,
  isNew,
  onClose,
  onApply,
}: {
  projectId: string | undefined;
  columns: Column[];
  initial: ValueFilter | null;
  isNew: boolean;
  onClose: () => void;
  onApply: (text: string) => void;
}) {
  const available = useQuery({
    queryKey: queryKeys.tasks.columns(projectId),
    queryFn: () => get<TaskColumns>("/tasks/columns", { project_id: projectId }),
  });
  const [key, setKey] = useState(initial?.key ?? "");
  const [mode, setMode] = useState<Mode>(
    initial?.kind === "range" ? "range" : initial?.kind === "set" ? (initial.negate ? "not-in" : "in") : "compare",
  );
  const [op, setOp] = useState<Operator>(initial?.kind === "compare" ? initial.op : ">");
  const [value, setValue] = useState(initial?.kind === "compare" ? initial.value : "");
  const [lo, setLo] = useState(initial?.kind === "range" ? initial.lo : "");
  const [hi, setHi] = useState(initial?.kind === "range" ? initial.hi : "");
  const [members, setMembers] = useState(initial?.kind === "set" ? formatSetValues(initial.values) : "");
  const [tried, setTried] = useState(false);

  // the table's own param/metric columns first, then whatever the tasks have
  const shown = columns.filter((c) => c.kind !== "builtin").map((c) => filterKey(c.id));
  const params = (available.data?.hyperparams ?? []).map((h) => filterKey(paramColumnId(h.section, h.name)));
  const { own, monitor } = splitMonitor(available.data?.metrics ?? []);
  const metricKeys = (list: typeof own) => list.flatMap((m) => METRIC_AGGS.map((agg) => filterKey(metricColumnId(m.metric, m.variant, agg))));
  const groups: [string, string[]][] = [
    ["Table columns", shown],
    ["Hyperparameters", params.filter((k) => !shown.includes(k))],
    ["Metrics", metricKeys(own).filter((k) => !shown.includes(k))],
    ["Machine monitoring", metricKeys(monitor).filter((k) => !shown.includes(k))],
  ];
  const known = groups.some(([, keys]) => keys.includes(key));

  const filter: ValueFilter | null = !key
    ? null
    : mode === "compare"
      ? { kind: "compare", key, op, value: value.trim() }
      : mode === "range"
        ? { kind: "range", key, lo: lo.trim(), hi: hi.trim() }
        : { kind: "set", key, negate: mode === "not-in", values: parseSetValues(members) };
  const problem = !filter ? "Choose a metric or a hyperparameter." : checkFilter(filter);
  const apply = () => {
    setTried(true);
    if (filter && !problem) onApply(formatFilter(filter));
  };
  return (
    <Modal
      title={isNew ? "Filter on a value" : "Change the value filter"}
      onClose={onClose}
      footer={<DialogFooter action="Apply" form="xp-filter-form" onClose={onClose} />}
    >
      <form
        id="xp-filter-form"
        className="xp-filter-form"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <label>
          Metric or hyperparameter
          <select aria-label="Filter on" value={key} onChange={(e) => setKey(e.target.value)}>
            <option value="">Choose…</option>
            {key && !known && <option value={key}>{keyLabel(key)}</option>}
            {groups.map(
              ([label, keys]) =>
                keys.length > 0 && (
                  <optgroup key={label} label={label}>
                    {keys.map((k) => (
                      <option key={k} value={k}>
                        {keyLabel(k)}
                      </option>
                    ))}
                  </optgroup>
                ),
            )}
          </select>
        </label>
        <label>
          Condition
          <select aria-label="Condition" value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
            <option value="compare">compare with a value</option>
            <option value="range">in a range</option>
            <option value="in">one of</option>
            <option value="not-in">none of</option>
          </select>
        </label>
        {mode === "compare" && (
          <div className="row">
            <select aria-label="Operator" value={op} onChange={(e) => setOp(e.target.value as Operator)}>
              {OPERATORS.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
            <input aria-label="Value" placeholder="0.9, or text" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
          </div>
        )}
        {mode === "range" && (
          <div className="row">
            <input aria-label="From" placeholder="from (any)" value={lo} onChange={(e) => setLo(e.target.value)} autoFocus />
            <span>to</span>
            <input aria-label="To" placeholder="to (any)" value={hi} onChange={(e) => setHi(e.target.value)} />
          </div>
        )}
        {(mode === "in" || mode === "not-in") && (
          <input aria-label="Values" placeholder="comma separated: sgd, adam" value={members} onChange={(e) => setMembers(e.target.value)} autoFocus />
        )}
        {tried && problem && (
          <p className="xp-field-error" role="alert">
            {problem}
          </p>
        )}
        <p className="muted small">The hub evaluates the filter; a task without this value never matches.</p>
      </form>
    </Modal>
  );
}

/** The filter a 422 of the hub is about, by its text in the hub's message (or the only one). */
function blamed(filters: string[], error: unknown): number {
  if (!(error instanceof ApiError) || error.status !== 422 || !filters.length) return -1;
  const text = `${error.detail} ${error.errors.map((e) => e.msg).join(" ")}`;
  const i = filters.findIndex((f) => text.includes(f));
  if (i >= 0) return i;
  return /filter/i.test(text) ? filters.length - 1 : -1;
}

export function ValueFilterChips({
  filters,
  error,
  onEdit,
  onChange,
}: {
  filters: string[];
  /** the hub's answer to the list: its 422 about a filter shows by that filter */
  error: unknown;
  onEdit: (edit: FilterEdit) => void;
  onChange: (filters: string[]) => void;
}) {
  const bad = blamed(filters, error);
  if (!filters.length) return null;
  return (
    <div className="xp-chips" role="list" aria-label="Value filters">
      {filters.map((text, i) => {
        const f = parseFilter(text);
        return (
          <span key={`${i}\u0000${text}`} role="listitem" className={`xp-chip${i === bad || !f ? " xp-bad" : ""}`} data-filter={text}>
            <button title="Change this filter" onClick={() => onEdit({ index: i })}>
              {f ? describeFilter(f) : text}
            </button>
            <button aria-label={`Remove the filter ${f ? describeFilter(f) : text}`} onClick={() => onChange(filters.filter((_, j) => j !== i))}>
              ×
            </button>
            {i === bad && error instanceof ApiError && (
              <span className="xp-chip-error" role="alert">
                {error.detail || error.message}
              </span>
            )}
          </span>
        );
      })}
      <button className="xp-link" onClick={() => onChange([])}>
        Clear value filters
      </button>
    </div>
  );
}

/** The dialog of ``edit`` over ``filters``: Apply replaces the edited filter or adds one. */
export function ValueFilterEditor({
  edit,
  filters,
  projectId,
  columns,
  onClose,
  onChange,
}: {
  edit: FilterEdit;
  filters: string[];
  projectId: string | undefined;
  columns: Column[];
  onClose: () => void;
  onChange: (filters: string[]) => void;
}) {
  const current = edit.index === null ? null : parseFilter(filters[edit.index] ?? "");
  const initial: ValueFilter | null = current ?? (edit.key ? { kind: "compare", key: edit.key, op: ">", value: "" } : null);
  return (
    <FilterDialog
      projectId={projectId}
      columns={columns}
      initial={initial}
      isNew={edit.index === null}
      onClose={onClose}
      onApply={(text) => {
        const next = edit.index === null ? [...filters, text] : filters.map((f, i) => (i === edit.index ? text : f));
        onChange([...new Set(next)]);
        onClose();
      }}
    />
  );
}
