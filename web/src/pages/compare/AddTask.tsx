// Add an experiment to the comparison: search by name (or the start of an id).
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { TaskPage } from "../../api/types";
import { ErrorBox } from "../../components/feedback";
import { StatusBadge } from "../../components/StatusBadge";
import { MAX_COMPARED } from "./compare";

export function AddTask({ exclude, onAdd, disabled }: { exclude: readonly string[]; onAdd: (id: string) => void; disabled?: boolean }) {
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  useEffect(() => {
    const timer = setTimeout(() => setQuery(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);
  const found = useQuery({
    queryKey: queryKeys.compare.search(query),
    queryFn: ({ signal }) => get<TaskPage>("/tasks", { text: query, limit: 10 }, signal),
    enabled: query.length > 0,
  });
  const items = (found.data?.items ?? []).filter((t) => !exclude.includes(t.id));
  return (
    <div className="compare-add">
      <input
        type="search"
        aria-label="Add an experiment by id or name"
        placeholder={disabled ? `At most ${MAX_COMPARED} experiments` : "Add an experiment by id or name…"}
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
      />
      {query && !disabled && (
        <div className="compare-add-results" role="list" aria-label="Matching experiments">
          {found.error ? (
            <ErrorBox error={found.error} title="Could not search the experiments" />
          ) : found.isPending ? (
            <span className="muted small">Searching…</span>
          ) : items.length === 0 ? (
            <span className="muted small">No other experiment matches "{query}".</span>
          ) : (
            items.map((t) => (
              <div role="listitem" key={t.id} className="row">
                <button
                  className="small"
                  aria-label={`Add ${t.name}`}
                  onClick={() => {
                    onAdd(t.id);
                    setText("");
                  }}
                >
                  Add
                </button>
                <span>{t.name}</span>
                <StatusBadge status={t.status} />
                <code className="muted small">{t.id.slice(0, 8)}</code>
              </div>
            ))
          )}
        </div>
      )}
    </div>
  );
}
