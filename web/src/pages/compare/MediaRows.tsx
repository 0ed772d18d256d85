// Plots or debug samples of the compared experiments side by side: a row per
// metric/variant, a column per experiment (its name and colour on top). Each row shows
// every experiment's latest item, or, once an iteration is picked, those at that
// iteration. The latest items of all experiments come in one request
// (``GET /plots?task_id=..`` or ``/debug-samples``), a picked iteration in one more.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useRef, useState, type ReactNode } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { SeriesIterations } from "../../api/types";
import { useSeen } from "../../charts/useElementSize";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { mediaRows, type MediaRow } from "./compare";
import type { Compared } from "./useCompared";

export type Kind = "plots" | "debug-samples";
export type TaskItem = { task_id: string; metric: string; variant: string; iteration: number };
export interface TaskItems<T> {
  items: T[];
  iterations: (SeriesIterations & { task_id: string })[];
}

const keyOf = (kind: Kind) => (kind === "plots" ? queryKeys.compare.plots : queryKeys.compare.samples);

interface Props<T> {
  kind: Kind;
  compared: Compared[];
  /** what one experiment's cell shows for its item */
  render: (item: T, title: string) => ReactNode;
  /** "plots", "debug samples" */
  noun: string;
}

function Row<T extends TaskItem>({ kind, compared, render, row }: Omit<Props<T>, "noun"> & { row: MediaRow<T> }) {
  const box = useRef<HTMLElement>(null);
  const seen = useSeen(box);
  const [picked, setPicked] = useState<number | null>(null);
  const ids = useMemo(() => compared.map((c) => c.id), [compared]);
  const { metric, variant } = row;
  const title = `${metric} / ${variant}`;
  const at = useQuery({
    queryKey: keyOf(kind)(ids, { metric, variant, iteration: picked ?? 0 }),
    queryFn: ({ signal }) => get<TaskItems<T>>(`/${kind}`, { task_id: ids, metric, variant, iteration: picked }, signal),
    enabled: picked !== null,
  });
  const cells = picked === null ? row.cells : at.data ? (mediaRows(ids, at.data.items, [])[0]?.cells ?? []) : [];
  return (
    <section ref={box} className="card compare-row" aria-label={title} data-testid="compare-row" data-kind={kind} data-title={title}>
      <div className="row compare-row-head">
        <h3>{title}</h3>
        <span className="spacer" />
        {row.iterations.length > 1 ? (
          <select
            aria-label={`Iteration of ${title}`}
            value={picked ?? "latest"}
            onChange={(e) => setPicked(e.target.value === "latest" ? null : Number(e.target.value))}
          >
            <option value="latest">latest of each</option>
            {row.iterations.map((it) => (
              <option key={it} value={it}>
                iteration {it}
              </option>
            ))}
          </select>
        ) : (
          <span className="muted small">iteration {row.iterations[0]}</span>
        )}
      </div>
      {picked !== null && at.isPending && <Loading what={`iteration ${picked}`} />}
      {picked !== null && at.error && <ErrorBox error={at.error} title={`Could not load iteration ${picked}`} />}
      <div className="compare-cells" style={{ gridTemplateColumns: `repeat(${compared.length}, minmax(220px, 1fr))` }}>
        {compared.map((c, i) => {
          const item = cells[i];
          return (
            <figure key={c.id} className="compare-cell" data-testid="compare-cell" data-task-id={c.id} data-iteration={item?.iteration}>
              <figcaption className="compare-cell-head">
                <span className="swatch" style={{ background: c.color }} aria-hidden="true" />
                <span className="compare-cell-name">{c.label}</span>
                {item && picked === null && <span className="muted small">iteration {item.iteration}</span>}
              </figcaption>
              {item ? (
                seen ? (
                  render(item, `${title} of ${c.label}`)
                ) : (
                  <div className="compare-cell-placeholder" />
                )
              ) : (
                (picked === null || at.data) && <span className="muted small">{picked === null ? "nothing reported" : `nothing at iteration ${picked}`}</span>
              )}
            </figure>
          );
        })}
      </div>
    </section>
  );
}

export function MediaRows<T extends TaskItem>({ kind, compared, render, noun }: Props<T>) {
  const ids = useMemo(() => compared.map((c) => c.id), [compared]);
  const latest = useQuery({
    queryKey: keyOf(kind)(ids),
    queryFn: ({ signal }) => get<TaskItems<T>>(`/${kind}`, { task_id: ids }, signal),
    enabled: ids.length > 0,
  });
  const rows = useMemo(() => (latest.data ? mediaRows(ids, latest.data.items, latest.data.iterations) : []), [ids, latest.data]);
  if (latest.isPending) return <Loading what={`the ${noun}`} />;
  if (!latest.data) return <ErrorBox error={latest.error} title={`Could not load the ${noun}`} />;
  if (rows.length === 0) return <Empty title={`No ${noun}`}>None of these experiments reported {noun}.</Empty>;
  return (
    <div data-testid={`compare-${kind}`}>
      {latest.error ? <ErrorBox error={latest.error} title={`Could not refresh the ${noun}`} /> : null}
      {rows.map((row) => (
        <Row key={`${row.metric}\u0000${row.variant}`} kind={kind} compared={compared} render={render} row={row} />
      ))}
    </div>
  );
}
