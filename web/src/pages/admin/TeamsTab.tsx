// Teams: groups of users that are made members of projects together. Create one, rename
// or describe it, add and remove its members, delete it. Teams from single sign-on
// follow the provider's groups at each login.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { del, get, patch, post, put } from "../../api/client";
import { queries } from "../../api/queries";
import { queryKeys } from "../../api/queryKeys";
import type { TeamOut } from "../../api/types";
import { Empty, ErrorBox, Loading } from "../../components/feedback";
import { ConfirmDialog, DialogFooter, Modal } from "../../components/Modal";
import { useToast } from "../../components/toast";

function useRefreshTeams() {
  const client = useQueryClient();
  return () => {
    void client.invalidateQueries({ queryKey: queryKeys.teams.all });
    void client.invalidateQueries({ queryKey: queryKeys.users.all });
    void client.invalidateQueries({ queryKey: queryKeys.members.all });
  };
}

function TeamDialog({ team, onClose }: { team?: TeamOut; onClose: () => void }) {
  const [name, setName] = useState(team?.name ?? "");
  const [description, setDescription] = useState(team?.description ?? "");
  const refresh = useRefreshTeams();
  const toast = useToast();
  const save = useMutation({
    mutationFn: () => {
      const body = { name: name.trim(), description };
      return team ? patch<TeamOut>(`/teams/${team.id}`, body) : post<TeamOut>("/teams", body);
    },
    onSuccess: (t) => {
      refresh();
      toast(team ? `Team ${t.name} saved` : `Team ${t.name} created`);
      onClose();
    },
  });
  return (
    <Modal
      title={team ? `Edit team ${team.name}` : "New team"}
      onClose={onClose}
      footer={<DialogFooter action={team ? "Save" : "Create"} form="team-form" disabled={!name.trim() || save.isPending} onClose={onClose} />}
    >
      <form
        id="team-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) save.mutate();
        }}
      >
        <label>
          Name
          <input aria-label="Team name" autoFocus value={name} maxLength={255} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Description
          <input aria-label="Team description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
      </form>
      <ErrorBox error={save.error} title="Could not save the team" />
    </Modal>
  );
}

function TeamCard({ team, userNames, onEdit, onDelete }: { team: TeamOut; userNames: string[]; onEdit: () => void; onDelete: () => void }) {
  const [member, setMember] = useState("");
  const refresh = useRefreshTeams();
  const toast = useToast();
  const add = useMutation({
    mutationFn: (user: string) => put<TeamOut>(`/teams/${team.id}/members/${encodeURIComponent(user)}`),
    onSuccess: (_, user) => {
      setMember("");
      refresh();
      toast(`${user} added to ${team.name}`);
    },
  });
  const remove = useMutation({
    mutationFn: (m: { id: string; name: string }) => del<unknown>(`/teams/${team.id}/members/${m.id}`),
    onSuccess: (_, m) => {
      refresh();
      toast(`${m.name} removed from ${team.name}`);
    },
    onError: (e) => toast((e as Error).message, "error"),
  });
  const members = team.members ?? [];
  const inTeam = new Set(members.map((m) => m.name));
  return (
    <div className="card team-card" data-team={team.name} role="group" aria-label={`Team ${team.name}`}>
      <header>
        <h3>{team.name}</h3>
        {team.source === "oidc" && <span className="tag" title="Its members follow the provider's groups at each login">from single sign-on</span>}
        <span className="muted">{team.description}</span>
        <span className="spacer" />
        <span className="actions">
          <button onClick={onEdit}>Edit</button>
          <button className="danger" onClick={onDelete}>
            Delete
          </button>
        </span>
      </header>
      <div className="team-members" aria-label={`Members of ${team.name}`}>
        {members.length === 0 && <span className="muted small">No members yet. </span>}
        {members.map((m) => (
          <span key={m.id} className="member-chip">
            {m.name}
            <button className="icon" aria-label={`Remove ${m.name} from ${team.name}`} disabled={remove.isPending} onClick={() => remove.mutate(m)}>
              ×
            </button>
          </span>
        ))}
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (member.trim()) add.mutate(member.trim());
        }}
      >
        <input
          aria-label={`Add a member to ${team.name}`}
          placeholder="User name"
          list={`team-users-${team.id}`}
          value={member}
          onChange={(e) => setMember(e.target.value)}
        />
        <datalist id={`team-users-${team.id}`}>
          {userNames.filter((n) => !inTeam.has(n)).map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <button type="submit" disabled={!member.trim() || add.isPending}>
          Add member
        </button>
      </form>
      <ErrorBox error={add.error} title="Could not add the member" />
    </div>
  );
}

export function TeamsTab() {
  const teams = useQuery({ queryKey: queryKeys.teams.list(), queryFn: ({ signal }) => get<TeamOut[]>("/teams", undefined, signal) });
  const users = useQuery(queries.users());
  const [editing, setEditing] = useState<TeamOut | "new" | null>(null);
  const [deleting, setDeleting] = useState<TeamOut | null>(null);
  const refresh = useRefreshTeams();
  const toast = useToast();
  const remove = useMutation({
    mutationFn: (t: TeamOut) => del<unknown>(`/teams/${t.id}`),
    onSuccess: (_, t) => {
      refresh();
      toast(`Team ${t.name} deleted`);
      setDeleting(null);
    },
  });
  const userNames = (users.data ?? []).filter((u) => u.active).map((u) => u.name);

  if (teams.isPending) return <Loading what="teams" />;
  return (
    <>
      <div className="row">
        <p className="muted">A team is made a member of projects (Members on a project) and its users get the team's role there.</p>
        <span className="spacer" />
        <button className="primary" onClick={() => setEditing("new")}>
          New team
        </button>
      </div>
      <ErrorBox error={teams.error} title="Could not load the teams" />
      {teams.data && teams.data.length === 0 && <Empty title="No teams yet">Create one, add users to it, then give it a role on a project.</Empty>}
      {(teams.data ?? []).map((t) => (
        <TeamCard key={t.id} team={t} userNames={userNames} onEdit={() => setEditing(t)} onDelete={() => setDeleting(t)} />
      ))}
      {editing && <TeamDialog team={editing === "new" ? undefined : editing} onClose={() => setEditing(null)} />}
      {deleting && (
        <ConfirmDialog
          title={`Delete team ${deleting.name}?`}
          action="Delete team"
          busy={remove.isPending}
          onClose={() => setDeleting(null)}
          onConfirm={() => remove.mutate(deleting)}
        >
          Its members lose the roles the team had on projects. The users themselves stay.
          <ErrorBox error={remove.error} title="Could not delete the team" />
        </ConfirmDialog>
      )}
    </>
  );
}
