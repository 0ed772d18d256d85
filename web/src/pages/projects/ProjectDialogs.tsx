// Create a project (a nested name makes its parents too), rename or describe one.
import { useState } from "react";
import { patch, post } from "../../api/client";
import { ErrorBox } from "../../components/feedback";
import { DialogFooter, Modal } from "../../components/Modal";
import { useSubmit } from "../../components/useSubmit";
import type { Project } from "../../api/types";

/** The name and description form both dialogs show; ``save`` sends it. */
function ProjectDialog({
  title,
  action,
  failure,
  start,
  placeholder,
  hint,
  canSave,
  save,
  onClose,
}: {
  title: string;
  action: string;
  failure: string;
  start: { name: string; description: string };
  placeholder?: string;
  hint: string;
  canSave: (name: string, description: string) => boolean;
  save: (name: string, description: string) => Promise<void>;
  onClose: () => void;
}) {
  const [name, setName] = useState(start.name);
  const [description, setDescription] = useState(start.description);
  const { busy, error, run } = useSubmit();
  const valid = canSave(name.trim(), description);
  const submit = () => {
    if (valid && !busy) void run(() => save(name.trim(), description));
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={<DialogFooter action={action} disabled={busy || !valid} onClose={onClose} onAction={submit} />}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label>
          Name
          <input aria-label="Project name" autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder={placeholder} />
          <span className="muted small">{hint}</span>
        </label>
        <label>
          Description
          <textarea aria-label="Description" className="project-description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
      </form>
      <ErrorBox error={error} title={failure} />
    </Modal>
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
  onCreated: (project: Project) => void;
}) {
  return (
    <ProjectDialog
      title="New project"
      action="Create"
      failure="Could not create the project"
      start={{ name: parentName ? `${parentName}/` : "", description: "" }}
      placeholder="team/nasa/asteroids"
      hint="Use / to nest it: missing parent projects are created too."
      canSave={(name) => name !== "" && !name.endsWith("/")}
      save={async (name, description) => onCreated(await post<Project>("/projects", { name, description }))}
      onClose={onClose}
    />
  );
}

export function EditProjectDialog({
  project,
  onClose,
  onSaved,
}: {
  project: Project;
  onClose: () => void;
  onSaved: (project: Project) => void;
}) {
  const changes = (name: string, description: string) => ({
    ...(name !== project.name ? { name } : {}),
    ...(description !== project.description ? { description } : {}),
  });
  return (
    <ProjectDialog
      title={`Edit project ${project.name}`}
      action="Save"
      failure="Could not save the project"
      start={{ name: project.name, description: project.description }}
      hint="Subprojects follow a rename; a new path moves the project."
      canSave={(name, description) => name !== "" && Object.keys(changes(name, description)).length > 0}
      save={async (name, description) => onSaved(await patch<Project>(`/projects/${project.id}`, changes(name, description)))}
      onClose={onClose}
    />
  );
}
