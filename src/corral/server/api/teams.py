"""Teams: groups of users that are members of projects. Admins change them; people read them."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from corral.schemas.common import Ok
from corral.schemas.teams import MemberRef, TeamCreate, TeamOut, TeamUpdate
from corral.server.api.deps import AdminUser, SessionDep
from corral.server.api.users import DirectoryReader
from corral.server.db.models import Team
from corral.server.services import teams

router = APIRouter(prefix="/teams", tags=["teams"])


def _out(session: Session, rows: list[Team]) -> list[TeamOut]:
    members = teams.members_of(session, [t.id for t in rows])
    return [
        TeamOut(
            id=t.id,
            name=t.name,
            description=t.description,
            source=t.source,
            created_at=t.created_at,
            members=[MemberRef(id=i, name=n) for i, n in members.get(t.id, [])],
        )
        for t in rows
    ]


@router.get("", response_model=list[TeamOut])
def list_teams(session: SessionDep, _reader: DirectoryReader) -> list[TeamOut]:
    """Every team with its members, by name."""
    return _out(session, teams.list_teams(session))


@router.post("", response_model=TeamOut, status_code=201)
def create_team(body: TeamCreate, session: SessionDep, _admin: AdminUser) -> TeamOut:
    return _out(session, [teams.create_team(session, body)])[0]


@router.get("/{team}", response_model=TeamOut)
def get_team(team: str, session: SessionDep, _reader: DirectoryReader) -> TeamOut:
    """One team, by id or name."""
    return _out(session, [teams.get_team(session, team)])[0]


@router.patch("/{team}", response_model=TeamOut)
def update_team(team: str, body: TeamUpdate, session: SessionDep, _admin: AdminUser) -> TeamOut:
    """Rename a team or change its description (a single sign-on team keeps its name)."""
    return _out(session, [teams.update_team(session, team, body)])[0]


@router.delete("/{team}", response_model=Ok)
def delete_team(team: str, session: SessionDep, _admin: AdminUser) -> Ok:
    """Delete a team: its members lose the project roles it gave them."""
    gone = teams.delete_team(session, team)
    return Ok(detail={"id": gone.id, "name": gone.name})


@router.put("/{team}/members/{user}", response_model=TeamOut)
def add_member(team: str, user: str, session: SessionDep, _admin: AdminUser) -> TeamOut:
    """Put a user (id or name) in the team; already a member is fine."""
    return _out(session, [teams.add_member(session, team, user)])[0]


@router.delete("/{team}/members/{user}", response_model=TeamOut)
def remove_member(team: str, user: str, session: SessionDep, _admin: AdminUser) -> TeamOut:
    """Take a user (id or name) out of the team."""
    return _out(session, [teams.remove_member(session, team, user)])[0]
