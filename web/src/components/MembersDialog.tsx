// A project's members and its privacy, like ClearML's "Share" dialog: who has which role
// (users and teams, set here or inherited from a parent project), add one, change a
// role, remove one, and the public / private switch. For the project's owners and admins.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { del, get, patch, put } from "../api/client";
import { queries } from "../api/queries";
import { queryKeys } from "../api/queryKeys";
import type { MemberType, Project, ProjectMember, ProjectRole, TeamOut } from "../api/types";
import { useFollowingState } from "../lib/useStateFor";
import { ErrorBox, Loading } from "./feedback";
import { Modal } from "./Modal";
import { useToast } from "./toast";

export const PROJECT_ROLES: { value: ProjectRole; label: string; hint: string }[] = [
  { value: "viewer", label: "Viewer", hint: "sees the project" },
  { value: "editor", label: "Editor", hint: "runs and changes experiments and models" },
  { value: "owner", label: "Owner", hint: "also manages members and privacy" },
];

function PrivacySwitch({ project }: { project: Project }) {
  const client = useQueryClient();
  const toast = useToast();
  // the choice shows at once; it goes back to the hub's if the hub refuses it
  const [shown, setShown] = useFollowingState(project.visibility);
  const isPrivate = shown === "private";
  const change = useMutation({
    mutationFn: (visibility: "public" | "private") => {
      setShown(visibility);
      return patch<Project>(`/projects/${project.id}`, { visibility });
    },
    onError: () => setShown(project.visibility),
    onSuccess: (p) => {
      toast(`Project ${p.name} is now ${p.visibility}`);
      void client.invalidateQueries({ queryKey: queryKeys.projects.all });
      void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
    },
  });
  return (
    <div className="card privacy" role="radiogroup" aria-label="Privacy">
      <label className="inline">
        <input
          type="radio"
          name="privacy"
          checked={!isPrivate}
          disabled={change.isPending}
          aria-label="Public"
          onChange={() => change.mutate("public")}
        />
        <strong>Public</strong>
        <span className="muted small">every user of the hub sees it; members get more than that</span>
      </label>
      <label className="inline">
        <input
          type="radio"
          name="privacy"
          checked={isPrivate}
          disabled={change.isPending}
          aria-label="Private"
          onChange={() => change.mutate("private")}
        />
        <strong>Private</strong>
        <span className="muted small">only its members and admins see it, its subprojects and everything in them</span>
      </label>
      <ErrorBox error={change.error} title="Could not change the privacy" />
    </div>
  );
}

