// The models table's filters: React state that writes itself to the URL (so the inputs
// answer at once, and a link or back/forward restores the filters), plus the search
// box's text, sent once typing pauses.
import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { filtersFromSearch, filtersToSearch, type ModelFilters } from "./modelFilters";

const TYPING_PAUSE_MS = 300;

export function useModelFilters() {
  const [params, setParams] = useSearchParams();
  const [filters, setFilters] = useState(() => filtersFromSearch(params));
  const [text, setText] = useState(filters.text);
  // the newest filters, for changes made while another waits (the search box's timer)
  const current = useRef(filters);
  // the search this page wrote last: any other is a navigation to follow
  const written = useRef(params.toString());

  const apply = (next: ModelFilters) => {
    current.current = next;
    setFilters(next);
    const search = new URLSearchParams(filtersToSearch(next));
    written.current = search.toString();
    setParams(search, { replace: true });
  };
  const update = (change: Partial<ModelFilters>) => apply({ ...current.current, ...change });
  const clear = () => {
    setText("");
    apply(filtersFromSearch(new URLSearchParams()));
  };

  useEffect(() => {
    const search = params.toString();
    if (search === written.current) return;
    written.current = search;
    const next = filtersFromSearch(params);
    current.current = next;
    setFilters(next);
    setText(next.text);
  }, [params]);

  useEffect(() => {
    if (text === current.current.text) return;
    const timer = setTimeout(() => update({ text }), TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
    // update reads the newest filters from the ref: only the text restarts the timer
  }, [text]); // eslint-disable-line react-hooks/exhaustive-deps

  return { filters, text, setText, update, clear };
}
