// The app shell: the session gate, the navigation, the routes, live updates.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { BrowserRouter, Navigate, NavLink, Route, Routes, useNavigate } from "react-router-dom";
import { ApiError } from "./api/client";
import { ShortcutHelp } from "./components/ShortcutHelp";
import { ThemeToggle } from "./components/ThemeToggle";
import { Loading } from "./components/feedback";
import { ToastProvider } from "./components/toast";
import { useShortcuts } from "./lib/shortcuts";
import { currentTheme, setThemeChoice, toggled } from "./lib/theme";
import { LiveChanges } from "./live/changes";
import { LiveContext, useLiveState } from "./live/useLive";
import { AdminPage } from "./pages/admin/AdminPage";
import { ComparePage } from "./pages/compare/ComparePage";
import { DatasetPage } from "./pages/datasets/DatasetPage";
import { DatasetsPage } from "./pages/datasets/DatasetsPage";
import { ExperimentsPage } from "./pages/experiments/ExperimentsPage";
import { ModelPage } from "./pages/models/ModelPage";
import { ModelsPage } from "./pages/models/ModelsPage";
import { PipelinesPage } from "./pages/pipelines/PipelinesPage";
import { ProfilePage } from "./pages/ProfilePage";
import { ProjectOverviewPage } from "./pages/projects/ProjectOverviewPage";
import { ProjectsPage } from "./pages/projects/ProjectsPage";
import { QueuesPage } from "./pages/queues/QueuesPage";
import { TaskPage } from "./pages/task/TaskPage";
import { WorkersPage } from "./pages/workers/WorkersPage";
import { SessionGate, useSession } from "./session";

// the DAG view brings its graph layout library (dagre): loaded with the run page only
const PipelineRunPage = lazy(() => import("./pages/pipelines/PipelineRunPage").then((m) => ({ default: m.PipelineRunPage })));

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: false,
        // a 4xx will not change by asking again
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
    },
  });
}

function UserMenu() {
  const { user, logout } = useSession();
  const [open, setOpen] = useState(false);
  return (
    <div className="user-menu">
      <button aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        {user.name} ▾
      </button>
      {open && (
        <div className="menu" role="menu" onClick={() => setOpen(false)}>
          <NavLink role="menuitem" to="/profile/account" end>
            Profile
          </NavLink>
          <NavLink role="menuitem" to="/profile/keys">
            API keys
          </NavLink>
          <button role="menuitem" onClick={() => void logout()}>
            Log out
          </button>
        </div>
      )}
    </div>
  );
}

function LiveDot() {
  const state = useLiveState();
  const text = { live: "live", connecting: "connecting", offline: "reconnecting" }[state];
  return (
    <span className={`live-dot live-${state}`} title={`Live updates: ${text}`} data-testid="live-state" data-state={state}>
      ● {text}
    </span>
  );
}

/** Puts the focus in the page's search box: the one marked ``data-shortcut="search"``. */
function focusSearch(): void {
  const box = document.querySelector<HTMLInputElement>('[data-shortcut="search"]') ?? document.querySelector<HTMLInputElement>('main input[type="search"], .content input[type="search"]');
  if (!box) return;
  box.focus();
  box.select?.();
}

/** The shortcuts of every page, and the ``?`` help that lists them with the page's own. */
function GlobalShortcuts() {
  const navigate = useNavigate();
  const [help, setHelp] = useState(false);
  useShortcuts("Anywhere", [
    { key: "?", description: "Show the keyboard shortcuts", run: () => setHelp(true) },
    { key: "/", description: "Search on this page", run: focusSearch },
    { key: "t", description: "Switch between the light and dark theme", run: () => setThemeChoice(toggled(currentTheme())) },
    { key: "g p", description: "Go to the projects", run: () => navigate("/projects") },
    { key: "g e", description: "Go to the experiments", run: () => navigate("/experiments") },
    { key: "g m", description: "Go to the models", run: () => navigate("/models") },
    { key: "g d", description: "Go to the datasets", run: () => navigate("/datasets") },
    { key: "g l", description: "Go to the pipelines", run: () => navigate("/pipelines") },
    { key: "g w", description: "Go to the workers", run: () => navigate("/workers") },
    { key: "g q", description: "Go to the queues", run: () => navigate("/queues") },
  ]);
  return (
    <>
      <button className="help-button" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" onClick={() => setHelp(true)}>
        ?
      </button>
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
    </>
  );
}

