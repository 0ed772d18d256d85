// "Run again": the run's parameters as typed fields and a queue (``services`` by
// default, where an agent in services mode runs controllers). Submit clones the
// controller (same name and project: a run of the same pipeline), sets the changed
// parameters, enqueues the copy and opens its page. A refusal shows in the dialog; a
// copy already made is reused by the next try rather than cloned again.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import { patch, post } from "../../api/client";
import { queries } from "../../api/queries";
import { ErrorBox, FormProblem } from "../../components/feedback";
import { DialogFooter, Modal } from "../../components/Modal";
import { useSubmit } from "../../components/useSubmit";
import type { TaskOut } from "../../api/types";
import { runParameters } from "./pipelineModel";
import { argsEdit, initialTexts } from "./runAgain";

export const DEFAULT_QUEUE = "services";

export function RunAgainDialog({ run, onClose, onDone }: { run: TaskOut; onClose: () => void; onDone: (newRunId: string) => void }) {
  const params = runParameters(run);
  const [texts, setTexts] = useState(() => initialTexts(params));
  const [queue, setQueue] = useState(DEFAULT_QUEUE);
  const [checked, setChecked] = useState(false);
  const [draft, setDraft] = useState<string | null>(null);
  const queues = useQuery(queries.queues());
  const { busy, error, run: submit } = useSubmit();
  const edit = argsEdit(params, texts);
  const invalid = Object.keys(edit.errors);

  const go = () => {
    setChecked(true);
    if (invalid.length) return;
    void submit(async () => {
      let id = draft;
      if (!id) {
        const copy = await post<TaskOut>(`/tasks/${run.id}:clone`, { name: run.name, project_id: run.project_id });
        id = copy.id;
        setDraft(id);
      }
      if (Object.keys(edit.changed).length) await patch(`/tasks/${id}/hyperparams`, { hyperparams: { Args: edit.changed } });
      await post(`/tasks/${id}:enqueue`, { queue });
      onDone(id);
    });
  };

  const names = Object.keys(params);
  return (
    <Modal
      title={`Run ${run.name} again`}
      className="run-again-dialog"
      onClose={onClose}
      footer={<DialogFooter action={busy ? "Starting…" : "Run"} disabled={busy || !queue} onClose={onClose} onAction={go} />}
    >
      {names.length === 0 ? (
        <p className="muted">This pipeline has no parameters.</p>
      ) : (
        names.map((name) => {
          const p = params[name];
          const problem = checked ? edit.errors[name] : undefined;
          return (
            <label key={name}>
              <span>
                <span className="mono">{name}</span>
                {p.type && <span className="muted small"> ({p.type})</span>}
                {p.description && <span className="muted small"> — {p.description}</span>}
              </span>
              <input
                aria-label={`Parameter ${name}`}
                aria-invalid={problem ? true : undefined}
                value={texts[name] ?? ""}
                onChange={(e) => setTexts({ ...texts, [name]: e.target.value })}
              />
              {problem && <span className="field-error">{problem}</span>}
            </label>
          );
        })
      )}
      <label>
        Queue
        <select aria-label="Queue" value={queue} onChange={(e) => setQueue(e.target.value)}>
          {!queues.data?.some((q) => q.name === DEFAULT_QUEUE) && <option value={DEFAULT_QUEUE}>{DEFAULT_QUEUE}</option>}
          {queues.data?.map((q) => (
            <option key={q.id} value={q.name}>
              {q.name} — {q.workers.length} worker{q.workers.length === 1 ? "" : "s"}
            </option>
          ))}
        </select>
      </label>
      <ErrorBox error={queues.error} title="Could not load the queues" reveal={false} />
      <FormProblem problem={checked && invalid.length ? invalid.join() : null}>
        {invalid.length === 1 ? `The value of ${invalid[0]} does not fit its type.` : `The values of ${invalid.join(", ")} do not fit their types.`}
      </FormProblem>
      {draft && !!error && (
        <p className="small">
          The copy <Link to={`/pipelines/${draft}`}>{draft.slice(0, 8)}</Link> was made; <strong>Run</strong> tries again with it.
        </p>
      )}
      <ErrorBox error={error} title="Could not start the run" />
    </Modal>
  );
}
