// The experiments table of a project (its subprojects included) or of every project:
// filters (value filters too) and sort in the URL, columns of the user's choosing (order,
// widths) kept per project, pages loaded as the table scrolls, actions on the selected
// rows and on one row (context menu), a side panel for the highlighted row, keyboard
// shortcuts, and the export of the whole view to CSV.
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import { ApiError, downloadUrl } from "../../api/client";
import { queries } from "../../api/queries";
import type { Project } from "../../api/types";
import { ErrorBox, Loading } from "../../components/feedback";
import { MembersDialog } from "../../components/MembersDialog";
import { canManageProject } from "../../lib/security";
import { useSession } from "../../session";
import { useShortcuts, type Shortcut } from "../../lib/shortcuts";
import { useStateFor } from "../../lib/useStateFor";
import { BulkActions } from "./BulkActions";
import type { Names } from "./cells";
import { ColumnPicker } from "./ColumnPicker";
import {
  defaultColumns,
  loadColumns,
  loadWidths,
  moveColumn,
  needsHyperparams,
  resolveColumns,
  saveColumns,
  saveWidths,
  type Widths,
} from "./columns";
import { ExperimentsTable } from "./ExperimentsTable";
import { Filters } from "./Filters";
import { InfoPanel } from "./InfoPanel";
import { NoExperiments } from "./NoExperiments";
import { RowActions, type MenuAt } from "./RowMenu";
import { canCompare, clickRow, EMPTY_SELECTION, keepLoaded, toggleAll, type Selection } from "./selection";
import { useTaskPages } from "./useTaskPages";
import { DEFAULT_SORT, exportParams, isFiltered, NO_FILTERS, parseQuery, toSearch, type TableQuery } from "./urlState";
import { filterKey as valueFilterKey, parseFilter } from "./valueFilters";
import { ValueFilterChips, ValueFilterEditor, type FilterEdit } from "./ValueFilters";
import "./experiments.css";

const storage = () => (typeof window === "undefined" ? undefined : window.localStorage);

