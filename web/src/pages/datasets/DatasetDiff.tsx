// The difference between this version and another (by default: its parents): counts and
// bytes from ``/diff/summary``, the paths from ``/diff`` 100 a page, filtered by kind.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorBox, Loading } from "../../components/feedback";
import { formatBytes } from "../../lib/format";
import { ChangeBadge, Pagination } from "./DatasetBits";
import { datasetQueries, FILES_PER_PAGE } from "./datasetQueries";
import { currentCursor, firstPage, nextPage, pageIndex, type Pager, plural, previousPage, shortSha } from "./datasetFormat";
import type { DatasetVersion, DiffSummary } from "../../api/types";

interface DiffState {
  against: string;
  change: string;
  pager: Pager;
}

export function DatasetDiff({ version, versions }: { version: DatasetVersion; versions: DatasetVersion[] }) {
  const [state, setState] = useState<DiffState>({ against: "", change: "", pager: firstPage() });
  const cursor = currentCursor(state.pager);
  const summary = useQuery(datasetQueries.diffSummary(version.id, state.against));
  const diff = useQuery(datasetQueries.diff(version.id, { against: state.against, change: state.change, cursor }));
  const others = versions.filter((v) => v.id !== version.id);
  const page = diff.data;

  return (
    <section className="card" aria-label="Diff">
      <div className="row">
        <label className="inline">
          Compare with
          <select
            aria-label="Compare with"
            value={state.against}
            onChange={(e) => setState({ against: e.target.value, change: state.change, pager: firstPage() })}
          >
            <option value="">{parentsLabel(version, versions)}</option>
            {others.map((v) => (
              <option key={v.id} value={v.id}>
                {v.version} ({v.state})
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          Show
          <select aria-label="Change kind" value={state.change} onChange={(e) => setState({ ...state, change: e.target.value, pager: firstPage() })}>
            <option value="">every change</option>
            <option value="added">added</option>
            <option value="removed">removed</option>
            <option value="modified">modified</option>
          </select>
        </label>
      </div>
      <ErrorBox error={summary.error} title="Could not compare the versions" />
      {summary.data && <SummaryLine summary={summary.data} />}
      <ErrorBox error={diff.error} title="Could not load the differences" reveal={false} />
      {diff.isPending ? (
        <Loading what="the differences" />
      ) : page && page.items.length === 0 ? (
        <p className="muted" data-testid="no-diff">
          No difference{state.change ? ` of this kind` : ""}.
        </p>
      ) : (
        page && (
          <table className="grid" aria-label="Differences">
            <thead>
              <tr>
                <th>Path</th>
                <th>Change</th>
                <th>Size</th>
                <th>SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((d) => (
                <tr key={d.path} data-testid="diff-row" data-change={d.change}>
                  <td className="dataset-path">{d.path}</td>
                  <td>
                    <ChangeBadge change={d.change} />
                  </td>
                  <td>
                    {d.change === "modified" ? `${formatBytes(d.old_size)} → ${formatBytes(d.size)}` : formatBytes(d.size ?? d.old_size)}
                  </td>
                  <td>
                    <code className="hash" title={d.sha256 ?? d.old_sha256 ?? ""}>
                      {d.change === "modified" ? `${shortSha(d.old_sha256, 8)} → ${shortSha(d.sha256, 8)}` : shortSha(d.sha256 ?? d.old_sha256, 12)}
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      {page && (
        <Pagination
          label="Diff pages"
          index={pageIndex(state.pager)}
          perPage={FILES_PER_PAGE}
          shown={page.items.length}
          total={summary.data ? diffTotal(summary.data, state.change) : undefined}
          hasNext={!!page.next_cursor}
          busy={diff.isFetching}
          onPrevious={() => setState({ ...state, pager: previousPage(state.pager) })}
          onNext={() => setState({ ...state, pager: nextPage(state.pager, page.next_cursor) })}
        />
      )}
    </section>
  );
}

function SummaryLine({ summary }: { summary: DiffSummary }) {
  return (
    <div className="dataset-diff-summary" data-testid="diff-summary">
      <span className="dataset-change-added" data-testid="diff-added">
        +{plural(summary.added, "added file")} ({formatBytes(summary.added_bytes)})
      </span>
      <span className="dataset-change-removed" data-testid="diff-removed">
        −{plural(summary.removed, "removed file")} ({formatBytes(summary.removed_bytes)})
      </span>
      <span className="dataset-change-modified" data-testid="diff-modified">
        ~{plural(summary.modified, "modified file")} ({formatBytes(summary.modified_bytes)})
      </span>
    </div>
  );
}

/** The default choice: the parents by version, when they are versions of this dataset. */
function parentsLabel(version: DatasetVersion, versions: DatasetVersion[]): string {
  if (!version.parents.length) return "nothing (no parents)";
  const names = version.parents.map((id) => versions.find((v) => v.id === id)?.version ?? "another dataset");
  return `its parents (${names.join(", ")})`;
}

/** How many paths the list has under the kind filter (the summary counts them). */
function diffTotal(summary: DiffSummary, change: string): number {
  if (change === "added" || change === "removed" || change === "modified") return summary[change];
  return summary.added + summary.removed + summary.modified;
}
