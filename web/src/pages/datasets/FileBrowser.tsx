// A version's files, 100 a page, in path order: next/previous follow the hub's cursors,
// the search box narrows by a substring of the path, a click on a folder part of a path
// lists that folder (``prefix``), the breadcrumb goes back up.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { downloadUrl } from "../../api/client";
import { ErrorBox, Loading } from "../../components/feedback";
import { formatBytes } from "../../lib/format";
import { ChangeBadge, Pagination } from "./DatasetBits";
import { datasetQueries, FILES_PER_PAGE } from "./datasetQueries";
import { baseName, currentCursor, firstPage, folderParts, nextPage, pageIndex, type Pager, prefixParts, previousPage } from "./datasetFormat";
import type { DatasetFile, DatasetVersion } from "../../api/types";

interface BrowserState {
  prefix: string;
  search: string;
  pager: Pager;
  /** the count the first page brought (later pages do not count again) */
  total?: number | null;
}

export function FileBrowser({ version }: { version: DatasetVersion }) {
  const [state, setState] = useState<BrowserState>({ prefix: "", search: "", pager: firstPage() });
  const cursor = currentCursor(state.pager);
  const files = useQuery(datasetQueries.files(version.id, { prefix: state.prefix, search: state.search, cursor }));
  const page = files.data;
  const total = page?.total ?? state.total;
  const goTo = (prefix: string) => setState({ ...state, prefix, pager: firstPage(), total: undefined });

  return (
    <section className="card" aria-label="Files">
      <div className="row">
        <nav className="dataset-crumbs" aria-label="Folder">
          <button className="link-button" onClick={() => goTo("")} aria-current={state.prefix === "" ? "location" : undefined}>
            /
          </button>
          {prefixParts(state.prefix).map((part) => (
            <span key={part.prefix}>
              <button className="link-button" onClick={() => goTo(part.prefix)} aria-current={part.prefix === state.prefix ? "location" : undefined}>
                {part.label}
              </button>
              /
            </span>
          ))}
        </nav>
        <span className="spacer" />
        <input
          type="search"
          aria-label="Search files"
          placeholder="Search paths"
          value={state.search}
          onChange={(e) => setState({ ...state, search: e.target.value, pager: firstPage(), total: undefined })}
        />
      </div>
      <ErrorBox error={files.error} title="Could not load the files" />
      {files.isPending ? (
        <Loading what="files" />
      ) : page && page.items.length === 0 ? (
        <p className="muted" data-testid="no-files">
          {state.search || state.prefix ? "No file matches." : "This version has no files."}
        </p>
      ) : (
        page && (
          <table className="grid dataset-files" aria-label="Dataset files">
            <thead>
              <tr>
                <th>Path</th>
                <th>Size</th>
                <th>SHA-256</th>
                <th>Change</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((f) => (
                <tr key={f.path} data-testid="file-row">
                  <td className="dataset-path">
                    {folderParts(f.path).map((part) => (
                      <span key={part.prefix}>
                        <button className="link-button" title={`List ${part.prefix}`} onClick={() => goTo(part.prefix)}>
                          {part.label}
                        </button>
                        /
                      </span>
                    ))}
                    <span className="dataset-file-name">{baseName(f.path)}</span>
                    <Where file={f} final={version.state === "final"} versionId={version.id} />
                  </td>
                  <td title={`${f.size} bytes`}>{formatBytes(f.size)}</td>
                  <td>
                    <code className="hash" title={f.sha256}>
                      {f.sha256.slice(0, 12)}
                    </code>
                  </td>
                  <td>
                    <ChangeBadge change={f.change} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
      {page && (
        <Pagination
          label="Files pages"
          index={pageIndex(state.pager)}
          perPage={FILES_PER_PAGE}
          shown={page.items.length}
          total={total}
          hasNext={!!page.next_cursor}
          busy={files.isFetching}
          onPrevious={() => setState({ ...state, pager: previousPage(state.pager) })}
          onNext={() => setState({ ...state, pager: nextPage(state.pager, page.next_cursor), total })}
        />
      )}
    </section>
  );
}

/** An external link, a file stored whole (downloadable), or one not uploaded yet. */
function Where({ file, final, versionId }: { file: DatasetFile; final: boolean; versionId: string }) {
  if (file.external_url) {
    return (
      <span className="muted small dataset-where" title={file.external_url}>
        {" "}
        (link)
      </span>
    );
  }
  if (file.blob_id && file.blob_kind === "file" && file.compression !== "deflate" && file.blob_uri.startsWith("hub://")) {
    return (
      <a className="dataset-where small" href={downloadUrl(`/datasets/${versionId}/blobs/${file.blob_id}`)} download={baseName(file.path)}>
        Download
      </a>
    );
  }
  if (!final && !file.blob_id) return <span className="status dataset-state-uploading dataset-where">pending</span>;
  return null;
}
