// Hyperparameters side by side: a row per section/name, a column per experiment; rows
// whose values differ are highlighted, and can be shown alone.
import { useMemo, useState } from "react";
import { Empty } from "../../components/feedback";
import { paramRows } from "./compare";
import { CompareTableHead } from "./CompareTableHead";
import type { Compared } from "./useCompared";

export function ParamsDiff({ compared }: { compared: Compared[] }) {
  const [onlyDiffs, setOnlyDiffs] = useState(false);
  const rows = useMemo(() => paramRows(compared.map((c) => c.task?.hyperparams)), [compared]);
  const shown = onlyDiffs ? rows.filter((r) => r.differs) : rows;
  const differing = rows.filter((r) => r.differs).length;
  return (
    <div className="card">
      <div className="row">
        <span className="muted small">
          {differing} of {rows.length} differ
        </span>
        <span className="spacer" />
        <label className="inline-check">
          <input type="checkbox" checked={onlyDiffs} onChange={(e) => setOnlyDiffs(e.target.checked)} />
          Only differences
        </label>
      </div>
      {rows.length === 0 ? (
        <Empty title="No hyperparameters">None of these experiments has hyperparameters.</Empty>
      ) : shown.length === 0 ? (
        <Empty title="No differences">Every hyperparameter has the same value in all these experiments.</Empty>
      ) : (
        <div className="compare-scroll">
          <table className="grid compare-table" aria-label="Hyperparameters">
            <CompareTableHead first="Parameter" compared={compared} />
            <tbody>
              {shown.map((r) => (
                <tr key={`${r.section}/${r.name}`} className={r.differs ? "differs" : undefined} data-differs={r.differs ? "true" : "false"}>
                  <th scope="row" className="mono">
                    {r.section}/{r.name}
                  </th>
                  {r.values.map((v, i) => (
                    <td key={compared[i].id} className="mono">
                      {v === undefined ? <span className="muted">—</span> : v}
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
