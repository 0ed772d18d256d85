// The filter bar: text, status, type, tags, user, the archive, and the button of a new
// value filter (ValueFilters.tsx). Every change goes to the URL (the page reads its
// filters from there).
import { useEffect, useRef, useState } from "react";
import { TASK_STATUSES, TASK_TYPES, taskTypeLabel, type User } from "../../api/types";
import { statusLabel } from "../../components/StatusBadge";
import { useFollowingState, useStateFor } from "../../lib/useStateFor";
import { isFiltered, NO_FILTERS, splitTags, type TableQuery } from "./urlState";

function MultiSelect({
  label,
  options,
  selected,
  onChange,
}: {
  label: string;
  options: { value: string; label: string }[];
  selected: string[];
  onChange: (values: string[]) => void;
}) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
  const toggle = (value: string) =>
    onChange(selected.includes(value) ? selected.filter((v) => v !== value) : [...selected, value]);
  return (
    <div className="xp-multi" ref={box}>
      <button aria-haspopup="true" aria-expanded={open} className={selected.length ? "xp-active" : ""} onClick={() => setOpen(!open)}>
        {label}
        {selected.length ? ` (${selected.length})` : ""} ▾
      </button>
      {open && (
        <div className="xp-popover" role="group" aria-label={label}>
          {options.map((o) => (
            <label key={o.value} className="xp-check">
              <input type="checkbox" checked={selected.includes(o.value)} onChange={() => toggle(o.value)} />
              {o.label}
            </label>
          ))}
          {selected.length > 0 && (
            <button className="xp-link" onClick={() => onChange([])}>
              Any {label.toLowerCase()}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

/** A text box that applies what is typed after a pause, on Enter, or when it loses focus. */
function useDebounced(value: string, apply: (v: string) => void, delay = 300) {
  const [text, setText] = useFollowingState(value);
  const latest = useRef(apply);
  useEffect(() => {
    latest.current = apply;
  });
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => latest.current(text), delay);
    return () => clearTimeout(timer);
  }, [text, value, delay]);
  return [text, setText] as const;
}

export function Filters({
  query: fromUrl,
  users,
  onChange: apply,
  onAddValueFilter,
}: {
  query: TableQuery;
  users: User[];
  onChange: (patch: Partial<TableQuery>) => void;
  /** opens the dialog of a new filter on a metric or hyperparameter value */
  onAddValueFilter: () => void;
}) {
  // the router applies a new URL in a transition: the boxes show the change at once
  const [query, setQuery] = useFollowingState(fromUrl);
  const onChange = (patch: Partial<TableQuery>) => {
    setQuery((q) => ({ ...q, ...patch }));
    apply(patch);
  };
  const [text, setText] = useDebounced(query.text, (v) => onChange({ text: v.trim() }));
  const [tags, setTags] = useStateFor(query.tags, () => query.tags.join(", "));
  const applyTags = () => {
    const next = splitTags(tags);
    if (next.join(",") !== query.tags.join(",")) onChange({ tags: next });
  };
  return (
    <div className="row xp-filters" role="search" aria-label="Filters">
      <input
        type="search"
        aria-label="Search experiments"
        data-shortcut="search"
        placeholder="Search name, comment or id…"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => e.key === "Enter" && onChange({ text: text.trim() })}
      />
      <MultiSelect
        label="Status"
        options={TASK_STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))}
        selected={query.status}
        onChange={(status) => onChange({ status })}
      />
      <MultiSelect
        label="Type"
        options={TASK_TYPES.map((t) => ({ value: t, label: taskTypeLabel(t) }))}
        selected={query.type}
        onChange={(type) => onChange({ type })}
      />
      <input
        aria-label="Tags"
        placeholder="Tags: best, -bad"
        title="Comma separated; every tag must be present, -tag must be absent"
        value={tags}
        onChange={(e) => setTags(e.target.value)}
        onKeyDown={(e) => e.key === "Enter" && applyTags()}
        onBlur={applyTags}
      />
      <select aria-label="User" value={query.users[0] ?? ""} onChange={(e) => onChange({ users: e.target.value ? [e.target.value] : [] })}>
        <option value="">Any user</option>
        {users.map((u) => (
          <option key={u.id} value={u.id}>
            {u.name}
          </option>
        ))}
      </select>
      <label className="xp-check">
        <input type="checkbox" checked={query.archived} onChange={(e) => onChange({ archived: e.target.checked })} />
        Show archived
      </label>
      <button onClick={onAddValueFilter} title="Filter on a metric's or a hyperparameter's value">
        Value filter…
      </button>
      {isFiltered(query) && (
        <button className="xp-link" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </button>
      )}
    </div>
  );
}
