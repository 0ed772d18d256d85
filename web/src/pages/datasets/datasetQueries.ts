// The Datasets pages' reads of the hub (``/datasets...``), each tied to its query key.
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { Artifact } from "../../api/types";
import type { DatasetFilePage, DatasetGraph, DatasetPage, DatasetVersion, DiffPage, DiffSummary, UsagePage } from "../../api/types";

/** rows per page of the file browser and the diff */
export const FILES_PER_PAGE = 100;
/** most versions of one dataset the version list and the diff picker show (the hub caps it at its page size) */
export const VERSIONS_MAX = 500;

export interface FileQuery {
  prefix: string;
  search: string;
  cursor: string | null;
}

export interface DiffQuery {
  against: string;
  change: string;
  cursor: string | null;
}

export const datasetQueries = {
  version: (id: string) =>
    queryOptions({ queryKey: queryKeys.datasets.one(id), queryFn: ({ signal }) => get<DatasetVersion>(`/datasets/${id}`, undefined, signal) }),
  versions: (projectId: string, name: string) =>
    queryOptions({
      queryKey: queryKeys.datasets.versions(projectId, name),
      queryFn: ({ signal }) =>
        get<DatasetPage>("/datasets", { project_id: projectId, name, sort: "-version", limit: VERSIONS_MAX }, signal),
    }),
  graph: (id: string) =>
    queryOptions({ queryKey: queryKeys.datasets.graph(id), queryFn: ({ signal }) => get<DatasetGraph>(`/datasets/${id}/graph`, undefined, signal) }),
  files: (id: string, q: FileQuery) =>
    queryOptions({
      queryKey: queryKeys.datasets.files(id, q),
      queryFn: ({ signal }) =>
        get<DatasetFilePage>(
          `/datasets/${id}/files`,
          // counting is a query over the whole selection: once, with the first page
          { prefix: q.prefix, search: q.search, cursor: q.cursor, limit: FILES_PER_PAGE, with_total: q.cursor === null },
          signal,
        ),
      placeholderData: keepPreviousData,
    }),
  diff: (id: string, q: DiffQuery) =>
    queryOptions({
      queryKey: queryKeys.datasets.diff(id, q),
      queryFn: ({ signal }) =>
        get<DiffPage>(`/datasets/${id}/diff`, { against: q.against, change: q.change, cursor: q.cursor, limit: FILES_PER_PAGE }, signal),
      placeholderData: keepPreviousData,
    }),
  diffSummary: (id: string, against: string) =>
    queryOptions({
      queryKey: queryKeys.datasets.diffSummary(id, against),
      queryFn: ({ signal }) => get<DiffSummary>(`/datasets/${id}/diff/summary`, { against }, signal),
    }),
  usages: (id: string) =>
    queryOptions({
      queryKey: queryKeys.datasets.usages(id),
      queryFn: ({ signal }) => get<UsagePage>(`/datasets/${id}/usages`, { limit: 100 }, signal),
    }),
  /** the version task's artifacts (``metadata`` is the preview ``set_metadata`` stores) */
  artifacts: (id: string) =>
    queryOptions({
      queryKey: queryKeys.task.artifacts(id),
      queryFn: ({ signal }) => get<Artifact[]>(`/tasks/${id}/artifacts`, undefined, signal),
    }),
};
