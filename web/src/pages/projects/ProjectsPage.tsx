// The projects: a tree of hierarchical names with each one's task count and last
// activity (subprojects included), a search, and dialogs to create, edit, archive and
// delete. A project's name opens its overview; its count opens its experiments table.
// The Archived switch lists the archived projects instead.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { get } from "../../api/client";
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { MembersDialog } from "../../components/MembersDialog";
import { useToast } from "../../components/toast";
import { formatAgo, formatTime } from "../../lib/format";
import type { Project } from "../../api/types";
import { canManageProject } from "../../lib/security";
import { useSession } from "../../session";
import { ArchiveProjectDialog, CreateProjectDialog, DeleteProjectDialog, EditProjectDialog } from "./ProjectDialogs";
import { buildTree, parentIds, visibleRows, type VisibleRow } from "./projectTree";
import "./projects.css";

/** Below this many projects the tree starts fully open. */
const OPEN_BELOW = 40;

function ancestorsOf(name: string, projects: Project[]): string[] {
  const byName = new Map(projects.map((p) => [p.name, p.id]));
  const parts = name.split("/");
  return parts.slice(0, -1).map((_, i) => byName.get(parts.slice(0, i + 1).join("/"))).filter((id): id is string => !!id);
}

function TreeRow({
  row,
  onToggle,
  onEdit,
  onAddChild,
  onMembers,
  onArchive,
  onDelete,
}: {
  row: VisibleRow;
  onToggle: () => void;
  onEdit: () => void;
  onAddChild: () => void;
  /** set for the projects the user manages (owners, admins) */
  onMembers?: () => void;
  onArchive?: () => void;
  onDelete?: () => void;
}) {
  const p = row.node.project;
  return (
    <tr
      data-project-id={p.id}
      className={p.archived ? "is-archived" : undefined}
      aria-level={row.node.depth + 1}
      aria-expanded={row.hasChildren ? row.expanded : undefined}
    >
      <td>
        <div className="project-name" style={{ paddingLeft: row.node.depth * 20 }}>
          {row.hasChildren ? (
            <button className="icon tree-toggle" aria-label={`${row.expanded ? "Collapse" : "Expand"} ${p.name}`} onClick={onToggle}>
              {row.expanded ? "▾" : "▸"}
            </button>
          ) : (
            <span className="tree-toggle" />
          )}
          <Link to={`/projects/${p.id}`} title={p.name}>
            {row.node.label}
          </Link>
          {p.visibility === "private" && (
            <span className="tag private-tag" title="Only members and admins see it">
              private
            </span>
          )}
        </div>
        {p.description && <div className="muted small project-desc">{p.description}</div>}
      </td>
      <td className="num" data-testid="task-count">
        <Link to={`/projects/${p.id}/experiments`} aria-label={`Experiments of ${p.name}`} title="Open the experiments table">
          {(p.task_count ?? 0).toLocaleString()}
        </Link>
      </td>
      <td title={formatTime(p.last_activity ?? p.last_update)}>{formatAgo(p.last_activity ?? p.last_update)}</td>
      <td className="project-actions">
        {onMembers && (
          <button aria-label={`Members of ${p.name}`} onClick={onMembers}>
            Members
          </button>
        )}
        <button aria-label={`New subproject of ${p.name}`} onClick={onAddChild}>
          + Sub
        </button>
        <button aria-label={`Edit ${p.name}`} onClick={onEdit}>
          Edit
        </button>
        {onArchive && (
          <button aria-label={`${p.archived ? "Restore" : "Archive"} ${p.name}`} onClick={onArchive}>
            {p.archived ? "Restore" : "Archive"}
          </button>
        )}
        {onDelete && (
          <button className="danger" aria-label={`Delete ${p.name}`} onClick={onDelete}>
            Delete
          </button>
        )}
      </td>
    </tr>
  );
}

function NoProjects({ onCreate }: { onCreate: () => void }) {
  return (
    <Empty title="No projects yet">
      <p>A project is created with its first experiment, from a script:</p>
      <pre className="code">{`from corral import Task\ntask = Task.init(project_name="team/first-project", task_name="baseline")`}</pre>
      <button className="primary" onClick={onCreate}>
        New project
      </button>
    </Empty>
  );
}

/** Lists the archived projects instead of the active ones. */
function ArchivedSwitch({ on, onChange }: { on: boolean; onChange: (on: boolean) => void }) {
  return (
    <label className="inline">
      <input type="checkbox" checked={on} onChange={(e) => onChange(e.target.checked)} /> Archived
    </label>
  );
}

