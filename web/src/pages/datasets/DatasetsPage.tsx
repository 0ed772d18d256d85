// The datasets: one row per dataset (project, name) with its latest version, the number
// of versions and the last update; filtered by project and by name, one page at a time.
// The project and the search live in the URL.
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { get } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { formatAgo, formatTime } from "../../lib/format";
import { DatasetsEmpty } from "./DatasetsEmpty";
import type { DatasetNamePage } from "../../api/types";
import "./datasets.css";

export function DatasetsPage() {
  const [params, setParams] = useSearchParams();
  const projectId = params.get("project") ?? "";
  const search = params.get("q") ?? "";
  const setParam = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  const projects = useQuery(queries.projects());
  const names = useInfiniteQuery({
    queryKey: queryKeys.datasets.names(projectId, search),
    queryFn: ({ pageParam, signal }) =>
      get<DatasetNamePage>("/datasets/names", { project_id: projectId, partial_name: search, cursor: pageParam, limit: 50 }, signal),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    // the rows stay while a new search loads
    placeholderData: keepPreviousData,
  });
  const rows = useMemo(() => names.data?.pages.flatMap((p) => p.items) ?? [], [names.data]);
  const filtered = !!projectId || !!search;

  return (
    <section className="page datasets-page">
      <div className="row">
        <h1>Datasets</h1>
        <span className="spacer" />
        {names.data && (
          <span className="muted" data-testid="datasets-count">
            {rows.length}
            {names.hasNextPage ? "+" : ""} dataset{rows.length === 1 ? "" : "s"}
          </span>
        )}
      </div>
      <div className="row">
        <input
          type="search"
          aria-label="Search datasets"
          data-shortcut="search"
          placeholder="Search by name"
          value={search}
          onChange={(e) => setParam("q", e.target.value)}
        />
        <select aria-label="Project" value={projectId} onChange={(e) => setParam("project", e.target.value)}>
          <option value="">All projects</option>
          {(projects.data ?? []).map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        {filtered && <button onClick={() => setParams(new URLSearchParams(), { replace: true })}>Clear filters</button>}
      </div>
      <ErrorBox error={names.error} title="Could not load the datasets" />
      {names.isPending ? (
        <Loading what="datasets" />
      ) : rows.length === 0 && !names.error ? (
        filtered ? <Empty title="No dataset matches the filters">Change or clear the filters to see more.</Empty> : <DatasetsEmpty />
      ) : (
        <table className="grid" aria-label="Datasets">
          <thead>
            <tr>
              <th>Name</th>
              <th>Project</th>
              <th>Latest version</th>
              <th>Versions</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={`${d.project_id}/${d.name}`} data-testid="dataset-row">
                <td>
                  <Link to={`/datasets/${d.latest_id}`}>{d.name}</Link>
                </td>
                <td>
                  <Link to={`/datasets?project=${d.project_id}`}>
                    {d.project}
                  </Link>
                </td>
                <td className="mono">{d.latest_version}</td>
                <td>{d.versions}</td>
                <td title={formatTime(d.last_update)}>{formatAgo(d.last_update)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {names.hasNextPage && (
        <div className="row datasets-more">
          <button onClick={() => void names.fetchNextPage()} disabled={names.isFetchingNextPage}>
            {names.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </section>
  );
}
