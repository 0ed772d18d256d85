// Artifacts: name, type, mode, size, hash, where it is stored, a download link, and on
// demand its preview and metadata.
import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { get } from "../../../api/client";
import { queryKeys } from "../../../api/queryKeys";
import type { Artifact, TaskOut } from "../../../api/types";
import { Empty, ErrorBox, Loading } from "../../../components/feedback";
import { formatBytes, formatTime } from "../../../lib/format";
import { artifactHref } from "../artifactLinks";

export function ArtifactsTab({ task }: { task: TaskOut }) {
  const artifacts = useQuery({
    queryKey: queryKeys.task.artifacts(task.id),
    queryFn: ({ signal }) => get<Artifact[]>(`/tasks/${task.id}/artifacts`, undefined, signal),
  });
  const [open, setOpen] = useState<Set<string>>(new Set());
  const toggle = (name: string) => {
    const next = new Set(open);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setOpen(next);
  };

  if (artifacts.isPending) return <Loading what="artifacts" />;
  if (!artifacts.data) return <ErrorBox error={artifacts.error} title="Could not load the artifacts" />;
  const items = [...artifacts.data].sort((a, b) => a.mode.localeCompare(b.mode) || a.name.localeCompare(b.name));
  if (!items.length) {
    return (
      <Empty title="No artifacts yet">
        Files, tables and objects the run uploads with <code>task.upload_artifact()</code> appear here.
      </Empty>
    );
  }
  return (
    <div>
      <ErrorBox error={artifacts.error} title="Could not refresh the artifacts" />
      <table className="grid" aria-label="Artifacts">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Mode</th>
            <th>Size</th>
            <th>Hash</th>
            <th>URI</th>
            <th>Stored</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((a) => {
            const href = artifactHref(a.uri);
            const expanded = open.has(a.name);
            const hasDetail = !!a.preview || Object.keys(a.metadata ?? {}).length > 0;
            return (
              <Fragment key={a.id}>
                <tr data-testid={`artifact-${a.name}`}>
                  <td>
                    <strong>{a.name}</strong>
                  </td>
                  <td>{a.type}</td>
                  <td>{a.mode}</td>
                  <td title={a.size === null ? undefined : `${a.size} bytes`}>{formatBytes(a.size)}</td>
                  <td>
                    {a.hash ? (
                      <code className="hash" title={a.hash}>
                        {a.hash}
                      </code>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className="uri">{a.uri || "—"}</td>
                  <td>{formatTime(a.created_at)}</td>
                  <td>
                    <div className="actions-cell">
                      {href && (
                        <a className="button" href={href} download aria-label={`Download ${a.name}`}>
                          Download
                        </a>
                      )}
                      {hasDetail && (
                        <button onClick={() => toggle(a.name)} aria-expanded={expanded} aria-label={`${expanded ? "Hide" : "Show"} details of ${a.name}`}>
                          {expanded ? "Hide" : "Preview"}
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
                {expanded && (
                  <tr className="artifact-detail">
                    <td colSpan={8}>
                      {a.preview && (
                        <>
                          <h3>Preview</h3>
                          <pre className="code" data-testid={`preview-${a.name}`}>
                            {a.preview}
                          </pre>
                        </>
                      )}
                      {Object.keys(a.metadata ?? {}).length > 0 && (
                        <>
                          <h3>Metadata</h3>
                          <pre className="code">{JSON.stringify(a.metadata, null, 2)}</pre>
                        </>
                      )}
                      {a.content_type && <div className="muted">Content type: {a.content_type}</div>}
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
