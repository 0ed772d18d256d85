// The models table: every registered model, filtered (text, framework, tags, project,
// published, archived) and sorted by the hub, one page at a time ("Load more", or on
// scroll). Filters live in the URL.
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useRef } from "react";
import { Link } from "react-router-dom";
import { get } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { ModelBrief, ModelPage, TaskPage } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { formatAgo, formatTime } from "../../lib/format";
import { filtersToSearch, KNOWN_FRAMEWORKS, listQuery, type ModelFilters } from "./modelFilters";
import { ModelsEmpty } from "./ModelsEmpty";
import { SortHeader } from "./SortHeader";
import { useModelFilters } from "./useModelFilters";
import "./models.css";

interface ModelsPageData {
  page: ModelPage;
  /** task id -> name, for the task column */
  taskNames: Record<string, string>;
}

async function fetchPage(filters: ModelFilters, cursor: string | null, signal: AbortSignal): Promise<ModelsPageData> {
  const page = await get<ModelPage>("/models", listQuery(filters, cursor), signal);
  const ids = [...new Set(page.items.map((m) => m.task_id).filter((id): id is string => !!id))];
  let taskNames: Record<string, string> = {};
  if (ids.length) {
    try {
      const tasks = await get<TaskPage>("/tasks", { id: ids, limit: ids.length }, signal);
      taskNames = Object.fromEntries(tasks.items.map((t) => [t.id, t.name]));
    } catch {
      // the names only decorate the links; the table shows without them
    }
  }
  return { page, taskNames };
}

export function ModelsPage() {
  const { filters, text, setText, update, clear } = useModelFilters();

  const projects = useQuery(queries.projects());
  const projectName = useMemo(() => new Map((projects.data ?? []).map((p) => [p.id, p.name])), [projects.data]);
  const models = useInfiniteQuery({
    queryKey: queryKeys.models.list(filters),
    queryFn: ({ pageParam, signal }) => fetchPage(filters, pageParam, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.page.next_cursor,
  });
  const rows = useMemo(() => models.data?.pages.flatMap((p) => p.page.items) ?? [], [models.data]);
  const taskNames = useMemo(
    () => Object.assign({}, ...(models.data?.pages.map((p) => p.taskNames) ?? [])) as Record<string, string>,
    [models.data],
  );
  const total = models.data?.pages[0]?.page.total ?? null;
  const frameworks = useMemo(() => [...new Set([...KNOWN_FRAMEWORKS, ...rows.map((m) => m.framework).filter(Boolean)])], [rows]);

  // load the next page when the end of the table scrolls into view
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = models;
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const filtered = Object.keys(filtersToSearch({ ...filters, sort: "-created_at" })).length > 0;
  const sortProps = { sort: filters.sort, onSort: (sort: string) => update({ sort }) };

  return (
    <section className="page models-page">
      <div className="row">
        <h1>Models</h1>
        <span className="spacer" />
        {total !== null && (
          <span className="muted" data-testid="models-total">
            {total} model{total === 1 ? "" : "s"}
          </span>
        )}
      </div>
      <div className="row models-filters">
        <input type="search" aria-label="Search models" data-shortcut="search" placeholder="Search name or description" value={text} onChange={(e) => setText(e.target.value)} />
        <input aria-label="Framework" placeholder="Framework" list="model-frameworks" value={filters.framework} onChange={(e) => update({ framework: e.target.value })} />
        <datalist id="model-frameworks">
          {frameworks.map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <input aria-label="Tags" placeholder="Tags (a, -b)" value={filters.tags} onChange={(e) => update({ tags: e.target.value })} />
        <select aria-label="Project" value={filters.projectId} onChange={(e) => update({ projectId: e.target.value })}>
          <option value="">All projects</option>
          {(projects.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <label className="inline">
          <input type="checkbox" checked={filters.publishedOnly} onChange={(e) => update({ publishedOnly: e.target.checked })} /> Published only
        </label>
        <label className="inline">
          <input type="checkbox" checked={filters.archived} onChange={(e) => update({ archived: e.target.checked })} /> Archived only
        </label>
        {filtered && (
          <button
            onClick={clear}
          >
            Clear filters
          </button>
        )}
      </div>
      <ErrorBox error={models.error} title="Could not load the models" />
      {models.isPending ? (
        <Loading what="models" />
      ) : rows.length === 0 && !models.error ? (
        filtered ? (
          <Empty title="No model matches the filters">Change or clear the filters to see more.</Empty>
        ) : (
          <ModelsEmpty />
        )
      ) : (
        <table className="grid" aria-label="Models">
          <thead>
            <tr>
              <SortHeader field="name" label="Name" {...sortProps} />
              <SortHeader field="framework" label="Framework" {...sortProps} />
              <th>Tags</th>
              <SortHeader field="published" label="State" {...sortProps} />
              <th>Project</th>
              <th>Task</th>
              <SortHeader field="created_at" label="Created" {...sortProps} />
              <SortHeader field="last_update" label="Updated" {...sortProps} />
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id} data-testid="model-row" data-model-id={m.id}>
                <td>
                  <Link to={`/models/${m.id}`}>{m.name}</Link>
                </td>
                <td>{m.framework || <span className="muted">—</span>}</td>
                <td>
                  {m.tags.map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                </td>
                <td>
                  <ModelState model={m} />
                </td>
                <td>
                  {m.project_id ? (
                    <Link to={`/projects/${m.project_id}/experiments`}>{projectName.get(m.project_id) ?? "project"}</Link>
                  ) : (
                    "—"
                  )}
                </td>
                <td>{m.task_id ? <Link to={`/experiments/${m.task_id}`}>{taskNames[m.task_id] ?? m.task_id.slice(0, 8)}</Link> : "—"}</td>
                <td title={formatTime(m.created_at)}>{formatTime(m.created_at)}</td>
                <td title={formatTime(m.last_update)}>{formatAgo(m.last_update)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div ref={sentinel} />
      {hasNextPage && (
        <div className="row models-more">
          <button onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
            {isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
          <span className="muted">
            {rows.length}
            {total !== null ? ` of ${total}` : ""} shown
          </span>
        </div>
      )}
    </section>
  );
}

export function ModelState({ model }: { model: Pick<ModelBrief, "published" | "archived"> }) {
  return (
    <>
      {model.published ? (
        <span className="status status-published" data-testid="published">
          published
        </span>
      ) : (
        <span className="status" data-testid="draft">
          draft
        </span>
      )}
      {model.archived && <span className="status model-archived">archived</span>}
    </>
  );
}
