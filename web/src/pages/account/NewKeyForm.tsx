// Making an API key: a label and, under "Scope", read-only, projects, expiry and allowed
// addresses (a key never gets more than its owner has). The secret is shown once.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { post } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { ApiKeyCreated } from "../../api/types";
import { ErrorBox } from "../../components/feedback";
import { useToast } from "../../components/toast";
import { localToIso, parseAddressList } from "../../lib/security";

export function configSnippet(hubUrl: string, key: { access_key: string; secret_key: string }): string {
  return `# ~/.corral/config.toml  (or run: corral login)
[hub]
url = "${hubUrl}"
access_key = "${key.access_key}"
secret_key = "${key.secret_key}"`;
}

/** The new key's secret, once, with the config snippet and a copy button. */
export function NewKeyCard({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const toast = useToast();
  const snippet = configSnippet(window.location.origin, created);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet);
      toast("Copied to the clipboard");
    } catch {
      toast("The browser refused the clipboard: select the text and copy it", "error");
    }
  };
  return (
    <div className="card" data-testid="new-key">
      <strong>New key {created.access_key}</strong>
      <p>Copy it now: the secret is not shown again.</p>
      <pre className="code">{snippet}</pre>
      <button onClick={copy}>Copy config snippet</button> <button onClick={onDone}>Done</button>
    </div>
  );
}

/** The form; ``userId`` makes the key for another user (admins, for service accounts). */
export function NewKeyForm({ userId, onCreated }: { userId?: string; onCreated: (key: ApiKeyCreated) => void }) {
  const client = useQueryClient();
  const [label, setLabel] = useState("");
  const [readOnly, setReadOnly] = useState(false);
  const [projects, setProjects] = useState("");
  const [expires, setExpires] = useState("");
  const [ips, setIps] = useState("");
  const projectList = useQuery(queries.projects());
  const create = useMutation({
    mutationFn: () => {
      // only what is set: a key without a scope is the plain ``{label}`` of every hub
      const projectIds = projects.split(",").map((p) => p.trim()).filter(Boolean);
      const addresses = parseAddressList(ips);
      const expiresAt = localToIso(expires);
      return post<ApiKeyCreated>("/keys", {
        label,
        ...(userId ? { user_id: userId } : {}),
        ...(readOnly ? { read_only: true } : {}),
        ...(projectIds.length ? { projects: projectIds } : {}),
        ...(expiresAt ? { expires_at: expiresAt } : {}),
        ...(addresses.length ? { allowed_ips: addresses } : {}),
      });
    },
    onSuccess: (key) => {
      setLabel("");
      setReadOnly(false);
      setProjects("");
      setExpires("");
      setIps("");
      void client.invalidateQueries({ queryKey: queryKeys.keys.all });
      onCreated(key);
    },
  });
  return (
    <form
      className="key-form"
      aria-label="New API key"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <div className="row">
        <input placeholder="Label (e.g. laptop, gpu-agent)" aria-label="Key label" value={label} maxLength={255} onChange={(e) => setLabel(e.target.value)} />
        <button className="primary" type="submit" disabled={create.isPending}>
          Create key
        </button>
      </div>
      <details className="key-scope">
        <summary>Scope: read-only, projects, expiry, addresses</summary>
        <div className="grid-form">
          <label className="inline">
            <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} /> Read-only
          </label>
          <label>
            Projects (comma separated; empty: all)
            <input aria-label="Key projects" list="key-projects" value={projects} onChange={(e) => setProjects(e.target.value)} placeholder="all" />
            <datalist id="key-projects">
              {(projectList.data ?? []).map((p) => (
                <option key={p.id} value={p.name} />
              ))}
            </datalist>
          </label>
          <label>
            Expires
            <input aria-label="Key expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </label>
          <label>
            Allowed addresses
            <input aria-label="Key allowed addresses" placeholder="anywhere (e.g. 10.0.0.0/8)" value={ips} onChange={(e) => setIps(e.target.value)} />
          </label>
        </div>
        <p className="muted small">A project limit covers its subprojects. A key never has more rights than its owner.</p>
      </details>
      <ErrorBox error={create.error} title="Could not create the key" />
    </form>
  );
}
