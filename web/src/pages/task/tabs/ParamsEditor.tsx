// Edit a draft's hyperparameters: values keep their type (an int field takes only an
// integer), parameters can be added and removed. Save sends only what changed.
import { useMemo, useState } from "react";
import { patch } from "../../../api/client";
import type { TaskOut } from "../../../api/types";
import { ErrorBox, FormProblem } from "../../../components/feedback";
import { useToast } from "../../../components/toast";
import { addError, buildPatch, newRow, rowErrors, rowKey, rowsFrom, type ParamRow } from "../paramsDraft";
import { KINDS, type ParamKind } from "../typedValue";
import { useTaskUpdated } from "../useTaskQueries";
import { useSubmit } from "../../../components/useSubmit";

export function ParamsEditor({ task, onDone }: { task: TaskOut; onDone: () => void }) {
  const [rows, setRows] = useState<ParamRow[]>(() => rowsFrom(task.hyperparams ?? null));
  const [refused, setRefused] = useState<string[]>([]);
  const { busy, error, run } = useSubmit();
  const updated = useTaskUpdated();
  const toast = useToast();
  const errors = useMemo(() => rowErrors(rows), [rows]);
  const sections = [...new Set(rows.map((r) => r.section))];

  const change = (key: string, edit: Partial<ParamRow>) =>
    setRows((rs) => rs.map((r) => (rowKey(r) === key ? { ...r, ...edit } : r)));

  const save = async () => {
    const built = buildPatch(task.hyperparams ?? null, rows);
    setRefused(built.errors);
    if (built.errors.length) return;
    if (!Object.keys(built.patch).length) return onDone();
    await run(async () => {
      updated(await patch<TaskOut>(`/tasks/${task.id}/hyperparams`, { hyperparams: built.patch }));
      toast("Parameters saved");
      onDone();
    });
  };

  return (
    <div data-testid="params-editor" data-form="">
      <FormProblem problem={refused.length > 0 ? refused : null}>
        <strong>Not saved: some values are not of their parameter's type</strong>
        <ul>
          {refused.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      </FormProblem>
      <ErrorBox error={error} title="Could not save the parameters" />
      <table className="grid params" aria-label="Edit parameters">
        <thead>
          <tr>
            <th>Section</th>
            <th>Name</th>
            <th>Value</th>
            <th>Type</th>
            <th>Description</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const key = rowKey(r);
            const err = errors.get(key);
            return (
              <tr key={key} className={r.removed ? "is-removed" : undefined}>
                <td>{r.section}</td>
                <td>{r.name}</td>
                <td>
                  <ValueInput row={r} onChange={(text) => change(key, { text })} invalid={!!err} />
                  {err && <div className="field-error">{err}</div>}
                </td>
                <td className="muted">{r.type || "any"}</td>
                <td>
                  <input
                    aria-label={`Description of ${key}`}
                    value={r.description}
                    disabled={r.removed}
                    onChange={(e) => change(key, { description: e.target.value })}
                  />
                </td>
                <td>
                  <button type="button" aria-label={`${r.removed ? "Keep" : "Remove"} ${key}`} onClick={() => change(key, { removed: !r.removed })}>
                    {r.removed ? "Keep" : "Remove"}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <AddParam sections={sections} rows={rows} onAdd={(row) => setRows([...rows, row])} />
      <div className="tab-bar">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={busy} onClick={() => void save()}>
          Save parameters
        </button>
      </div>
    </div>
  );
}

function ValueInput({ row, onChange, invalid }: { row: ParamRow; onChange: (text: string) => void; invalid: boolean }) {
  const label = `Value of ${rowKey(row)}`;
  if (row.kind === "bool" && ["true", "false"].includes(row.text)) {
    return (
      <select aria-label={label} value={row.text} disabled={row.removed} onChange={(e) => onChange(e.target.value)}>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  }
  return (
    <input
      className="value-input"
      aria-label={label}
      aria-invalid={invalid}
      value={row.text}
      disabled={row.removed}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

function AddParam({ sections, rows, onAdd }: { sections: string[]; rows: ParamRow[]; onAdd: (row: ParamRow) => void }) {
  const [section, setSection] = useState(sections[0] ?? "Args");
  const [name, setName] = useState("");
  const [kind, setKind] = useState<ParamKind>("str");
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      className="row"
      aria-label="Add a parameter"
      onSubmit={(e) => {
        e.preventDefault();
        const why = addError(rows, section, name);
        setProblem(why);
        if (why) return;
        const row = newRow(section.trim(), name.trim(), kind);
        if (kind === "bool") row.text = "false";
        onAdd(row);
        setName("");
      }}
    >
      <input aria-label="New parameter section" list="param-sections" value={section} onChange={(e) => setSection(e.target.value)} placeholder="Section" />
      <datalist id="param-sections">
        {sections.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <input aria-label="New parameter name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Name" />
      <select aria-label="New parameter type" value={kind} onChange={(e) => setKind(e.target.value as ParamKind)}>
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      <button type="submit">Add parameter</button>
      {problem && <span className="field-error">{problem}</span>}
    </form>
  );
}
