// Execution: where the code comes from (repository, commit, uncommitted diff, or the
// script itself), its requirements and its container. A draft can be edited.
import { useState } from "react";
import type { TaskOut } from "../../../api/types";
import { Empty } from "../../../components/feedback";
import { CodeBlock } from "../CodeBlock";
import { DiffView } from "../DiffView";
import { isEditable } from "../taskStatus";
import { ExecutionEditor } from "./ExecutionEditor";

function Fact({ label, value, mono }: { label: string; value?: string; mono?: boolean }) {
  return (
    <>
      <dt>{label}</dt>
      <dd className={mono ? "mono" : undefined} data-testid={`exec-${label.toLowerCase().replace(/ /g, "-")}`}>
        {value || <span className="muted">—</span>}
      </dd>
    </>
  );
}

export function ExecutionTab({ task }: { task: TaskOut }) {
  const [editing, setEditing] = useState(false);
  const script = task.script;
  const container = task.container;
  const editable = isEditable(task);

  if (editing && editable) return <ExecutionEditor task={task} onDone={() => setEditing(false)} />;

  const requirements = Object.entries(script.requirements ?? {}).filter(([, text]) => text.trim());
  const hasSource = !!(script.repository || script.code || script.entry_point || script.diff);
  const hasContainer = !!(container.image || container.arguments || container.setup_script);
  const nothing = !hasSource && !hasContainer && !requirements.length && !script.freeze;

  return (
    <div>
      {editable && (
        <div className="tab-bar">
          <button onClick={() => setEditing(true)}>Edit execution</button>
        </div>
      )}
      {nothing ? (
        <Empty title="No execution details">
          This experiment has no code recorded: no repository, script, requirements or container.
          {editable && " Edit it to say what to run."}
        </Empty>
      ) : (
        <>
          <section className="card" aria-label="Source code">
            <h2>Source code</h2>
            <dl className="kv">
              <Fact label="Repository" value={script.repository} mono />
              <Fact label="Branch" value={script.branch} mono />
              <Fact label="Commit" value={script.commit} mono />
              <Fact label="Working dir" value={script.working_dir} mono />
              <Fact label="Entry point" value={script.entry_point} mono />
              <Fact label="Python" value={script.python} />
            </dl>
          </section>
          {script.repository ? (
            <section className="card" aria-label="Uncommitted changes">
              <h2>Uncommitted changes</h2>
              {script.diff?.trim() ? <DiffView diff={script.diff} /> : <div className="muted">No uncommitted changes.</div>}
            </section>
          ) : (
            <section className="card" aria-label="Script">
              <h2>Script</h2>
              {script.code?.trim() ? (
                <CodeBlock text={script.code} label="Script code" />
              ) : (
                <div className="muted">No repository and no script code stored.</div>
              )}
              {script.diff?.trim() && <DiffView diff={script.diff} />}
            </section>
          )}
          <section className="card" aria-label="Requirements">
            <h2>Requirements</h2>
            {requirements.length ? (
              requirements.map(([kind, text]) => (
                <div key={kind}>
                  <h3>{kind}</h3>
                  <pre className="code">{text}</pre>
                </div>
              ))
            ) : (
              <div className="muted">No requirements recorded.</div>
            )}
            {script.freeze?.trim() && (
              <details>
                <summary>Full environment ({script.freeze.trim().split("\n").length} packages)</summary>
                <pre className="code">{script.freeze}</pre>
              </details>
            )}
          </section>
          <section className="card" aria-label="Container">
            <h2>Container</h2>
            <dl className="kv">
              <Fact label="Image" value={container.image} mono />
              <Fact label="Arguments" value={container.arguments} mono />
            </dl>
            <h3>Setup script</h3>
            {container.setup_script?.trim() ? (
              <CodeBlock text={container.setup_script} label="Setup script" />
            ) : (
              <div className="muted">None.</div>
            )}
          </section>
        </>
      )}
    </div>
  );
}
