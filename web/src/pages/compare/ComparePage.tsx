// The compare page (/compare?ids=a,b,c): 2 to 10 experiments side by side — their
// hyperparameters (differences highlighted), their scalars overlaid and their final
// metrics. Everything is under queryKeys.compare, so it follows the change stream.
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { AddTask } from "./AddTask";
import { CompareHeader } from "./CompareHeader";
import { CompareScalars } from "./CompareScalars";
import { FinalMetrics } from "./FinalMetrics";
import { ParamsDiff } from "./ParamsDiff";
import { MAX_COMPARED, MIN_COMPARED, idsProblem, parseIds } from "./compare";
import { useCompared } from "./useCompared";
import "./compare.css";

export function ComparePage() {
  const [params, setParams] = useSearchParams();
  const idsParam = params.get("ids");
  const ids = useMemo(() => parseIds(idsParam), [idsParam]);
  const setIds = (next: string[]) => setParams(next.length ? { ids: next.join(",") } : {});
  const problem = idsProblem(ids);
  const tooMany = ids.length > MAX_COMPARED;

  return (
    <section className="page compare-page" data-testid="compare-page">
      <div className="row">
        <h1>Compare experiments</h1>
        <span className="spacer" />
        <Link to="/experiments">All experiments</Link>
      </div>
      {tooMany ? (
        <div className="error-box" role="alert">
          <strong>Too many experiments</strong>
          <div>{problem}</div>
          <button onClick={() => setIds(ids.slice(0, MAX_COMPARED))}>Compare the first {MAX_COMPARED}</button>
        </div>
      ) : (
        <Compare ids={ids} problem={problem} setIds={setIds} />
      )}
    </section>
  );
}

function Compare({ ids, problem, setIds }: { ids: string[]; problem: string | null; setIds: (ids: string[]) => void }) {
  const compared = useCompared(ids);
  const loaded = useMemo(() => compared.filter((c) => c.task), [compared]);
  const missing = compared.filter((c) => c.missing);
  return (
    <>
      <CompareHeader compared={compared} onRemove={(id) => setIds(ids.filter((x) => x !== id))} />
      <AddTask exclude={ids} disabled={ids.length >= MAX_COMPARED} onAdd={(id) => setIds([...ids, id])} />
      {problem && (
        <div className="notice" role="status" data-testid="compare-problem">
          {problem}
        </div>
      )}
      {missing.length > 0 && (
        <div className="error-box" role="alert" data-testid="compare-missing">
          <strong>Unknown experiment{missing.length > 1 ? "s" : ""}</strong>
          <div>
            No experiment has the id {missing.map((m, i) => (
              <span key={m.id}>
                {i ? ", " : ""}
                <code>{m.id}</code>
              </span>
            ))}
            . Remove {missing.length > 1 ? "them" : "it"} from the comparison, or add another experiment.
          </div>
        </div>
      )}
      {!problem && loaded.length >= MIN_COMPARED && (
        <>
          <ParamsDiff compared={loaded} />
          <CompareScalars compared={loaded} />
          <FinalMetrics compared={loaded} />
        </>
      )}
    </>
  );
}
