// Which columns the table shows, and in which order: the task's own fields, and any
// hyperparameter or metric summary (last/min/max) the tasks in scope have
// (GET /tasks/columns), the machine monitoring series (":monitor:...") listed last.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import { ErrorBox, Loading } from "../../components/feedback";
import { Modal } from "../../components/Modal";
import type { TaskColumns as Available } from "../../api/types";
import { BUILTINS, isPinned, METRIC_AGGS, metricColumnId, paramColumnId, parseColumn, shiftColumn, splitMonitor, toggleColumn } from "./columns";

function Check({ label, checked, disabled, onChange }: { label: string; checked: boolean; disabled?: boolean; onChange: () => void }) {
  return (
    <label className="xp-check">
      <input type="checkbox" checked={checked} disabled={disabled} onChange={onChange} />
      {label}
    </label>
  );
}

function MetricList({
  metrics,
  on,
  toggle,
  label,
  empty,
}: {
  metrics: Available["metrics"];
  on: ReadonlySet<string>;
  toggle: (id: string) => void;
  label: string;
  empty: string;
}) {
  return (
    <>
      {metrics.length === 0 && empty && <div className="muted small">{empty}</div>}
      <div className="xp-picker-list" role="group" aria-label={label}>
        {metrics.map((m) => (
          <div key={`${m.metric}\u0000${m.variant}`} className="xp-metric-row">
            <span className="xp-metric-name" title={`${m.metric}/${m.variant}`}>
              {m.metric}/{m.variant}
            </span>
            {METRIC_AGGS.map((agg) => {
              const id = metricColumnId(m.metric, m.variant, agg);
              return (
                <label key={agg} className="xp-check">
                  <input type="checkbox" aria-label={`${m.metric}/${m.variant} ${agg}`} checked={on.has(id)} onChange={() => toggle(id)} />
                  {agg}
                </label>
              );
            })}
          </div>
        ))}
      </div>
    </>
  );
}

export function ColumnPicker({
  projectId,
  chosen,
  onChange,
  onReset,
  onClose,
}: {
  projectId: string | undefined;
  chosen: string[];
  onChange: (ids: string[]) => void;
  onReset: () => void;
  onClose: () => void;
}) {
  const available = useQuery({
    queryKey: queryKeys.tasks.columns(projectId),
    queryFn: () => get<Available>("/tasks/columns", { project_id: projectId }),
  });
  const [filter, setFilter] = useState("");
  const needle = filter.trim().toLowerCase();
  const params = useMemo(
    () => (available.data?.hyperparams ?? []).filter((h) => `${h.section}/${h.name}`.toLowerCase().includes(needle)),
    [available.data, needle],
  );
  const metrics = useMemo(
    () => (available.data?.metrics ?? []).filter((m) => `${m.metric}/${m.variant}`.toLowerCase().includes(needle)),
    [available.data, needle],
  );
  const { own, monitor } = splitMonitor(metrics);
  const on = new Set(chosen);
  const toggle = (id: string) => onChange(toggleColumn(chosen, id));
  return (
    <Modal
      title="Columns"
      onClose={onClose}
      footer={
        <>
          <button onClick={onReset} title="The default columns, order and widths">
            Reset columns
          </button>
          <button className="primary" onClick={onClose}>
            Done
          </button>
        </>
      }
    >
      <div className="xp-picker">
        <section>
          <h3>Fields</h3>
          {BUILTINS.map((b) => (
            <Check key={b.id} label={b.label} checked={on.has(b.id) || isPinned(b.id)} disabled={isPinned(b.id)} onChange={() => toggle(b.id)} />
          ))}
          <h3>Order</h3>
          <ol className="xp-order" aria-label="Column order">
            {chosen
              .filter((id) => !isPinned(id))
              .map((id, i, movable) => {
                const label = parseColumn(id)?.label ?? id;
                return (
                  <li key={id}>
                    <span title={label}>{label}</span>
                    <button aria-label={`Move ${label} left`} disabled={i === 0} onClick={() => onChange(shiftColumn(chosen, id, -1))}>
                      ↑
                    </button>
                    <button
                      aria-label={`Move ${label} right`}
                      disabled={i === movable.length - 1}
                      onClick={() => onChange(shiftColumn(chosen, id, 1))}
                    >
                      ↓
                    </button>
                  </li>
                );
              })}
          </ol>
        </section>
        <section>
          <input
            type="search"
            aria-label="Filter hyperparameters and metrics"
            placeholder="Filter hyperparameters and metrics…"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
          {available.isPending && <Loading what="hyperparameters and metrics" />}
          <ErrorBox error={available.error} title="Could not list the hyperparameters and metrics" />
          {available.data && (
            <>
              <h3>Hyperparameters</h3>
              {params.length === 0 && <div className="muted small">None{needle ? " match" : " reported yet"}.</div>}
              <div className="xp-picker-list" role="group" aria-label="Hyperparameters">
                {params.map((h) => {
                  const id = paramColumnId(h.section, h.name);
                  return <Check key={id} label={`${h.section}/${h.name}`} checked={on.has(id)} onChange={() => toggle(id)} />;
                })}
              </div>
              <h3>Metrics</h3>
              <MetricList metrics={own} on={on} toggle={toggle} label="Metrics" empty={`None${needle ? " match" : " reported yet"}.`} />
              {monitor.length > 0 && (
                <>
                  <h3>Machine monitoring</h3>
                  <MetricList metrics={monitor} on={on} toggle={toggle} label="Machine monitoring" empty="" />
                </>
              )}
              {available.data.truncated && <div className="muted small">The tasks have more names than listed here (the first 2,000 of each kind).</div>}
            </>
          )}
        </section>
      </div>
    </Modal>
  );
}
