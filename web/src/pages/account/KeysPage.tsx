// The user's own API keys (the profile's "API keys" tab): create one with its scope (its
// secret is shown once, with the config snippet for the SDK, CLI and agent), see when and
// from where each was last used, revoke.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { get } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { ApiKey, ApiKeyCreated } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { KeysTable } from "./KeysTable";
import { NewKeyCard, NewKeyForm } from "./NewKeyForm";

export function KeysPanel() {
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const keys = useQuery({ queryKey: queryKeys.keys.list(), queryFn: ({ signal }) => get<ApiKey[]>("/keys", undefined, signal) });
  return (
    <>
      <p className="muted">
        Scripts, the CLI and agents authenticate with a key. The secret is shown once, when the key is made; the hub
        keeps only its hash.
      </p>
      <NewKeyForm onCreated={setCreated} />
      {created && <NewKeyCard created={created} onDone={() => setCreated(null)} />}
      {keys.isLoading && <Loading what="keys" />}
      <ErrorBox error={keys.error} />
      {keys.data && keys.data.length === 0 && <Empty title="No API keys yet">Create one to connect a script or an agent.</Empty>}
      {keys.data && keys.data.length > 0 && <KeysTable keys={keys.data} />}
    </>
  );
}
