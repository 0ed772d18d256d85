// Configuration objects (name -> {type, value text}): shown as code, edited in a draft
// (PATCH /tasks/{id}/configuration; a removed object is sent as null).
import { useState } from "react";
import { patch } from "../../../api/client";
import type { ConfigItem, TaskOut } from "../../../api/types";
import { Empty, ErrorBox } from "../../../components/feedback";
import { useToast } from "../../../components/toast";
import { CodeBlock } from "../CodeBlock";
import { useTaskUpdated } from "../useTaskQueries";
import { useSubmit } from "../../../components/useSubmit";

type Item = ConfigItem;
type Items = Record<string, Item>;

const itemsOf = (task: TaskOut): Items => ({ ...task.configuration });

export function ConfigObjects({ task, editable }: { task: TaskOut; editable: boolean }) {
  const [editing, setEditing] = useState(false);
  const items = itemsOf(task);
  const names = Object.keys(items);
  return (
    <section className="card" aria-label="Configuration objects">
      <div className="card-head">
        <h2>Configuration objects</h2>
        {editable && !editing && <button onClick={() => setEditing(true)}>Edit configuration</button>}
      </div>
      {editing && editable ? (
        <ConfigEditor task={task} start={items} onDone={() => setEditing(false)} />
      ) : names.length ? (
        names.map((name) => (
          <div key={name} className="config-object" data-testid={`config-${name}`}>
            <h3>
              {name} <span className="tag">{items[name].type}</span>
            </h3>
            {items[name].description && <div className="muted">{items[name].description}</div>}
            {items[name].value ? <CodeBlock text={items[name].value} label={`Configuration ${name}`} /> : <div className="muted">(empty)</div>}
          </div>
        ))
      ) : (
        <Empty title="No configuration objects">
          {editable ? "Add one with Edit configuration." : "The run connected no configuration file or dictionary."}
        </Empty>
      )}
    </section>
  );
}

function ConfigEditor({ task, start, onDone }: { task: TaskOut; start: Items; onDone: () => void }) {
  const [items, setItems] = useState<Items>(start);
  const [newName, setNewName] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const { busy, error, run } = useSubmit();
  const updated = useTaskUpdated();
  const toast = useToast();
  const set = (name: string, edit: Partial<Item>) => setItems({ ...items, [name]: { ...items[name], ...edit } });

  const save = async () => {
    const body: Record<string, Item | null> = {};
    for (const name of Object.keys(start)) if (!(name in items)) body[name] = null;
    for (const [name, item] of Object.entries(items)) {
      if (JSON.stringify(item) !== JSON.stringify(start[name])) body[name] = item;
    }
    if (!Object.keys(body).length) return onDone();
    await run(async () => {
      updated(await patch<TaskOut>(`/tasks/${task.id}/configuration`, { configuration: body }));
      toast("Configuration saved");
      onDone();
    });
  };

  return (
    <div>
      <ErrorBox error={error} title="Could not save the configuration" />
      {Object.entries(items).map(([name, item]) => (
        <div key={name} className="config-object">
          <div className="row">
            <strong>{name}</strong>
            <input aria-label={`Type of ${name}`} value={item.type} onChange={(e) => set(name, { type: e.target.value })} />
            <span className="spacer" />
            <button
              type="button"
              onClick={() => {
                const rest = { ...items };
                delete rest[name];
                setItems(rest);
              }}
            >
              Remove {name}
            </button>
          </div>
          <textarea aria-label={`Configuration ${name}`} value={item.value} spellCheck={false} onChange={(e) => set(name, { value: e.target.value })} />
        </div>
      ))}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          const name = newName.trim();
          if (!name) return setProblem("Give the object a name.");
          if (name in items) return setProblem(`${name} already exists.`);
          setProblem(null);
          setItems({ ...items, [name]: { type: "text", value: "", description: "" } });
          setNewName("");
        }}
      >
        <input aria-label="New configuration object name" placeholder="e.g. model.yaml" value={newName} onChange={(e) => setNewName(e.target.value)} />
        <button type="submit">Add object</button>
        {problem && <span className="field-error">{problem}</span>}
      </form>
      <div className="tab-bar">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={busy} onClick={() => void save()}>
          Save configuration
        </button>
      </div>
    </div>
  );
}
