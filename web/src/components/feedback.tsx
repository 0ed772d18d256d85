// What a page shows while it loads, when it has nothing, and when the hub says no.
import type { ReactNode } from "react";
import { ApiError } from "../api/client";

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error as Error;
  const status = error instanceof ApiError && error.status ? ` (HTTP ${error.status})` : "";
  const fields = error instanceof ApiError ? error.errors : [];
  return (
    <div className="error-box" role="alert">
      <strong>{title ?? (error instanceof ApiError ? error.title : "Something went wrong")}{status}</strong>
      <div>{e.message}</div>
      {fields.length > 0 && (
        <ul>
          {fields.map((f, i) => (
            <li key={i}>
              {f.loc.join(".")}: {f.msg}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return <div className="loading">Loading{what ? ` ${what}` : ""}…</div>;
}
