from __future__ import annotations

from fastapi import APIRouter

from corral.schemas.common import Ok
from corral.schemas.projects import ProjectCreate, ProjectOut, ProjectUpdate
from corral.server.api.deps import CurrentUser, SessionDep
from corral.server.services import projects

router = APIRouter(prefix="/projects", tags=["projects"])


def _out(row: projects.ProjectStats) -> ProjectOut:
    return ProjectOut.model_validate(row.project).model_copy(
        update={"task_count": row.task_count, "last_activity": row.last_activity}
    )


@router.get("", response_model=list[ProjectOut])
def list_projects(
    session: SessionDep,
    _user: CurrentUser,
    parent_id: str | None = None,
    search: str | None = None,
    top_level: bool = False,
    name: str | None = None,
) -> list[ProjectOut]:
    """All projects (or the children of ``parent_id``) by name.

    ``search`` matches a part of the name or description; ``name`` the whole name (at
    most one project: how the SDK finds a project by its name).

    ``task_count`` counts the tasks of the project and of all its subprojects;
    ``last_activity`` is the newest ``last_update`` among them and their tasks.
    """
    rows = projects.list_projects(
        session, parent_id=parent_id, search=search, top_level=top_level, name=name
    )
    return [_out(row) for row in rows]


@router.post("", response_model=ProjectOut, status_code=201)
def create_project(body: ProjectCreate, session: SessionDep, user: CurrentUser) -> ProjectOut:
    """Create a project; missing parents of a name like ``a/b/c`` are created too."""
    return ProjectOut.model_validate(projects.create_project(session, body, user))


@router.get("/{project_id}", response_model=ProjectOut)
def get_project(project_id: str, session: SessionDep, _user: CurrentUser) -> ProjectOut:
    """One project, with the task count and last activity of its subtree."""
    return _out(projects.project_stats(session, project_id))


@router.patch("/{project_id}", response_model=ProjectOut)
def update_project(
    project_id: str, body: ProjectUpdate, session: SessionDep, _user: CurrentUser
) -> ProjectOut:
    """Rename (subprojects follow), describe, tag or change visibility."""
    return ProjectOut.model_validate(projects.update_project(session, project_id, body))


@router.delete("/{project_id}", response_model=Ok)
def delete_project(
    project_id: str, session: SessionDep, _user: CurrentUser, force: bool = False
) -> Ok:
    """Delete a project and its subprojects; with ``force=true`` also their tasks and files."""
    deleted = projects.delete_project(session, project_id, force=force)
    return Ok(detail={"deleted_tasks": len(deleted)})
