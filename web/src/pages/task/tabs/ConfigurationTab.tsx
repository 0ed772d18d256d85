// Configuration: hyperparameter sections (name / value / type / description) and
// configuration objects. Both can be edited in a draft.
import { useState } from "react";
import type { TaskOut } from "../../../api/types";
import { Empty } from "../../../components/feedback";
import { formatValue } from "../../../lib/format";
import { isEditable } from "../taskStatus";
import { ConfigObjects } from "./ConfigObjects";
import { ParamsEditor } from "./ParamsEditor";

export function ConfigurationTab({ task }: { task: TaskOut }) {
  const [editing, setEditing] = useState(false);
  const editable = isEditable(task);
  const sections = Object.entries(task.hyperparams ?? {});
  return (
    <div>
      <section className="card" aria-label="Hyperparameters">
        <div className="card-head">
          <h2>Hyperparameters</h2>
          {editable && !editing && <button onClick={() => setEditing(true)}>Edit parameters</button>}
        </div>
        {editing && editable ? (
          <ParamsEditor task={task} onDone={() => setEditing(false)} />
        ) : sections.length ? (
          sections.map(([section, params]) => (
            <div key={section}>
              <h3>{section}</h3>
              <table className="grid params" aria-label={`Parameters ${section}`}>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Value</th>
                    <th>Type</th>
                    <th>Description</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(params).map(([name, p]) => (
                    <tr key={name} data-testid={`param-${section}/${name}`}>
                      <td>{name}</td>
                      <td className="value">{formatValue(p.value)}</td>
                      <td className="muted">{p.type || "—"}</td>
                      <td className="muted">{p.description}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))
        ) : (
          <Empty title="No hyperparameters">
            {editable ? "Add parameters with Edit parameters." : "The run reported no parameters."}
          </Empty>
        )}
      </section>
      <ConfigObjects task={task} editable={editable} />
    </div>
  );
}
