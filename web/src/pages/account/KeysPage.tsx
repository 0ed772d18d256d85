// The user's API keys: create one (its secret is shown once, with the config snippet
// for the SDK, CLI and agent), copy, revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { del, get, post } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { ApiKey, ApiKeyCreated } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { useToast } from "../../components/toast";
import { formatTime } from "../../lib/format";
import { useSession } from "../../session";

export function configSnippet(hubUrl: string, key: { access_key: string; secret_key: string }): string {
  return `# ~/.corral/config.toml  (or run: corral login)
[hub]
url = "${hubUrl}"
access_key = "${key.access_key}"
secret_key = "${key.secret_key}"`;
}

export function KeysPage() {
  const { user } = useSession();
  const client = useQueryClient();
  const toast = useToast();
  const [label, setLabel] = useState("");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const keys = useQuery({ queryKey: queryKeys.keys.list(), queryFn: ({ signal }) => get<ApiKey[]>("/keys", undefined, signal) });

  const create = useMutation({
    mutationFn: () => post<ApiKeyCreated>("/keys", { label }),
    onSuccess: (key) => {
      setCreated(key);
      setLabel("");
      void client.invalidateQueries({ queryKey: queryKeys.keys.all });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => del<ApiKey>(`/keys/${id}`),
    onSuccess: () => {
      toast("Key revoked");
      void client.invalidateQueries({ queryKey: queryKeys.keys.all });
    },
    onError: (e) => toast((e as Error).message, "error"),
  });

  const snippet = created ? configSnippet(window.location.origin, created) : "";
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(snippet);
      toast("Copied to the clipboard");
    } catch {
      toast("The browser refused the clipboard: select the text and copy it", "error");
    }
  };

  return (
    <section className="page">
      <h1>API keys of {user.name}</h1>
      <p className="muted">
        Scripts, the CLI and agents authenticate with a key. The secret is shown once, when the key is made; the hub
        keeps only its hash.
      </p>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <input placeholder="Label (e.g. laptop, gpu-agent)" value={label} maxLength={255} onChange={(e) => setLabel(e.target.value)} />
        <button className="primary" type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      <ErrorBox error={create.error} title="Could not create the key" />
      {created && (
        <div className="card" data-testid="new-key">
          <strong>New key {created.access_key}</strong>
          <p>Copy it now: the secret is not shown again.</p>
          <pre className="code">{snippet}</pre>
          <button onClick={copy}>Copy config snippet</button>{" "}
          <button onClick={() => setCreated(null)}>Done</button>
        </div>
      )}
      {keys.isLoading && <Loading what="keys" />}
      <ErrorBox error={keys.error} />
      {keys.data && keys.data.length === 0 && <Empty title="No API keys yet">Create one to connect a script or an agent.</Empty>}
      {keys.data && keys.data.length > 0 && (
        <table className="grid">
          <thead>
            <tr>
              <th>Access key</th>
              <th>Label</th>
              <th>Created</th>
              <th>Last used</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.id}>
                <td><code>{k.access_key}</code></td>
                <td>{k.label}</td>
                <td>{formatTime(k.created_at)}</td>
                <td>{formatTime(k.last_used_at)}</td>
                <td>{k.revoked_at ? `revoked ${formatTime(k.revoked_at)}` : "active"}</td>
                <td>
                  {!k.revoked_at && (
                    <button
                      className="danger"
                      onClick={() => window.confirm(`Revoke ${k.access_key}? Programs using it stop working.`) && revoke.mutate(k.id)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
