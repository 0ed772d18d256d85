// The last value (with min and max) of every series, per experiment; the best last value
// of each row is marked (lower is better for losses, errors and times), except in rows
// without a direction (monitor series, learning rates...), which have no arrow either;
// monitor series come last.
import { useMemo } from "react";
import { Empty } from "../../components/feedback";
import { formatNumber } from "../../lib/format";
import { metricRows } from "./compare";
import { CompareTableHead } from "./CompareTableHead";
import type { Compared } from "./useCompared";

export function FinalMetrics({ compared }: { compared: Compared[] }) {
  const rows = useMemo(() => metricRows(compared.map((c) => c.task?.last_metrics)), [compared]);
  return (
    <div className="card">
      {rows.length === 0 ? (
        <Empty title="No metrics">None of these experiments reported scalars.</Empty>
      ) : (
        <div className="compare-scroll">
          <table className="grid compare-table" aria-label="Final metrics">
            <CompareTableHead first="Metric" compared={compared} />
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.metric}/${r.variant}`} data-direction={r.direction ?? "none"}>
                  <th scope="row">
                    {r.metric} / {r.variant}
                    {r.direction && (
                      <span className="muted small" title={`${r.direction} is better`}>
                        {r.direction === "lower" ? " ↓" : " ↑"}
                      </span>
                    )}
                  </th>
                  {r.values.map((v, i) => (
                    <td key={compared[i].id} className={i === r.best ? "best" : undefined} data-best={i === r.best ? "true" : undefined}>
                      {v ? (
                        <>
                          <span className="mono">{formatNumber(v.last)}</span>
                          {i === r.best && (
                            <span className="best-mark" aria-label="best" title="best">
                              {" "}★
                            </span>
                          )}
                          <div className="muted small mono">
                            min {formatNumber(v.min)} · max {formatNumber(v.max)}
                          </div>
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
