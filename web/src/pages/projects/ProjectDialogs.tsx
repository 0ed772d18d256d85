// Create a project (a nested name makes its parents too), rename or describe one,
// archive or restore it, delete it (with what it holds).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { del, get, patch, post } from "../../api/client";
import { queryKeys } from "../../api/queryKeys";
import type { components } from "../../api/schema.gen";
import { ErrorBox, Loading } from "../../components/feedback";
import { ConfirmDialog, DialogFooter, Modal } from "../../components/Modal";
import { useSubmit } from "../../components/useSubmit";
import type { Project, TaskBrief } from "../../api/types";

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

type OverviewWire = components["schemas"]["ProjectOverview"];
/** ``GET /projects/{id}/overview``, its task lists typed as the table's rows. */
export type ProjectOverview = Omit<OverviewWire, "running" | "recent" | "best"> & {
  running: TaskBrief[];
  recent: TaskBrief[];
  best: TaskBrief[];
};

/** The overview of a project (its counts, running, recent and best runs), by choice. */
export const overviewKey = (id: string, params: Record<string, string> = {}) =>
  [...queryKeys.projects.all, "overview", id, params] as const;

export function fetchOverview(id: string, params: Record<string, string> = {}, signal?: AbortSignal) {
  return get<ProjectOverview>(`/projects/${id}/overview`, params, signal);
}

/** What a deletion takes with it, in words: "3 experiments, 1 model and 2 subprojects". */
export function deletionScope(o: Pick<ProjectOverview, "project" | "model_count" | "subproject_count">): string {
  const count = (n: number, what: string) => `${n.toLocaleString()} ${what}${n === 1 ? "" : "s"}`;
  const parts = [count(o.project.task_count ?? 0, "experiment"), count(o.model_count, "model")];
  if (o.subproject_count) parts.push(count(o.subproject_count, "subproject"));
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/**
 * Deleting a project takes its subprojects, experiments (their files) and models, and
 * cannot be undone: the dialog says how many, and a project with experiments asks for its
 * name to be typed.
 */
export function DeleteProjectDialog({ project, onClose, onDeleted }: { project: Project; onClose: () => void; onDeleted: () => void }) {
  const overview = useQuery({ queryKey: overviewKey(project.id), queryFn: ({ signal }) => fetchOverview(project.id, {}, signal) });
  const { busy, error, run } = useSubmit();
  const o = overview.data;
  const holds = !!o && ((o.project.task_count ?? 0) > 0 || o.model_count > 0);
  return (
    <ConfirmDialog
      title={`Delete project ${project.name}?`}
      action="Delete project"
      busy={busy || !o}
      typeToConfirm={holds ? project.name : undefined}
      onClose={onClose}
      onConfirm={() =>
        void run(async () => {
          await del(`/projects/${project.id}`, { force: "true" });
          onDeleted();
        })
      }
    >
      <ErrorBox error={overview.error} title="Could not count what the project holds" />
      {!o && !overview.error && <Loading what="what the project holds" />}
      {o && (
        <p data-testid="delete-scope">
          {holds ? (
            <>
              This deletes <strong>{deletionScope(o)}</strong>, with their stored files. It cannot be undone; archiving
              the project instead hides it and keeps everything.
            </>
          ) : (
            <>The project is empty{o.subproject_count ? ` (with ${deletionScope(o)})` : ""}. This cannot be undone.</>
          )}
        </p>
      )}
      <ErrorBox error={error} title="Could not delete the project" />
    </ConfirmDialog>
  );
}

/** Archive (hide from the list, keep everything) or bring back a project and its subprojects. */
export function ArchiveProjectDialog({ project, onClose, onDone }: { project: Project; onClose: () => void; onDone: (p: Project) => void }) {
  const { busy, error, run } = useSubmit();
  const archive = !project.archived;
  return (
    <Modal
      title={`${archive ? "Archive" : "Restore"} project ${project.name}?`}
      onClose={onClose}
      footer={
        <DialogFooter
          action={archive ? "Archive" : "Restore"}
          disabled={busy}
          onClose={onClose}
          onAction={() => void run(async () => onDone(await post<Project>(`/projects/${project.id}:${archive ? "archive" : "unarchive"}`)))}
        />
      }
    >
      <p>
        {archive
          ? "The project and its subprojects leave the project list (the Archived switch shows them). Their experiments and models are kept and open as before."
          : "The project and its subprojects come back to the project list."}
      </p>
      <ErrorBox error={error} title={`Could not ${archive ? "archive" : "restore"} the project`} />
    </Modal>
  );
}
