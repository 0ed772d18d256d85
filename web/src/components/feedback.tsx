// What a page shows while it loads, when it has nothing, and when the hub says no.
import { useRef, type ReactNode } from "react";
import { ApiError } from "../api/client";
import { useRevealError } from "./revealError";

/**
 * The hub's refusal (or any error) as a message; each new error scrolls into view (and
 * focuses the form's first invalid field, if any: ``revealError``) unless ``reveal`` is false.
 */
export function ErrorBox({ error, title, reveal = true }: { error: unknown; title?: string; reveal?: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  useRevealError(error, ref, reveal);
  if (!error) return null;
  const e = error as Error;
  const status = error instanceof ApiError && error.status ? ` (HTTP ${error.status})` : "";
  const fields = error instanceof ApiError ? error.errors : [];
  return (
    <div className="error-box" role="alert" ref={ref}>
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

/** A form's own check, refused before sending (same look and reveal as ``ErrorBox``). */
export function FormProblem({ problem, children }: { problem: unknown; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useRevealError(problem, ref);
  if (!problem) return null;
  return (
    <div className="error-box" role="alert" ref={ref}>
      {children}
    </div>
  );
}