/** The project's columns (which, in which order) and their widths, kept in the browser. */
function useColumns(projectId: string | undefined) {
  const [ids, setIds] = useStateFor(projectId, () => loadColumns(storage(), projectId));
  const [widths, setWidths] = useStateFor<Widths>(projectId, () => loadWidths(storage(), projectId));
  const choose = useCallback(
    (next: string[]) => {
      setIds(next);
      saveColumns(storage(), projectId, next);
    },
    [projectId, setIds],
  );
  const resize = useCallback(
    (id: string, width: number) =>
      setWidths((w) => {
        const next = { ...w, [id]: width };
        saveWidths(storage(), projectId, next);
        return next;
      }),
    [projectId, setWidths],
  );
  const reset = useCallback(() => {
    choose(defaultColumns(!projectId));
    setWidths({});
    saveWidths(storage(), projectId, {});
  }, [choose, projectId, setWidths]);
  return { ids, widths, choose, resize, reset };
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

  const layout = useColumns(projectId);
  const { ids: columnIds, choose: setColumnIds } = layout;
  const columns = useMemo(() => resolveColumns(columnIds), [columnIds]);
  const [picking, setPicking] = useState(false);
  const [editing, setEditing] = useState<FilterEdit | null>(null);
  const [menu, setMenu] = useState<MenuAt | null>(null);
  const navigate = useNavigate();
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

  // the highlighted row (click, j/k) and whether its side panel is open
  const [active, setActive] = useStateFor<{ id: string | null; panel: boolean }>(projectId, () => ({ id: null, panel: false }));
  const activeIndex = active.id ? order.indexOf(active.id) : -1;
  const activeTask = activeIndex >= 0 ? rows[activeIndex] : null;
  const open = useCallback((id: string) => navigate(`/experiments/${id}`), [navigate]);
  const step = (by: 1 | -1) => {
    if (!rows.length) return;
    const next = activeIndex < 0 ? (by > 0 ? 0 : rows.length - 1) : Math.min(rows.length - 1, Math.max(0, activeIndex + by));
    setActive((a) => ({ ...a, id: rows[next].id }));
  };
  const compareSelection = () => {
    if (canCompare(selected.length)) navigate(`/compare?ids=${selected.map((t) => t.id).join(",")}`);
  };
  const shortcuts: Shortcut[] = [
    { key: "j", description: "Next row", run: () => step(1) },
    { key: "k", description: "Previous row", run: () => step(-1) },
    { key: "ArrowDown", description: "Next row", run: () => step(1) },
    { key: "ArrowUp", description: "Previous row", run: () => step(-1) },
    { key: "x", description: "Select or unselect the highlighted row", run: () => activeTask && setSelection((s) => clickRow(s, order, activeTask.id, false)) },
    { key: "c", description: "Compare the selected experiments", run: compareSelection },
    {
      key: "/",
      description: "Search the experiments",
      run: () => document.querySelector<HTMLInputElement>(".experiments-page [data-shortcut=search]")?.focus(),
    },
  ];
  if (activeTask) {
    shortcuts.push({
      key: "Enter",
      description: "Open the highlighted experiment",
      run: (e) => {
        // Enter on a button or a link is theirs
        const target = e.target as HTMLElement | null;
        if (target?.closest?.("button, a, [role=menuitem]")) (target.closest("button, a, [role=menuitem]") as HTMLElement).click();
        else open(activeTask.id);
      },
    });
  }
  if (active.panel) shortcuts.push({ key: "Escape", description: "Close the details panel", run: () => setActive((a) => ({ ...a, panel: false })) });
  useShortcuts("Experiments table", shortcuts);

  // the columns a value filter is on (their header's filter button shows it)
  const filteredColumns = useMemo(
    () => new Set(query.filters.map((f) => parseFilter(f)?.key).filter((k): k is string => !!k)),
    [query.filters],
  );

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
        <a
          className="button"
          href={downloadUrl("/tasks/export", exportParams(query, projectId, columns.map((c) => c.id)))}
          download="experiments.csv"
          title="Every experiment of this view (all pages), with the columns shown, as CSV"
        >
          Export CSV
        </a>
        <button onClick={() => setPicking(true)}>Columns…</button>
      </div>
      <Filters query={query} users={users.data ?? []} onChange={update} onAddValueFilter={() => setEditing({ index: null })} />
      <ValueFilterChips filters={query.filters} error={pages.error} onEdit={setEditing} onChange={(filters) => update({ filters })} />
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
          onClear={() => update(NO_FILTERS)}
        />
      )}
      {rows.length > 0 && (
        <div className="xp-main">
          <ExperimentsTable
            columns={columns}
            widths={layout.widths}
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
            activeId={activeTask?.id ?? null}
            onActivate={(id) => setActive({ id, panel: true })}
            onOpen={open}
            onContextMenu={(task, x, y) => {
              setActive((a) => ({ ...a, id: task.id }));
              setMenu({ task, x, y });
            }}
            onResize={layout.resize}
            onMove={(moved, before) => setColumnIds(moveColumn(resolveColumns(columnIds).map((c) => c.id), moved, before))}
            onFilterColumn={(id) => setEditing({ index: null, key: valueFilterKey(id) })}
            filtered={filteredColumns}
          />
          {active.panel && activeTask && (
            <InfoPanel brief={activeTask} names={names} onClose={() => setActive((a) => ({ ...a, panel: false }))} />
          )}
        </div>
      )}
      <RowActions
        menu={menu}
        onCloseMenu={() => setMenu(null)}
        selectedIds={selected.map((t) => t.id)}
        projectName={(id) => names.projects.get(id) ?? ""}
      />
      {editing && (
        <ValueFilterEditor
          edit={editing}
          filters={query.filters}
          projectId={projectId}
          columns={columns}
          onClose={() => setEditing(null)}
          onChange={(filters) => update({ filters })}
        />
      )}
      {sharing && p && <MembersDialog project={p} onClose={() => setSharing(false)} />}
      {picking && (
        <ColumnPicker
          projectId={projectId}
          chosen={columnIds}
          onChange={setColumnIds}
          onReset={layout.reset}
          onClose={() => setPicking(false)}
        />
      )}
    </section>
  );
}
