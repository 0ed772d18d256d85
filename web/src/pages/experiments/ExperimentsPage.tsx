// The experiments table of a project (its subprojects included) or of every project:
// filters and sort in the URL, columns of the user's choosing kept per project, pages
// loaded as the table scrolls, and actions on the selected rows.
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { ApiError } from "../../api/client";
import { queries } from "../../api/queries";
import type { Project } from "../../api/types";
import { ErrorBox, Loading } from "../../components/feedback";
import { MembersDialog } from "../../components/MembersDialog";
import { canManageProject } from "../../lib/security";
import { useSession } from "../../session";
import { useStateFor } from "../../lib/useStateFor";
import { BulkActions } from "./BulkActions";
import type { Names } from "./cells";
import { ColumnPicker } from "./ColumnPicker";
import { defaultColumns, loadColumns, needsHyperparams, resolveColumns, saveColumns } from "./columns";
import { ExperimentsTable } from "./ExperimentsTable";
import { Filters } from "./Filters";
import { NoExperiments } from "./NoExperiments";
import { clickRow, EMPTY_SELECTION, keepLoaded, toggleAll, type Selection } from "./selection";
import { useTaskPages } from "./useTaskPages";
import { DEFAULT_SORT, isFiltered, parseQuery, toSearch, type TableQuery } from "./urlState";
import "./experiments.css";

const storage = () => (typeof window === "undefined" ? undefined : window.localStorage);

function useColumns(projectId: string | undefined) {
  const [ids, setIds] = useStateFor(projectId, () => loadColumns(storage(), projectId));
  const choose = useCallback(
    (next: string[]) => {
      setIds(next);
      saveColumns(storage(), projectId, next);
    },
    [projectId, setIds],
  );
  return [ids, choose] as const;
}

function Breadcrumbs({ project, projects }: { project: Project; projects: Project[] }) {
  const byName = new Map(projects.map((p) => [p.name, p]));
  const parts = project.name.split("/");
  return (
    <nav className="xp-crumbs muted" aria-label="Breadcrumbs">
      <Link to="/projects">Projects</Link>
      {parts.slice(0, -1).map((part, i) => {
        const ancestor = byName.get(parts.slice(0, i + 1).join("/"));
        return (
          <span key={i}>
            {" / "}
            {ancestor ? <Link to={`/projects/${ancestor.id}/experiments`}>{part}</Link> : part}
          </span>
        );
      })}
    </nav>
  );
}

export function ExperimentsPage() {
  const { projectId } = useParams();
  const [search, setSearch] = useSearchParams();
  const query = useMemo(() => parseQuery(search), [search]);
  const update = useCallback(
    (patch: Partial<TableQuery>) => setSearch(toSearch({ ...query, ...patch }), { replace: "text" in patch }),
    [query, setSearch],
  );

  const [columnIds, setColumnIds] = useColumns(projectId);
  const columns = useMemo(() => resolveColumns(columnIds), [columnIds]);
  const [picking, setPicking] = useState(false);
  const [sharing, setSharing] = useState(false);
  const { user } = useSession();

  const project = useQuery({ ...queries.project(projectId ?? ""), enabled: !!projectId });
  const projects = useQuery(queries.projects());
  const users = useQuery(queries.users());
  const queues = useQuery(queries.queues());
  const names: Names = useMemo(
    () => ({
      users: new Map((users.data ?? []).map((u) => [u.id, u.name])),
      queues: new Map((queues.data ?? []).map((q) => [q.id, q.name])),
      projects: new Map((projects.data ?? []).map((p) => [p.id, p.name])),
    }),
    [users.data, queues.data, projects.data],
  );

  const pages = useTaskPages(query, projectId, needsHyperparams(columns));
  const { rows, total } = pages;
  const order = useMemo(() => rows.map((r) => r.id), [rows]);

  // other filters: nothing selected (a new sort keeps it); a refresh: what is gone leaves
  const filterKey = toSearch({ ...query, sort: DEFAULT_SORT }).toString();
  const [selection, setSelection] = useStateFor<Selection>(`${projectId ?? ""}?${filterKey}`, () => EMPTY_SELECTION);
  const [selectionOrder, setSelectionOrder] = useState(order);
  if (selectionOrder !== order) {
    setSelectionOrder(order);
    setSelection((s) => keepLoaded(s, order));
  }
  const selected = useMemo(() => rows.filter((r) => selection.ids.has(r.id)), [rows, selection]);

  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);

  if (projectId && project.error) {
    const missing = project.error instanceof ApiError && project.error.status === 404;
    return (
      <section className="page">
        <ErrorBox error={project.error} title={missing ? "No such project" : "Could not load the project"} />
        <Link to="/projects">Go to the projects</Link>
      </section>
    );
  }
  const p = project.data;
  const filtered = isFiltered(query);
  return (
    <section className="page experiments-page">
      {p && <Breadcrumbs project={p} projects={projects.data ?? []} />}
      <div className="row">
        <h1>{projectId ? (p ? p.name.split("/").pop() : "…") : "All experiments"}</h1>
        {p?.visibility === "private" && <span className="tag private-tag">private</span>}
        {p?.description && <span className="muted xp-description">{p.description}</span>}
        <span className="spacer" />
        <span className="muted" data-testid="experiments-total">
          {total === null ? "" : `${total.toLocaleString()} experiment${total === 1 ? "" : "s"}`}
        </span>
        {p && <Link className="button" to={`/projects/${p.id}`}>Overview</Link>}
        {p && canManageProject(user, p) && <button onClick={() => setSharing(true)}>Members</button>}
        <button onClick={() => setPicking(true)}>Columns…</button>
      </div>
      <Filters query={query} users={users.data ?? []} onChange={update} />
      <BulkActions
        selected={selected}
        archiveView={query.archived}
        onDone={(clear) => clear && setSelection(EMPTY_SELECTION)}
      />
      {pages.error && (
        <div>
          <ErrorBox error={pages.error} title="Could not load the experiments" />
          <button onClick={() => void pages.refetch()}>Retry</button>
          {query.sort !== DEFAULT_SORT && <button onClick={() => update({ sort: DEFAULT_SORT })}>Sort by creation</button>}
        </div>
      )}
      {pages.isPending && <Loading what="experiments" />}
      {pages.data && rows.length === 0 && !pages.isPlaceholderData && (
        <NoExperiments
          projectName={projectId ? p?.name : undefined}
          filtered={filtered}
          archive={query.archived}
          onClear={() => update({ status: [], type: [], tags: [], users: [], text: "", archived: false })}
        />
      )}
      {rows.length > 0 && (
        <ExperimentsTable
          columns={columns}
          rows={rows}
          total={total}
          names={names}
          sort={query.sort}
          onSort={(sort) => update({ sort })}
          selection={selection}
          onSelectRow={(id, shift) => setSelection((s) => clickRow(s, order, id, shift))}
          onSelectAll={() => setSelection((s) => toggleAll(s, order))}
          hasMore={!!hasNextPage}
          loadingMore={isFetchingNextPage}
          loadMore={loadMore}
          stale={pages.isPlaceholderData}
        />
      )}
      {sharing && p && <MembersDialog project={p} onClose={() => setSharing(false)} />}
      {picking && (
        <ColumnPicker
          projectId={projectId}
          chosen={columnIds}
          onChange={setColumnIds}
          onReset={() => setColumnIds(defaultColumns(!projectId))}
          onClose={() => setPicking(false)}
        />
      )}
    </section>
  );
}
