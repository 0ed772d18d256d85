// One dataset version, the way ClearML users know it: the dataset's version graph on
// top, its versions on the left, and the chosen version on the right: header (name,
// version, state, tags, description, owner, times), then tabs: Overview (stats and
// metadata), Files, Diff, Lineage. The tab is in the URL (``/datasets/ID/TAB``).
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { Link, NavLink, useNavigate, useParams } from "react-router-dom";
import { ApiError } from "../../api/client";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { formatTime } from "../../lib/format";
import { useShortcuts } from "../../lib/shortcuts";
import { DatasetDiff } from "./DatasetDiff";
import { DatasetLineage } from "./DatasetLineage";
import { DatasetOverview } from "./DatasetOverview";
import { StateBadge } from "./DatasetBits";
import { datasetQueries } from "./datasetQueries";
import { FileBrowser } from "./FileBrowser";
import type { DatasetGraph, DatasetVersion } from "../../api/types";
import { VersionGraph } from "./VersionGraph";
import "./datasets.css";

const TABS = [
  { id: "overview", label: "Overview" },
  { id: "files", label: "Files" },
  { id: "diff", label: "Diff" },
  { id: "lineage", label: "Lineage" },
] as const;

export function DatasetPage() {
  const { datasetId = "", tab = "overview" } = useParams();
  const version = useQuery(datasetQueries.version(datasetId));
  if (version.isPending) return <Loading what="the dataset" />;
  if (version.error instanceof ApiError && version.error.status === 404) {
    return (
      <section className="page">
        <Empty title="No such dataset version">
          It may have been deleted. <Link to="/datasets">Go to the datasets</Link>
        </Empty>
      </section>
    );
  }
  if (version.error) {
    return (
      <section className="page">
        <ErrorBox error={version.error} title="Could not load the dataset" />
      </section>
    );
  }
  return <VersionView version={version.data} tab={tab} />;
}

function VersionView({ version: v, tab }: { version: DatasetVersion; tab: string }) {
  const graph = useQuery(datasetQueries.graph(v.id));
  const versions = useQuery(datasetQueries.versions(v.project_id, v.name));
  const list = versions.data?.items ?? [];
  const navigate = useNavigate();
  useShortcuts(
    "Dataset version",
    TABS.map((t, i) => ({ key: String(i + 1), description: `Open the ${t.label} tab`, run: () => navigate(`/datasets/${v.id}/${t.id}`) })),
  );
  return (
    <section className="page dataset-page">
      <nav className="muted small" aria-label="Breadcrumb">
        <Link to="/datasets">Datasets</Link> / <Link to={`/datasets?project=${v.project_id}`}>{v.project}</Link> / {v.name}
      </nav>
      <Header version={v} />
      <section className="card" aria-label="Graph">
        <h2>Version graph</h2>
        <ErrorBox error={graph.error} title="Could not load the version graph" />
        {graph.data ? <VersionGraph graph={graph.data} currentId={v.id} name={v.name} /> : !graph.error && <Loading what="the graph" />}
      </section>
      <div className="dataset-layout">
        <VersionList versions={list} currentId={v.id} tab={tab} error={versions.error} />
        <div>
          <nav className="tabs" aria-label="Version details">
            {TABS.map((t) => (
              <NavLink key={t.id} to={`/datasets/${v.id}/${t.id}`} className={tab === t.id ? "active" : undefined} aria-current={tab === t.id ? "page" : undefined}>
                {t.label}
              </NavLink>
            ))}
          </nav>
          {/* keyed: a page of files or a diff choice does not follow the page to another version */}
          <TabBody key={v.id} tab={tab} version={v} versions={list} graph={graph.data} />
        </div>
      </div>
    </section>
  );
}

function TabBody({ tab, version, versions, graph }: { tab: string; version: DatasetVersion; versions: DatasetVersion[]; graph: DatasetGraph | undefined }) {
  if (tab === "files") return <FileBrowser version={version} />;
  if (tab === "diff") return <DatasetDiff version={version} versions={versions} />;
  if (tab === "lineage") return <DatasetLineage version={version} graph={graph} />;
  return <DatasetOverview version={version} />;
}

function Header({ version: v }: { version: DatasetVersion }) {
  return (
    <header className="card dataset-header">
      <div className="row">
        <h1>{v.name}</h1>
        <span className="dataset-version mono" data-testid="dataset-version">
          {v.version}
        </span>
        <StateBadge state={v.state} />
        <span className="spacer" />
        <Link className="button" to={`/experiments/${v.id}`} title="The version's task: console, log, artifacts">
          Task page (console, log)
        </Link>
      </div>
      {v.tags.length > 0 && (
        <div data-testid="dataset-tags">
          {v.tags.map((t) => (
            <span key={t} className="tag">
              {t}
            </span>
          ))}
        </div>
      )}
      {v.description && (
        <p className="dataset-description" data-testid="dataset-description">
          {v.description}
        </p>
      )}
      <dl className="dataset-facts">
        <Fact label="Owner">{v.user || "—"}</Fact>
        <Fact label="Created">{formatTime(v.created_at)}</Fact>
        <Fact label="Finalized">{v.finalized_at ? formatTime(v.finalized_at) : <span className="muted">not yet</span>}</Fact>
        {v.output_uri && <Fact label="Stored in">{v.output_uri}</Fact>}
        <Fact label="Id">
          <span className="mono">{v.id}</span>
        </Fact>
      </dl>
    </header>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function VersionList({ versions, currentId, tab, error }: { versions: DatasetVersion[]; currentId: string; tab: string; error: unknown }) {
  return (
    <aside className="card dataset-versions" aria-label="Versions of the dataset">
      <h2>Versions</h2>
      <ErrorBox error={error} title="Could not load the versions" />
      <ul>
        {versions.map((other) => (
          <li key={other.id}>
            <NavLink
              to={`/datasets/${other.id}/${tab}`}
              className={other.id === currentId ? "active" : undefined}
              aria-current={other.id === currentId ? "page" : undefined}
              data-testid="version-link"
            >
              <span className="mono">{other.version}</span>
              <StateBadge state={other.state} />
              <span className="muted small dataset-version-date">{formatTime(other.created_at)}</span>
            </NavLink>
          </li>
        ))}
      </ul>
    </aside>
  );
}
