// The experiment page (/experiments/:taskId/:tab): the header with its actions, and the
// tabs. Everything is under queryKeys.task.one(id), so it follows the change stream.
import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { ApiError } from "../../api/client";
import { queries } from "../../api/queries";
import type { TaskOut } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { useShortcuts } from "../../lib/shortcuts";
import { preloadPlotly } from "../../charts/PlotlyFigure";
import { ArtifactsTab } from "./tabs/ArtifactsTab";
import { ConfigurationTab } from "./tabs/ConfigurationTab";
import { ConsoleTab } from "./tabs/ConsoleTab";
import { DebugSamplesTab } from "./tabs/DebugSamplesTab";
import { ExecutionTab } from "./tabs/ExecutionTab";
import { InfoTab } from "./tabs/InfoTab";
import { ModelsTab } from "./tabs/ModelsTab";
import { PlotsTab } from "./tabs/PlotsTab";
import { ScalarsTab } from "./tabs/ScalarsTab";
import { TaskHeader } from "./TaskHeader";
import "./task.css";

const TABS: { id: string; label: string; render: (task: TaskOut) => React.ReactNode }[] = [
  { id: "execution", label: "Execution", render: (t) => <ExecutionTab task={t} /> },
  { id: "configuration", label: "Configuration", render: (t) => <ConfigurationTab task={t} /> },
  { id: "artifacts", label: "Artifacts", render: (t) => <ArtifactsTab task={t} /> },
  { id: "info", label: "Info", render: (t) => <InfoTab task={t} /> },
  { id: "console", label: "Console", render: (t) => <ConsoleTab task={t} /> },
  { id: "scalars", label: "Scalars", render: (t) => <ScalarsTab task={t} /> },
  { id: "plots", label: "Plots", render: (t) => <PlotsTab task={t} /> },
  { id: "debug-samples", label: "Debug samples", render: (t) => <DebugSamplesTab task={t} /> },
  { id: "models", label: "Models", render: (t) => <ModelsTab task={t} /> },
];

/** ``1``..``9`` open the tabs in their order. */
function useTabShortcuts(taskId: string) {
  const navigate = useNavigate();
  useShortcuts(
    "Experiment",
    TABS.slice(0, 9).map((x, i) => ({
      key: String(i + 1),
      description: `Open the ${x.label} tab`,
      run: () => navigate(`/experiments/${taskId}/${x.id}`),
    })),
  );
}

/**
 * plotly is big: a while after the experiment page opened, once the browser is idle,
 * fetch its (cartesian) chunk, so that opening the Plots tab later draws at once instead
 * of waiting for the download. Not at once: evaluating plotly takes the main thread for
 * a few hundred milliseconds, which would delay the tab the user opened (a chart drawn
 * from data arriving meanwhile).
 */
const PLOTLY_AFTER_MS = 3000;

function usePlotlyWhenIdle(): void {
  useEffect(() => {
    const w = window as Window & {
      requestIdleCallback?: (run: () => void, options?: { timeout: number }) => number;
      cancelIdleCallback?: (id: number) => void;
    };
    let idle: number | undefined;
    const timer = window.setTimeout(() => {
      if (w.requestIdleCallback) idle = w.requestIdleCallback(() => preloadPlotly(), { timeout: 5000 });
      else preloadPlotly();
    }, PLOTLY_AFTER_MS);
    return () => {
      window.clearTimeout(timer);
      if (idle !== undefined) w.cancelIdleCallback?.(idle);
    };
  }, []);
}

export function TaskPage() {
  const { taskId = "", tab = "execution" } = useParams();
  const task = useQuery(queries.task(taskId));
  useTabShortcuts(taskId);
  usePlotlyWhenIdle();

  if (task.isPending) return <Loading what="the experiment" />;
  if (!task.data) {
    if (task.error instanceof ApiError && task.error.status === 404) return <TaskNotFound id={taskId} />;
    return (
      <section className="page">
        <ErrorBox error={task.error} title="Could not load the experiment" />
      </section>
    );
  }
  const t = task.data;
  const current = TABS.find((x) => x.id === tab);
  return (
    <section className="page task-page" data-testid="task-page">
      <TaskHeader task={t} />
      {task.error && <ErrorBox error={task.error} title="Could not refresh the experiment" />}
      <nav className="tabs" aria-label="Experiment tabs">
        {TABS.map((x) => (
          <Link
            key={x.id}
            to={`/experiments/${t.id}/${x.id}`}
            className={x.id === tab ? "active" : undefined}
            aria-current={x.id === tab ? "page" : undefined}
            aria-keyshortcuts={String(TABS.indexOf(x) + 1)}
          >
            {x.label}
          </Link>
        ))}
      </nav>
      <div role="region" aria-label={current?.label ?? "Tab"} data-testid={`tab-${tab}`}>
        {/* keyed by task: a tab's edits do not leak into another experiment */}
        {current ? (
          <div key={t.id}>{current.render(t)}</div>
        ) : (
          <Empty title={`No tab named "${tab}"`}>
            <Link to={`/experiments/${t.id}`}>Back to the execution details</Link>
          </Empty>
        )}
      </div>
    </section>
  );
}

function TaskNotFound({ id }: { id: string }) {
  return (
    <section className="page">
      <Empty title="Experiment not found">
        No experiment has the id <code>{id}</code>: it may have been deleted.{" "}
        <Link to="/experiments">Go to the experiments</Link>
      </Empty>
    </section>
  );
}
