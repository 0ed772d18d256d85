// Edit a draft's code and container. Save sends only the fields changed: the hub
// merges ``script`` and ``container`` field by field.
import { useState } from "react";
import { ApiError, patch } from "../../../api/client";
import type { Container, Script, TaskOut } from "../../../api/types";
import { ErrorBox } from "../../../components/feedback";
import { useToast } from "../../../components/toast";
import { useTaskUpdated } from "../useTaskQueries";
import { useSubmit } from "../../../components/useSubmit";

const SCRIPT_FIELDS = [
  ["repository", "Repository"],
  ["branch", "Branch"],
  ["commit", "Commit"],
  ["working_dir", "Working dir"],
  ["entry_point", "Entry point"],
  ["python", "Python"],
] as const;
const SCRIPT_TEXTS = [
  ["diff", "Uncommitted changes (diff)"],
  ["code", "Script code (when there is no repository)"],
] as const;

type Form = Record<string, string>;

function initial(script: Partial<Script>, container: Partial<Container>): Form {
  const form: Form = {};
  for (const [k] of [...SCRIPT_FIELDS, ...SCRIPT_TEXTS]) form[k] = script[k] ?? "";
  for (const [k, v] of Object.entries(script.requirements ?? {})) form[`req:${k}`] = v;
  form["req:pip"] ??= "";
  form.image = container.image ?? "";
  form.arguments = container.arguments ?? "";
  form.setup_script = container.setup_script ?? "";
  return form;
}

export function ExecutionEditor({ task, onDone }: { task: TaskOut; onDone: () => void }) {
  const script = task.script;
  const container = task.container;
  const [start] = useState(() => initial(script, container));
  const [form, setForm] = useState(start);
  const { busy, error, run } = useSubmit();
  const updated = useTaskUpdated();
  const toast = useToast();
  const set = (k: string) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  // the fields the hub refused (the last part of each error's location), marked for revealError
  const refused = new Set(error instanceof ApiError ? error.errors.map((f) => String(f.loc[f.loc.length - 1])) : []);
  const bad = (k: string) => refused.has(k) || undefined;

  const save = async () => {
    const scriptPatch: Record<string, unknown> = {};
    for (const [k] of [...SCRIPT_FIELDS, ...SCRIPT_TEXTS]) if (form[k] !== start[k]) scriptPatch[k] = form[k];
    const reqKeys = Object.keys(form).filter((k) => k.startsWith("req:"));
    if (reqKeys.some((k) => form[k] !== start[k])) {
      scriptPatch.requirements = Object.fromEntries(reqKeys.filter((k) => form[k].trim()).map((k) => [k.slice(4), form[k]]));
    }
    const containerPatch: Record<string, unknown> = {};
    for (const k of ["image", "arguments", "setup_script"]) if (form[k] !== start[k]) containerPatch[k] = form[k];
    const body: Record<string, unknown> = {};
    if (Object.keys(scriptPatch).length) body.script = scriptPatch;
    if (Object.keys(containerPatch).length) body.container = containerPatch;
    if (!Object.keys(body).length) return onDone();
    await run(async () => {
      updated(await patch<TaskOut>(`/tasks/${task.id}`, body));
      toast("Execution saved");
      onDone();
    });
  };

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="tab-bar">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
      </div>
      <ErrorBox error={error} title="Could not save the execution" />
      <section className="card">
        <h2>Source code</h2>
        <div className="edit-grid">
          {SCRIPT_FIELDS.map(([k, label]) => (
            <label key={k}>
              {label}
              <input aria-label={label} aria-invalid={bad(k)} value={form[k]} onChange={set(k)} />
            </label>
          ))}
        </div>
        {SCRIPT_TEXTS.map(([k, label]) => (
          <label key={k}>
            {label}
            <textarea aria-label={label} aria-invalid={bad(k)} value={form[k]} onChange={set(k)} spellCheck={false} />
          </label>
        ))}
      </section>
      <section className="card">
        <h2>Requirements</h2>
        {Object.keys(form)
          .filter((k) => k.startsWith("req:"))
          .map((k) => (
            <label key={k}>
              {k.slice(4)} requirements
              <textarea aria-label={`${k.slice(4)} requirements`} aria-invalid={bad(k.slice(4))} value={form[k]} onChange={set(k)} spellCheck={false} />
            </label>
          ))}
      </section>
      <section className="card">
        <h2>Container</h2>
        <div className="edit-grid">
          <label>
            Image
            <input aria-label="Image" aria-invalid={bad("image")} value={form.image} onChange={set("image")} />
          </label>
          <label>
            Arguments
            <input aria-label="Arguments" aria-invalid={bad("arguments")} value={form.arguments} onChange={set("arguments")} />
          </label>
        </div>
        <label>
          Setup script
          <textarea aria-label="Setup script" aria-invalid={bad("setup_script")} value={form.setup_script} onChange={set("setup_script")} spellCheck={false} />
        </label>
      </section>
    </form>
  );
}
