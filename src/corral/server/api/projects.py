"""Projects: the hierarchy, its visibility and its members (users and teams with a role)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from corral.schemas.common import Ok
from corral.schemas.projects import (
    MemberOut,
    MemberSet,
    ProjectCreate,
    ProjectOut,
    ProjectOverview,
    ProjectUpdate,
)
from corral.server.api.deps import AccessDep, CurrentUser, SessionDep
from corral.server.auth.policy import Access
from corral.server.db.models import Project
from corral.server.services import audit, members, project_overview, projects

router = APIRouter(prefix="/projects", tags=["projects"])


def _out(row: projects.ProjectStats, access: Access) -> ProjectOut:
    return ProjectOut.model_validate(row.project).model_copy(
        update={
            "task_count": row.task_count,
            "last_activity": row.last_activity,
            "my_role": access.role(row.project.id),
        }
    )


@router.get("", response_model=list[ProjectOut])
def list_projects(
    session: SessionDep,
    access: AccessDep,
    parent_id: str | None = None,
    search: str | None = None,
    top_level: bool = False,
    name: str | None = None,
    archived: bool = False,
) -> list[ProjectOut]:
    """The projects the caller may read (or the children of ``parent_id``) by name.

    ``search`` matches a part of the name or description; ``name`` the whole name (at
    most one project, archived or not: how the SDK finds a project by its name).
    Archived projects are left out; ``archived=true`` lists only them.

    ``task_count`` counts the tasks of the project and of all its subprojects the
    caller may read; ``last_activity`` is the newest ``last_update`` among them and
    their tasks; ``my_role`` is the caller's role.
    """
    rows = projects.list_projects(
        session,
        parent_id=parent_id,
        search=search,
        top_level=top_level,
        name=name,
        visible=access.visible_projects(),
        archived=archived,
    )
    return [_out(row, access) for row in rows]


@router.post("", response_model=ProjectOut, status_code=201)
def create_project(
    body: ProjectCreate, session: SessionDep, user: CurrentUser, access: AccessDep
) -> ProjectOut:
    """Create a project (the caller owns it); missing parents of ``a/b/c`` are created too.

    Under an existing project the caller needs the editor role there.
    """
    access.require_create_project(projects.normalize_name(body.name))
    project = projects.create_project(session, body, user)
    return ProjectOut.model_validate(project).model_copy(update={"my_role": "owner"})


def _readable(access: Access, session: SessionDep, project_id: str) -> Project:
    access.require("read", project_id, what=f"project with id {project_id!r}")
    return projects.get_project(session, project_id)


@router.get("/{project_id}", response_model=ProjectOut)
def get_project(project_id: str, session: SessionDep, access: AccessDep) -> ProjectOut:
    """One project, with the task count and last activity of its subtree."""
    access.require("read", project_id, what=f"project with id {project_id!r}")
    return _out(projects.project_stats(session, project_id, access.visible_projects()), access)


@router.get("/{project_id}/overview", response_model=ProjectOverview)
def get_overview(
    project_id: str,
    session: SessionDep,
    access: AccessDep,
    metric: Annotated[str | None, Query(max_length=1024)] = None,
    order: Annotated[str | None, Query(max_length=8)] = None,
) -> ProjectOverview:
    """The project at a glance, over its subtree: tasks by status, compute time, the
    running and the recent tasks, and (with ``metric``) the best ones.

    ``metric`` is ``METRIC:VARIANT:last|min|max`` (a ``:`` inside a name written
    ``%3A``); ``order`` is ``max`` (highest first, the default) or ``min``.
    """
    access.require("read", project_id, what=f"project with id {project_id!r}")
    best_by = project_overview.parse_best_by(metric, order)
    visible = access.visible_projects()
    project = _out(projects.project_stats(session, project_id, visible), access)
    return project_overview.project_overview(session, project, visible=visible, best_by=best_by)


def _set_archived(
    project_id: str, archived: bool, session: SessionDep, access: AccessDep
) -> ProjectOut:
    project = _readable(access, session, project_id)
    access.require("manage", project, what=f"project {project_id!r}")
    projects.set_archived(session, project_id, archived)
    audit.record(
        session,
        "project.archived" if archived else "project.unarchived",
        target_type="project",
        target_id=project.id,
        target_name=project.name,
    )
    visible = access.visible_projects()
    return _out(projects.project_stats(session, project_id, visible), access)


@router.post("/{project_id}:archive", response_model=ProjectOut)
def archive_project(project_id: str, session: SessionDep, access: AccessDep) -> ProjectOut:
    """Archive a project and its subprojects (owners): they leave the project list.

    Their experiments and models are kept and stay readable; ``:unarchive`` restores.
    """
    return _set_archived(project_id, True, session, access)


@router.post("/{project_id}:unarchive", response_model=ProjectOut)
def unarchive_project(project_id: str, session: SessionDep, access: AccessDep) -> ProjectOut:
    """Bring an archived project and its subprojects back to the project list (owners)."""
    return _set_archived(project_id, False, session, access)


@router.patch("/{project_id}", response_model=ProjectOut)
def update_project(
    project_id: str,
    body: ProjectUpdate,
    session: SessionDep,
    access: AccessDep,
    user: CurrentUser,
) -> ProjectOut:
    """Rename (subprojects follow), describe, tag (editors) or change visibility (owners)."""
    project = _readable(access, session, project_id)
    manage = body.name is not None or (
        body.visibility is not None and body.visibility != project.visibility
    )
    access.require("manage" if manage else "write", project, what=f"project {project_id!r}")
    if body.name is not None:
        parent = projects.normalize_name(body.name).rpartition("/")[0]
        if parent:
            access.require_create_project(projects.normalize_name(body.name))
    old_visibility = project.visibility
    project = projects.update_project(session, project_id, body, user)
    if project.visibility != old_visibility:
        audit.record(
            session,
            "project.visibility",
            target_type="project",
            target_id=project.id,
            target_name=project.name,
            detail={"from": old_visibility, "to": project.visibility},
        )
    return ProjectOut.model_validate(project).model_copy(
        update={"my_role": access.role(project.id)}
    )


@router.delete("/{project_id}", response_model=Ok)
def delete_project(
    project_id: str, session: SessionDep, access: AccessDep, force: bool = False
) -> Ok:
    """Delete a project and its subprojects (owners); ``force=true`` also their tasks and files."""
    project = _readable(access, session, project_id)
    access.require("manage", project, what=f"project {project_id!r}")
    name = project.name
    deleted = projects.delete_project(session, project_id, force=force)
    audit.record(
        session,
        "project.deleted",
        target_type="project",
        target_id=project_id,
        target_name=name,
        detail={"deleted_tasks": len(deleted), "force": force},
    )
    return Ok(detail={"deleted_tasks": len(deleted)})


# --- members ---------------------------------------------------------------------------


@router.get("/{project_id}/members", response_model=list[MemberOut])
def list_members(project_id: str, session: SessionDep, access: AccessDep) -> list[MemberOut]:
    """Users and teams with a role here, given on the project or inherited from an ancestor."""
    project = _readable(access, session, project_id)
    return [MemberOut.model_validate(m) for m in members.list_members(session, project)]


@router.put("/{project_id}/members", response_model=list[MemberOut])
def set_member(
    project_id: str, body: MemberSet, session: SessionDep, access: AccessDep
) -> list[MemberOut]:
    """Give a user or team a role on the project (owners and admins)."""
    project = _readable(access, session, project_id)
    access.require("manage", project, what=f"project {project_id!r}")
    members.set_member(session, project, body)
    return [MemberOut.model_validate(m) for m in members.list_members(session, project)]


@router.delete("/{project_id}/members/{member_type}/{member}", response_model=list[MemberOut])
def remove_member(
    project_id: str,
    member_type: Literal["user", "team"],
    member: Annotated[str, Path(max_length=255)],
    session: SessionDep,
    access: AccessDep,
) -> list[MemberOut]:
    """Take a user's or team's role on the project away (owners and admins)."""
    project = _readable(access, session, project_id)
    access.require("manage", project, what=f"project {project_id!r}")
    members.remove_member(session, project, member_type, member)
    return [MemberOut.model_validate(m) for m in members.list_members(session, project)]
