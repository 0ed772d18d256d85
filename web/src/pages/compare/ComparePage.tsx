// The compare page (/compare?ids=a,b,c): 2 to 12 experiments side by side, in sections
// with anchors (#parameters, #analysis, #metrics, #scalars, #plots, #debug-samples) under a
// sticky section nav: their hyperparameters (differences highlighted), parallel
// coordinates and a scatter of parameters against a metric, their final metrics, their
// scalars overlaid, and their plots and debug samples side by side. Each experiment has
// one colour in every section. Everything is under queryKeys.compare, so it follows the
// change stream; each data set is one request.
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { AddTask } from "./AddTask";
import { CompareHeader } from "./CompareHeader";
import { ComparePlots, CompareSamples } from "./ComparePlots";
import { CompareScalars } from "./CompareScalars";
import { FinalMetrics } from "./FinalMetrics";
import { ParamsDiff } from "./ParamsDiff";
import { ParamsVsMetric } from "./ParamsVsMetric";
import { MAX_COMPARED, MIN_COMPARED, idsProblem, parseIds } from "./compare";
import { SECTIONS, SectionNav, useScrollToHash } from "./sections";
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

function Section({ id, children }: { id: string; children: React.ReactNode }) {
  const title = SECTIONS.find((s) => s.id === id)?.title ?? id;
  return (
    <section id={id} className="compare-section" aria-labelledby={`${id}-title`} data-testid={`section-${id}`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

function Compare({ ids, problem, setIds }: { ids: string[]; problem: string | null; setIds: (ids: string[]) => void }) {
  const compared = useCompared(ids);
  const loaded = useMemo(() => compared.filter((c) => c.task), [compared]);
  const missing = compared.filter((c) => c.missing);
  const ready = !problem && loaded.length >= MIN_COMPARED;
  useScrollToHash(ready);
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
      {ready && (
        <>
          <SectionNav />
          <Section id="parameters">
            <ParamsDiff compared={loaded} />
          </Section>
          <Section id="analysis">
            <ParamsVsMetric compared={loaded} />
          </Section>
          <Section id="metrics">
            <FinalMetrics compared={loaded} />
          </Section>
          <Section id="scalars">
            <CompareScalars compared={loaded} />
          </Section>
          <Section id="plots">
            <ComparePlots compared={loaded} />
          </Section>
          <Section id="debug-samples">
            <CompareSamples compared={loaded} />
          </Section>
        </>
      )}
    </>
  );
}
