"""Teams: groups of users that are members of projects as one.

Admins create and change teams; teams with source ``oidc`` are kept in step with
the identity provider's groups at each single sign-on login (``auth/oidc.py``),
so their members and names are not changed by hand. Each membership change is
recorded in the change log (streams re-check what their readers may see) and in
the audit log.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from corral.errors import ConflictError, NotFoundError
from corral.schemas.teams import TeamCreate, TeamUpdate
from corral.server.db.models import ProjectMember, Team, TeamMember, User
from corral.server.services import audit, changes
from corral.server.services.users import get_user


def find_team(session: Session, ref: str) -> Team | None:
    """The team with id or name ``ref``."""
    team = session.get(Team, ref) if len(ref) <= 32 else None
    if team is None:
        team = session.scalar(select(Team).where(Team.name == ref))
    return team


def get_team(session: Session, ref: str) -> Team:
    team = find_team(session, ref)
    if team is None:
        raise NotFoundError(f"no team {ref!r} (see GET /teams)")
    return team


def list_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))


def members_of(session: Session, team_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """team id -> [(user id, user name)], by user name."""
    out: dict[str, list[tuple[str, str]]] = {t: [] for t in team_ids}
    if not team_ids:
        return out
    rows = session.execute(
        select(TeamMember.team_id, User.id, User.name)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.team_id.in_(team_ids))
        .order_by(User.name)
    )
    for team_id, user_id, user_name in rows:
        out[team_id].append((user_id, user_name))
    return out


def _audit(session: Session, action: str, team: Team, **detail: object) -> None:
    audit.record(
        session,
        action,
        target_type="team",
        target_id=team.id,
        target_name=team.name,
        detail=dict(detail),
    )


def _name_free(session: Session, name: str, but: str | None = None) -> None:
    taken = session.scalar(select(Team.id).where(Team.name == name))
    if taken is not None and taken != but:
        raise ConflictError(f"a team named {name!r} already exists")


def create_team(session: Session, data: TeamCreate, *, source: str = "local") -> Team:
    _name_free(session, data.name)
    team = Team(name=data.name, description=data.description, source=source)
    session.add(team)
    session.flush()
    changes.record(session, "team", team.id, "created", payload={"name": team.name})
    _audit(session, "team.created", team, source=source)
    return team


def _local(team: Team, what: str) -> None:
    if team.source != "local":
        raise ConflictError(
            f"team {team.name!r} is kept in step with single sign-on groups; "
            f"{what} in the identity provider instead"
        )


def update_team(session: Session, ref: str, data: TeamUpdate) -> Team:
    team = get_team(session, ref)
    detail: dict[str, object] = {}
    if data.name is not None and data.name != team.name:
        _local(team, "rename its group")
        _name_free(session, data.name, but=team.id)
        detail["name"] = {"from": team.name, "to": data.name}
        team.name = data.name
    if data.description is not None and data.description != team.description:
        team.description = data.description
        detail["description"] = data.description
    if detail:
        session.flush()
        changes.record(session, "team", team.id, "updated")
        _audit(session, "team.updated", team, **detail)
    return team


def delete_team(session: Session, ref: str) -> Team:
    """Delete a team: its members lose what the team gave them in projects."""
    team = get_team(session, ref)
    members = list(session.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team.id)))
    projects = list(
        session.scalars(
            select(ProjectMember.project_id).where(
                ProjectMember.member_type == "team", ProjectMember.member_id == team.id
            )
        )
    )
    session.execute(
        delete(ProjectMember).where(
            ProjectMember.member_type == "team", ProjectMember.member_id == team.id
        )
    )
    session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    session.delete(team)
    session.flush()
    changes.record(
        session, "team", team.id, "deleted", payload={"members": members, "projects": projects}
    )
    for project_id in projects:
        changes.record(
            session,
            "project",
            project_id,
            "members",
            project_id=project_id,
            payload={"member_type": "team", "member_id": team.id},
        )
    _audit(session, "team.deleted", team, members=len(members), projects=projects)
    return team


def add_member(session: Session, ref: str, user_ref: str, *, sync: bool = False) -> Team:
    """Put a user (id or name) in a team; nothing happens if they are in it already.

    ``sync``: called by single sign-on, which may change ``oidc`` teams.
    """
    team = get_team(session, ref)
    if not sync:
        _local(team, "change its members")
    user = get_user(session, user_ref)
    if session.get(TeamMember, (team.id, user.id)) is not None:
        return team
    session.add(TeamMember(team_id=team.id, user_id=user.id))
    session.flush()
    changes.record(session, "team", team.id, "member_added", payload={"user_id": user.id})
    _audit(session, "team.member_added", team, user_id=user.id, user_name=user.name)
    return team


def remove_member(session: Session, ref: str, user_ref: str, *, sync: bool = False) -> Team:
    """Take a user out of a team (404 when they are not in it)."""
    team = get_team(session, ref)
    if not sync:
        _local(team, "change its members")
    user = get_user(session, user_ref)
    member = session.get(TeamMember, (team.id, user.id))
    if member is None:
        raise NotFoundError(f"user {user.name!r} is not a member of team {team.name!r}")
    session.delete(member)
    session.flush()
    changes.record(session, "team", team.id, "member_removed", payload={"user_id": user.id})
    _audit(session, "team.member_removed", team, user_id=user.id, user_name=user.name)
    return team
