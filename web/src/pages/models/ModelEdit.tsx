// What may be changed on a model page: publish, archive, tags, description. Each change
// puts the hub's answer in the cache (the change stream refreshes the other views).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { patch, post } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { ModelOut } from "../../api/types";
import { ErrorBox } from "../../components/feedback";
import { DialogFooter, Modal } from "../../components/Modal";
import { useToast } from "../../components/toast";
import { splitTags } from "./modelFilters";

/** ``quiet``: the caller shows the hub's refusal itself (in its dialog), not as a toast. */
function useModelChange<V>(model: ModelOut, send: (v: V) => Promise<ModelOut>, done?: string, quiet = false) {
  const client = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: send,
    onSuccess: (updated) => {
      client.setQueryData(queries.model(model.id).queryKey, updated);
      void client.invalidateQueries({ queryKey: queryKeys.models.all });
      if (done) toast(done);
    },
    onError: (e) => {
      if (!quiet) toast((e as Error).message, "error");
    },
  });
}

export function ModelActions({ model }: { model: ModelOut }) {
  const [confirm, setConfirm] = useState(false);
  const publish = useModelChange(model, () => post<ModelOut>(`/models/${model.id}:publish`), "Model published", true);
  const archive = useModelChange(
    model,
    (archived: boolean) => post<ModelOut>(`/models/${model.id}:${archived ? "archive" : "unarchive"}`),
  );
  return (
    <div className="row model-actions">
      {!model.published && (
        <button className="primary" disabled={model.archived || publish.isPending} title={model.archived ? "Unarchive it first" : undefined} onClick={() => setConfirm(true)}>
          Publish
        </button>
      )}
      <button disabled={archive.isPending} onClick={() => archive.mutate(!model.archived)}>
        {model.archived ? "Unarchive" : "Archive"}
      </button>
      {confirm && (
        <Modal
          title="Publish model"
          onClose={() => setConfirm(false)}
          footer={
            <DialogFooter
              action="Publish"
              disabled={publish.isPending}
              onClose={() => setConfirm(false)}
              onAction={() => publish.mutate(undefined, { onSuccess: () => setConfirm(false) })}
            />
          }
        >
          <p>
            Publish <strong>{model.name}</strong>? A published model is what serving loads: afterwards only its tags and
            description can change.
          </p>
          <ErrorBox error={publish.error} title="Could not publish" />
        </Modal>
      )}
    </div>
  );
}

export function ModelTags({ model }: { model: ModelOut }) {
  const [adding, setAdding] = useState("");
  const save = useModelChange(model, (tags: string[]) => patch<ModelOut>(`/models/${model.id}`, { tags }));
  const add = () => {
    const tags = [...new Set([...model.tags, ...splitTags(adding)])];
    if (tags.length !== model.tags.length) save.mutate(tags, { onSuccess: () => setAdding("") });
  };
  return (
    <section className="card" aria-label="Tags">
      <h2>Tags</h2>
      <div className="model-tags" data-testid="model-tags">
        {model.tags.length === 0 && <span className="muted">No tags. </span>}
        {model.tags.map((t) => (
          <span key={t} className="tag">
            {t}
            <button className="tag-remove" aria-label={`Remove tag ${t}`} disabled={save.isPending} onClick={() => save.mutate(model.tags.filter((x) => x !== t))}>
              ×
            </button>
          </span>
        ))}
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <input aria-label="New tags" placeholder="Add tags (comma separated)" value={adding} onChange={(e) => setAdding(e.target.value)} />
        <button type="submit" disabled={!splitTags(adding).length || save.isPending}>
          Add
        </button>
      </form>
    </section>
  );
}

export function ModelComment({ model }: { model: ModelOut }) {
  // the draft starts from the hub's text and follows it until the user edits
  const [draft, setDraft] = useState<string | null>(null);
  const save = useModelChange(model, (comment: string) => patch<ModelOut>(`/models/${model.id}`, { comment }), "Description saved");
  const text = draft ?? model.comment;
  return (
    <section className="card" aria-label="Description">
      <h2>Description</h2>
      <textarea aria-label="Description" className="model-comment" value={text} placeholder="What this model is, how it was trained…" onChange={(e) => setDraft(e.target.value)} />
      <div className="row">
        <button
          className="primary"
          disabled={draft === null || draft === model.comment || save.isPending}
          onClick={() => save.mutate(text, { onSuccess: () => setDraft(null) })}
        >
          Save
        </button>
        {draft !== null && draft !== model.comment && (
          <button onClick={() => setDraft(null)}>Discard</button>
        )}
      </div>
    </section>
  );
}
