// Create a project (a nested name makes its parents too), rename or describe one.
import { useState } from "react";
import { patch, post } from "../../api/client";
import { ErrorBox } from "../../components/feedback";
import { Modal } from "../../components/Modal";
import type { ProjectRow } from "./types";
import { useSubmit } from "../../components/useSubmit";

function Footer({ busy, ok, label, onClose, onOk }: { busy: boolean; ok: boolean; label: string; onClose: () => void; onOk: () => void }) {
  return (
    <>
      <button onClick={onClose}>Cancel</button>
      <button className="primary" disabled={busy || !ok} onClick={onOk}>
        {label}
      </button>
    </>
  );
}

export function CreateProjectDialog({
  parentName,
  onClose,
  onCreated,
}: {
  /** prefills ``parent/`` to create a subproject */
  parentName?: string;
  onClose: () => void;
  onCreated: (project: ProjectRow) => void;
}) {
  const [name, setName] = useState(parentName ? `${parentName}/` : "");
  const [description, setDescription] = useState("");
  const { busy, error, run } = useSubmit();
  const valid = name.trim() !== "" && !name.trim().endsWith("/");
  const submit = async () => {
    await run(async () => {
      onCreated(await post<ProjectRow>("/projects", { name: name.trim(), description }));
    });
  };
  return (
    <Modal
      title="New project"
      onClose={onClose}
      footer={<Footer busy={busy} ok={valid} label="Create" onClose={onClose} onOk={() => void submit()} />}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid && !busy) void submit();
        }}
      >
        <label>
          Name
          <input aria-label="Project name" autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="team/nasa/asteroids" />
          <span className="muted small">Use / to nest it: missing parent projects are created too.</span>
        </label>
        <label>
          Description
          <textarea aria-label="Description" className="project-description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
      </form>
      <ErrorBox error={error} title="Could not create the project" />
    </Modal>
  );
}

export function EditProjectDialog({
  project,
  onClose,
  onSaved,
}: {
  project: ProjectRow;
  onClose: () => void;
  onSaved: (project: ProjectRow) => void;
}) {
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description);
  const { busy, error, run } = useSubmit();
  const changes: { name?: string; description?: string } = {};
  if (name.trim() !== project.name) changes.name = name.trim();
  if (description !== project.description) changes.description = description;
  const valid = name.trim() !== "" && Object.keys(changes).length > 0;
  const submit = async () => {
    await run(async () => {
      onSaved(await patch<ProjectRow>(`/projects/${project.id}`, changes));
    });
  };
  return (
    <Modal
      title={`Edit project ${project.name}`}
      onClose={onClose}
      footer={<Footer busy={busy} ok={valid} label="Save" onClose={onClose} onOk={() => void submit()} />}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (valid && !busy) void submit();
        }}
      >
        <label>
          Name
          <input aria-label="Project name" autoFocus value={name} onChange={(e) => setName(e.target.value)} />
          <span className="muted small">Subprojects follow a rename; a new path moves the project.</span>
        </label>
        <label>
          Description
          <textarea aria-label="Description" className="project-description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
      </form>
      <ErrorBox error={error} title="Could not save the project" />
    </Modal>
  );
}