function AddMember({ projectId, onAdded }: { projectId: string; onAdded: (list: ProjectMember[]) => void }) {
  const [type, setType] = useState<MemberType>("user");
  const [member, setMember] = useState("");
  const [role, setRole] = useState<ProjectRole>("viewer");
  const users = useQuery(queries.users());
  const teams = useQuery({ queryKey: queryKeys.teams.list(), queryFn: ({ signal }) => get<TeamOut[]>("/teams", undefined, signal) });
  const names = type === "user" ? (users.data ?? []).filter((u) => u.active).map((u) => u.name) : (teams.data ?? []).map((t) => t.name);
  const add = useMutation({
    mutationFn: () => put<ProjectMember[]>(`/projects/${projectId}/members`, { member_type: type, member: member.trim(), role }),
    onSuccess: (list) => {
      setMember("");
      onAdded(list);
    },
  });
  return (
    <form
      className="row members-add"
      aria-label="Add a member"
      onSubmit={(e) => {
        e.preventDefault();
        if (member.trim()) add.mutate();
      }}
    >
      <select aria-label="Member type" value={type} onChange={(e) => setType(e.target.value as MemberType)}>
        <option value="user">User</option>
        <option value="team">Team</option>
      </select>
      <input
        aria-label={type === "user" ? "User name" : "Team name"}
        placeholder={type === "user" ? "User name" : "Team name"}
        list={`members-${type}s`}
        value={member}
        onChange={(e) => setMember(e.target.value)}
      />
      <datalist id={`members-${type}s`}>
        {names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <select aria-label="New member's role" value={role} onChange={(e) => setRole(e.target.value as ProjectRole)}>
        {PROJECT_ROLES.map((r) => (
          <option key={r.value} value={r.value}>
            {r.label}
          </option>
        ))}
      </select>
      <button className="primary" type="submit" disabled={!member.trim() || add.isPending}>
        Add
      </button>
      <ErrorBox error={add.error} title="Could not add the member" />
    </form>
  );
}

export function MembersDialog({ project, onClose }: { project: Project; onClose: () => void }) {
  const client = useQueryClient();
  const toast = useToast();
  const key = queryKeys.members.of(project.id);
  const members = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => get<ProjectMember[]>(`/projects/${project.id}/members`, undefined, signal),
  });
  const projects = useQuery(queries.projects());
  // the dialog follows the project (its privacy) as the list of projects refreshes
  const current = (projects.data?.find((p) => p.id === project.id)) ?? project;
  const projectName = (m: ProjectMember) =>
    m.inherited_from_name ?? projects.data?.find((p) => p.id === m.inherited_from)?.name ?? m.inherited_from;

  const refresh = (list?: ProjectMember[]) => {
    if (list) client.setQueryData(key, list);
    void client.invalidateQueries({ queryKey: key });
    void client.invalidateQueries({ queryKey: queryKeys.projects.all });
  };
  const setRole = useMutation({
    mutationFn: ({ m, role }: { m: ProjectMember; role: ProjectRole }) =>
      put<ProjectMember[]>(`/projects/${project.id}/members`, { member_type: m.member_type, member: m.member_id, role }),
    onSuccess: (list, { m, role }) => {
      toast(`${m.name} is now ${role}`);
      refresh(list);
    },
    onError: (e) => toast((e as Error).message, "error"),
  });
  const remove = useMutation({
    mutationFn: (m: ProjectMember) => del<ProjectMember[]>(`/projects/${project.id}/members/${m.member_type}/${m.member_id}`),
    onSuccess: (list, m) => {
      toast(`${m.name} removed from ${project.name}`);
      refresh(list);
    },
    onError: (e) => toast((e as Error).message, "error"),
  });

  const list = members.data ?? [];
  return (
    <Modal title={`Members of ${project.name}`} onClose={onClose} footer={<button onClick={onClose}>Close</button>}>
      <div className="members-dialog" data-testid="members-dialog">
        <PrivacySwitch project={current} />
        <h3>Members</h3>
        {members.isPending && <Loading what="members" />}
        <ErrorBox error={members.error} title="Could not load the members" />
        {members.data && list.length === 0 && <p className="muted">No members yet: only admins manage the project.</p>}
        {list.length > 0 && (
          <table className="grid" aria-label="Members">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>From</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((m) => {
                const inherited = m.inherited_from !== null && m.inherited_from !== project.id;
                return (
                  <tr key={`${m.member_type}:${m.member_id}:${m.inherited_from ?? ""}`} data-member={m.name}>
                    <td>
                      {m.name} {m.member_type === "team" && <span className="tag">team</span>}
                    </td>
                    <td>
                      {inherited ? (
                        m.role
                      ) : (
                        <select
                          aria-label={`Role of ${m.name}`}
                          value={m.role}
                          disabled={setRole.isPending}
                          onChange={(e) => setRole.mutate({ m, role: e.target.value as ProjectRole })}
                        >
                          {PROJECT_ROLES.map((r) => (
                            <option key={r.value} value={r.value}>
                              {r.label}
                            </option>
                          ))}
                        </select>
                      )}
                    </td>
                    <td className="muted">{inherited ? `inherited from ${projectName(m)}` : "this project"}</td>
                    <td>
                      {!inherited && (
                        <button
                          className="danger"
                          aria-label={`Remove ${m.name}`}
                          disabled={remove.isPending}
                          onClick={() => remove.mutate(m)}
                        >
                          Remove
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <h3>Add a user or a team</h3>
        <AddMember projectId={project.id} onAdded={(l) => {
          toast("Member added");
          refresh(l);
        }} />
        <p className="muted small">
          {PROJECT_ROLES.map((r) => `${r.label}: ${r.hint}`).join(" · ")}. Roles hold in the subprojects too.
        </p>
      </div>
    </Modal>
  );
}
