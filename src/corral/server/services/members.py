"""Project members: users and teams with a role on a project and its subprojects."""

from __future__ import annotations

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from corral.errors import ConflictError, NotFoundError
from corral.schemas.projects import MemberSet
from corral.server.db.models import Project, ProjectMember, Team, User
from corral.server.services import audit, changes


def _principal_name(session: Session, member_type: str, member_id: str) -> str:
    model = User if member_type == "user" else Team
    name = session.scalar(select(model.name).where(model.id == member_id))
    return name or member_id


def _resolve(session: Session, member_type: str, ref: str) -> tuple[str, str]:
    """(id, name) of the user or team called ``ref`` (an id or a name)."""
    model = User if member_type == "user" else Team
    row = session.execute(
        select(model.id, model.name).where(or_(model.id == ref, model.name == ref))
    ).first()
    if row is None:
        raise NotFoundError(f"no {member_type} {ref!r}")
    return row[0], row[1]


def _chain(session: Session, project: Project) -> list[Project]:
    """The project and its ancestors, nearest first."""
    out = [project]
    while out[-1].parent_id is not None:
        parent = session.get(Project, out[-1].parent_id)
        if parent is None:
            break
        out.append(parent)
    return out


def list_members(session: Session, project: Project) -> list[dict[str, str | None]]:
    """Everyone with a role here: given on the project, inherited from an ancestor, or owner."""
    chain = _chain(session, project)
    by_id = {p.id: p for p in chain}
    rows = session.execute(
        select(ProjectMember).where(ProjectMember.project_id.in_(list(by_id)))
    ).scalars()
    out: list[dict[str, str | None]] = []
    for p in chain:
        if p.owner_id:
            out.append(_entry(session, "user", p.owner_id, "owner", p, project))
    for m in rows:
        out.append(
            _entry(session, m.member_type, m.member_id, m.role, by_id[m.project_id], project)
        )
    return out


def _entry(
    session: Session, member_type: str, member_id: str, role: str, source: Project, here: Project
) -> dict[str, str | None]:
    inherited = source.id != here.id
    return {
        "member_type": member_type,
        "member_id": member_id,
        "name": _principal_name(session, member_type, member_id),
        "role": role,
        "inherited_from": source.id if inherited else None,
        "inherited_from_name": source.name if inherited else None,
    }


def set_member(session: Session, project: Project, data: MemberSet) -> None:
    member_id, name = _resolve(session, data.member_type, data.member)
    row = session.get(ProjectMember, (project.id, data.member_type, member_id))
    if row is None:
        session.add(
            ProjectMember(
                project_id=project.id,
                member_type=data.member_type,
                member_id=member_id,
                role=data.role,
            )
        )
    else:
        row.role = data.role
    session.flush()
    _record(session, project, "project.member_set", data.member_type, member_id, name, data.role)


def remove_member(session: Session, project: Project, member_type: str, member_ref: str) -> None:
    member_id, name = _resolve(session, member_type, member_ref)
    was_owner = member_type == "user" and project.owner_id == member_id
    if was_owner:
        if _other_owner(session, project, member_id) is None:
            raise ConflictError(
                f"{name!r} owns project {project.name!r}; give it another owner first"
            )
        project.owner_id = None
    result = session.execute(
        delete(ProjectMember).where(
            ProjectMember.project_id == project.id,
            ProjectMember.member_type == member_type,
            ProjectMember.member_id == member_id,
        )
    )
    if not getattr(result, "rowcount", 0) and not was_owner:
        raise NotFoundError(f"{member_type} {name!r} is not a member of project {project.name!r}")
    session.flush()
    _record(session, project, "project.member_removed", member_type, member_id, name, None)


def _other_owner(session: Session, project: Project, member_id: str) -> str | None:
    return session.scalar(
        select(ProjectMember.member_id)
        .where(
            ProjectMember.project_id == project.id,
            ProjectMember.role == "owner",
            ProjectMember.member_id != member_id,
        )
        .limit(1)
    )


def _record(
    session: Session,
    project: Project,
    action: str,
    member_type: str,
    member_id: str,
    name: str,
    role: str | None,
) -> None:
    changes.record(
        session,
        "project",
        project.id,
        "members",
        project_id=project.id,
        payload={"member_type": member_type, "member_id": member_id},
    )
    audit.record(
        session,
        action,
        target_type="project",
        target_id=project.id,
        target_name=project.name,
        detail={"member_type": member_type, "member_id": member_id, "name": name, "role": role},
    )