function Shell() {
  const { user } = useSession();
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">Corral</div>
        <NavLink to="/projects">Projects</NavLink>
        <NavLink to="/experiments" end>
          Experiments
        </NavLink>
        <NavLink to="/models">Models</NavLink>
        <NavLink to="/datasets">Datasets</NavLink>
        <NavLink to="/pipelines">Pipelines</NavLink>
        <NavLink to="/workers">Workers</NavLink>
        <NavLink to="/queues">Queues</NavLink>
        {user.role === "admin" && <NavLink to="/admin">Admin</NavLink>}
        <a href="/api/v1/docs" target="_blank" rel="noreferrer">
          API docs
        </a>
      </nav>
      <div className="main">
        <header className="topbar">
          <div className="spacer" />
          <LiveDot />
          <ThemeToggle />
          <GlobalShortcuts />
          <UserMenu />
        </header>
        <div className="content">
          <Routes>
            <Route path="/" element={<Navigate to="/projects" replace />} />
            <Route path="/projects" element={<ProjectsPage />} />
            <Route path="/projects/:projectId" element={<ProjectOverviewPage />} />
            <Route path="/projects/:projectId/overview" element={<ProjectOverviewPage />} />
            <Route path="/projects/:projectId/experiments" element={<ExperimentsPage />} />
            <Route path="/experiments" element={<ExperimentsPage />} />
            <Route path="/experiments/:taskId" element={<TaskPage />} />
            <Route path="/experiments/:taskId/:tab" element={<TaskPage />} />
            <Route path="/compare" element={<ComparePage />} />
            <Route path="/models" element={<ModelsPage />} />
            <Route path="/models/:modelId" element={<ModelPage />} />
            <Route path="/datasets" element={<DatasetsPage />} />
            <Route path="/datasets/:datasetId" element={<DatasetPage />} />
            <Route path="/datasets/:datasetId/:tab" element={<DatasetPage />} />
            <Route path="/pipelines" element={<PipelinesPage />} />
            <Route
              path="/pipelines/:runId"
              element={
                <Suspense fallback={<Loading what="the pipeline run" />}>
                  <PipelineRunPage />
                </Suspense>
              }
            />
            <Route path="/workers" element={<WorkersPage />} />
            <Route path="/queues" element={<QueuesPage />} />
            <Route path="/settings/keys" element={<Navigate to="/profile/keys" replace />} />
            <Route path="/profile" element={<Navigate to="/profile/account" replace />} />
            <Route path="/profile/:tab" element={<ProfilePage />} />
            <Route path="/admin" element={<Navigate to="/admin/users" replace />} />
            <Route path="/admin/:tab" element={<AdminPage />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </div>
      </div>
    </div>
  );
}

function NotFound() {
  return (
    <section className="page empty">
      <strong>No such page</strong>
      <NavLink to="/projects">Go to the projects</NavLink>
    </section>
  );
}

function LiveUpdates({ client, children }: { client: QueryClient; children: React.ReactNode }) {
  const live = useMemo(() => new LiveChanges(client), [client]);
  useEffect(() => {
    live.start();
    return () => live.stop();
  }, [live]);
  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}

export function App() {
  const [client] = useState(makeQueryClient);
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>
        <BrowserRouter>
          <SessionGate>
            <LiveUpdates client={client}>
              <Shell />
            </LiveUpdates>
          </SessionGate>
        </BrowserRouter>
      </ToastProvider>
    </QueryClientProvider>
  );
}