export function ProjectsPage() {
  const client = useQueryClient();
  const toast = useToast();
  const { user } = useSession();
  const [showArchived, setShowArchived] = useState(false);
  const active = useQuery({ ...queries.projects(), enabled: !showArchived });
  const archived = useQuery({
    queryKey: [...queryKeys.projects.all, "archived"],
    queryFn: ({ signal }) => get<Project[]>("/projects", { archived: "true" }, signal),
    enabled: showArchived,
  });
  const projects = showArchived ? archived : active;
  const [sharing, setSharing] = useState<Project | null>(null);
  const [archiving, setArchiving] = useState<Project | null>(null);
  const [deleting, setDeleting] = useState<Project | null>(null);
  const [search, setSearch] = useState("");
  const [expanded, setExpanded] = useState<Set<string> | null>(null);
  const [creating, setCreating] = useState<{ parent?: string } | null>(null);
  const [editing, setEditing] = useState<Project | null>(null);
  // a project just created or renamed: its ancestors open once they are loaded
  const [revealed, setRevealed] = useState<string | null>(null);

  const roots = useMemo(() => buildTree(projects.data ?? []), [projects.data]);
  // until the user opens or closes a node: all open for a small hub, closed for a big one
  const open = useMemo(() => {
    const base = expanded ?? new Set((projects.data?.length ?? 0) < OPEN_BELOW ? parentIds(roots) : []);
    return revealed ? new Set([...base, ...ancestorsOf(revealed, projects.data ?? [])]) : base;
  }, [expanded, revealed, roots, projects.data]);
  const rows = useMemo(() => visibleRows(roots, open, search), [roots, open, search]);

  const toggle = (id: string) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setExpanded(next);
  };
  const afterChange = (p: Project, verb: string) => {
    void client.invalidateQueries({ queryKey: queryKeys.projects.all });
    toast(`Project ${p.name} ${verb}`);
    setExpanded(open);
    setRevealed(p.name);
  };

  if (projects.isPending && !showArchived) return <Loading what="projects" />;
  return (
    <section className="page projects-page">
      <div className="row">
        <h1>Projects</h1>
        <span className="spacer" />
        <ArchivedSwitch on={showArchived} onChange={setShowArchived} />
        <Link className="button" to="/experiments">
          All experiments
        </Link>
        <button className="primary" onClick={() => setCreating({})}>
          New project
        </button>
      </div>
      <ErrorBox error={projects.error} title="Could not load the projects" />
      {!showArchived && projects.data && projects.data.length === 0 && <NoProjects onCreate={() => setCreating({})} />}
      {showArchived && projects.isPending && <Loading what="archived projects" />}
      {showArchived && projects.data && projects.data.length === 0 && (
        <Empty title="No archived projects">An archived project (its Archive button) shows here.</Empty>
      )}
      {projects.data && projects.data.length > 0 && (
        <>
          <div className="row">
            <input
              type="search"
              aria-label="Search projects"
              data-shortcut="search"
              placeholder="Search projects…  ( / )"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
            <button onClick={() => setExpanded(new Set(parentIds(roots)))}>Expand all</button>
            <button onClick={() => setExpanded(new Set())}>Collapse all</button>
            <span className="muted">
              {projects.data.length.toLocaleString()} {showArchived ? "archived " : ""}project{projects.data.length === 1 ? "" : "s"}
            </span>

          </div>
          {rows.length === 0 ? (
            <Empty title="No project matches">Try another part of a name or description.</Empty>
          ) : (
            <table className="grid projects-tree" role="treegrid" aria-label="Projects">
              <thead>
                <tr>
                  <th>Name</th>
                  <th className="num">Experiments</th>
                  <th>Last activity</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <TreeRow
                    key={row.node.project.id}
                    row={row}
                    onToggle={() => toggle(row.node.project.id)}
                    onEdit={() => setEditing(row.node.project)}
                    onAddChild={() => setCreating({ parent: row.node.project.name })}
                    onMembers={
                      canManageProject(user, row.node.project)
                        ? () => setSharing(row.node.project)
                        : undefined
                    }
                    onArchive={canManageProject(user, row.node.project) ? () => setArchiving(row.node.project) : undefined}
                    onDelete={canManageProject(user, row.node.project) ? () => setDeleting(row.node.project) : undefined}
                  />
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {creating && (
        <CreateProjectDialog
          parentName={creating.parent}
          onClose={() => setCreating(null)}
          onCreated={(p) => {
            setCreating(null);
            afterChange(p, "created");
          }}
        />
      )}
      {sharing && <MembersDialog project={sharing} onClose={() => setSharing(null)} />}
      {archiving && (
        <ArchiveProjectDialog
          project={archiving}
          onClose={() => setArchiving(null)}
          onDone={(p) => {
            setArchiving(null);
            void client.invalidateQueries({ queryKey: queryKeys.projects.all });
            toast(`Project ${p.name} ${p.archived ? "archived" : "restored"}`);
          }}
        />
      )}
      {deleting && (
        <DeleteProjectDialog
          project={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            const name = deleting.name;
            setDeleting(null);
            void client.invalidateQueries({ queryKey: queryKeys.projects.all });
            toast(`Project ${name} deleted`);
          }}
        />
      )}
      {editing && (
        <EditProjectDialog
          project={editing}
          onClose={() => setEditing(null)}
          onSaved={(p) => {
            setEditing(null);
            afterChange(p, "saved");
          }}
        />
      )}
    </section>
  );
}
