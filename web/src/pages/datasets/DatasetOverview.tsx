// A version's numbers (files, size, added/modified/removed against its parents, pending
// uploads) and its metadata preview (the task's ``metadata`` artifact).
import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorBox, Loading } from "../../components/feedback";
import { formatBytes } from "../../lib/format";
import { datasetQueries } from "./datasetQueries";
import type { DatasetVersion } from "../../api/types";

export function DatasetOverview({ version }: { version: DatasetVersion }) {
  return (
    <div className="dataset-columns">
      <Stats version={version} />
      <Metadata version={version} />
    </div>
  );
}

function Stat({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </>
  );
}

function Stats({ version }: { version: DatasetVersion }) {
  const s = version.stats;
  const count = (n: number) => n.toLocaleString("en-US");
  return (
    <section className="card" aria-label="Stats">
      <h2>Stats</h2>
      <dl className="dataset-kv">
        <Stat label="Files" testId="stat-files">
          {count(s.file_count)}
        </Stat>
        <Stat label="Size" testId="stat-size">
          {formatBytes(s.total_size)}
        </Stat>
        <Stat label="Added" testId="stat-added">
          <span className="dataset-change-added">{count(s.added)}</span> ({formatBytes(s.added_bytes)})
        </Stat>
        <Stat label="Modified" testId="stat-modified">
          <span className="dataset-change-modified">{count(s.modified)}</span> ({formatBytes(s.modified_bytes)})
        </Stat>
        <Stat label="Removed" testId="stat-removed">
          <span className="dataset-change-removed">{count(s.removed)}</span> ({formatBytes(s.removed_bytes)})
        </Stat>
        {version.state !== "final" && (
          <Stat label="Not uploaded" testId="stat-pending">
            {count(s.pending_count)} ({formatBytes(s.pending_bytes)})
          </Stat>
        )}
        {s.external_count > 0 && (
          <Stat label="Links" testId="stat-external">
            {count(s.external_count)} external files
          </Stat>
        )}
      </dl>
      <p className="muted small">Added, modified and removed are counted against the parents.</p>
    </section>
  );
}

function Metadata({ version }: { version: DatasetVersion }) {
  const artifacts = useQuery(datasetQueries.artifacts(version.id));
  const metadata = artifacts.data?.find((a) => a.name === "metadata");
  return (
    <section className="card" aria-label="Metadata">
      <h2>Metadata</h2>
      <ErrorBox error={artifacts.error} title="Could not load the metadata" />
      {artifacts.isPending ? (
        <Loading what="metadata" />
      ) : metadata ? (
        <>
          {metadata.preview ? (
            <pre className="code dataset-metadata" data-testid="metadata-preview">
              {metadata.preview}
            </pre>
          ) : (
            <p className="muted">The metadata has no preview.</p>
          )}
          <p className="muted small">
            {metadata.type}
            {metadata.size !== null ? `, ${formatBytes(metadata.size)}` : ""}
          </p>
        </>
      ) : (
        <p className="muted">
          No metadata. A script attaches a table with <code>dataset.set_metadata(df)</code>.
        </p>
      )}
    </section>
  );
}
