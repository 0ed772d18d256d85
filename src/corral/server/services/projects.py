"""Projects with hierarchical names (``team/nasa/asteroids``); parents are created as needed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Subquery, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from corral.errors import ConflictError, NotFoundError, ValidationError
from corral.schemas.projects import ProjectCreate, ProjectUpdate
from corral.server.db.models import Project, Task, User
from corral.server.services import changes, deletion
from corral.server.services.clock import now


def normalize_name(name: str) -> str:
    parts = [p.strip() for p in name.split("/")]
    if any(not p for p in parts):
        raise ValidationError(f"invalid project name {name!r}: empty path segment")
    return "/".join(parts)


def get_project(session: Session, project_id: str) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFoundError(f"no project with id {project_id!r}")
    return project


def find_by_name(session: Session, name: str) -> Project | None:
    return session.scalar(select(Project).where(Project.name == normalize_name(name)))


def _create(
    session: Session,
    name: str,
    parent: Project | None,
    user: User | None,
    visibility: str = "public",
) -> Project:
    """Create one project, or take the one a concurrent request has just created."""
    project = Project(
        name=name,
        parent_id=parent.id if parent else None,
        owner_id=user.id if user else None,
        visibility=visibility,
    )
    try:
        with session.begin_nested():  # a savepoint: a lost race leaves the transaction usable
            session.add(project)
            session.flush()
    except IntegrityError:
        existing = find_by_name(session, name)
        if existing is None:
            raise
        return existing
    # who may see it, for the change streams open now (auth.streams)
    payload = {
        "name": name,
        "parent_id": project.parent_id,
        "visibility": project.visibility,
        "owner_id": project.owner_id,
    }
    changes.record(
        session, "project", project.id, "created", project_id=project.id, payload=payload
    )
    return project


def ensure_project(
    session: Session, name: str, user: User | None, visibility: str = "public"
) -> Project:
    """Return the project named ``name``, creating it and its missing parents.

    ``visibility`` is the new project's (its missing parents are public).
    """
    name = normalize_name(name)
    existing = find_by_name(session, name)
    if existing is not None:
        return existing
    parent: Project | None = None
    parts = name.split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        own = visibility if depth == len(parts) else "public"
        project = find_by_name(session, prefix) or _create(session, prefix, parent, user, own)
        parent = project
    assert parent is not None
    return parent


def create_project(session: Session, data: ProjectCreate, user: User) -> Project:
    if find_by_name(session, data.name) is not None:
        raise ConflictError(f"a project named {data.name!r} already exists")
    project = ensure_project(session, data.name, user, data.visibility)
    project.description = data.description
    project.tags = list(data.tags)
    session.flush()
    return project


def descendants(session: Session, project: Project) -> list[Project]:
    return list(
        session.scalars(
            select(Project).where(Project.name.startswith(project.name + "/", autoescape=True))
        )
    )


def update_project(
    session: Session, project_id: str, data: ProjectUpdate, user: User | None = None
) -> Project:
    project = get_project(session, project_id)
    if data.name is not None:
        new_name = normalize_name(data.name)
        if new_name != project.name:
            _rename(session, project, new_name, user)
    if data.description is not None:
        project.description = data.description
    if data.visibility is not None:
        project.visibility = data.visibility
    if data.tags is not None:
        project.tags = list(data.tags)
    project.last_update = now()
    session.flush()
    changes.record(
        session,
        "project",
        project.id,
        "updated",
        project_id=project.id,
        payload={"name": project.name},
    )
    return project


def _rename(session: Session, project: Project, new_name: str, user: User | None) -> None:
    if new_name.startswith(project.name + "/"):
        raise ValidationError("a project cannot be moved under itself")
    if find_by_name(session, new_name) is not None:
        raise ConflictError(f"a project named {new_name!r} already exists")
    old = project.name
    subtree = descendants(session, project)
    parent_name = new_name.rpartition("/")[0]
    # a parent made for the move belongs to whoever moved the project
    parent = ensure_project(session, parent_name, user) if parent_name else None
    project.name = new_name
    project.parent_id = parent.id if parent else None
    for child in subtree:
        child.name = new_name + child.name[len(old) :]
    session.flush()


@dataclass
class ProjectStats:
    """A project with the figures of its whole subtree (itself and every subproject)."""

    project: Project
    task_count: int
    #: the newest ``last_update`` of the subtree's tasks and projects
    last_activity: datetime


def _with_stats(
    session: Session, listed: Subquery, visible: frozenset[str] | None = None
) -> list[ProjectStats]:
    """The projects ``listed`` (a subquery of ``Project.id``) with their subtree's figures.

    One statement: a recursive walk down ``parent_id`` from each listed project pairs it
    with every project of its subtree, and the tasks of those are counted per project
    once, so a page of projects costs the same whatever the depth or the count.
    ``visible``: the projects the caller may read (None: all); the others are neither
    listed nor counted.
    """
    child = aliased(Project)
    tree = select(listed.c.id.label("root"), listed.c.id.label("node"))
    tree_cte = tree.cte("tree", recursive=True)
    step = select(tree_cte.c.root, child.id).where(child.parent_id == tree_cte.c.node)
    if visible is not None:
        step = step.where(child.id.in_(sorted(visible)))
    tree_cte = tree_cte.union_all(step)
    own = (
        select(
            Task.project_id,
            func.count().label("n"),
            func.max(Task.last_update).label("last"),
        )
        .where(Task.project_id.in_(select(tree_cte.c.node)))
        .group_by(Task.project_id)
        .subquery("own")
    )
    node = aliased(Project)
    stats = (
        select(
            tree_cte.c.root,
            func.coalesce(func.sum(own.c.n), 0).label("n"),
            func.max(own.c.last).label("tasks_last"),
            func.max(node.last_update).label("projects_last"),
        )
        .join(node, node.id == tree_cte.c.node)
        .outerjoin(own, own.c.project_id == tree_cte.c.node)
        .group_by(tree_cte.c.root)
        .subquery("stats")
    )
    q = (
        select(Project, stats.c.n, stats.c.tasks_last, stats.c.projects_last)
        .join(stats, stats.c.root == Project.id)
        .order_by(Project.name)
    )
    return [
        ProjectStats(p, int(n), max(t for t in (tasks_last, projects_last) if t is not None))
        for p, n, tasks_last, projects_last in session.execute(q)
    ]


def list_projects(
    session: Session,
    *,
    parent_id: str | None = None,
    search: str | None = None,
    top_level: bool = False,
    name: str | None = None,
    visible: frozenset[str] | None = None,
    archived: bool | None = False,
) -> list[ProjectStats]:
    """Projects by name, each with the task count and last activity of its subtree.

    ``search``: a part of the name or description; ``name``: the whole name (archived
    or not); ``visible``: the projects the caller may read (None: all); ``archived``:
    False hides archived projects, True lists only them, None both.
    """
    q = select(Project.id)
    if visible is not None:
        q = q.where(Project.id.in_(sorted(visible)))
    if name is not None:
        q = q.where(Project.name == name)
    elif archived is not None:
        q = q.where(Project.archived == archived)
    if parent_id:
        q = q.where(Project.parent_id == parent_id)
    elif top_level:
        q = q.where(Project.parent_id.is_(None))
    if search:
        q = q.where(
            or_(
                Project.name.icontains(search, autoescape=True),
                Project.description.icontains(search, autoescape=True),
            )
        )
    return _with_stats(session, q.subquery("listed"), visible)


def project_stats(
    session: Session, project_id: str, visible: frozenset[str] | None = None
) -> ProjectStats:
    """One project with its subtree's figures.

    Raises:
        NotFoundError: no such project.
    """
    rows = _with_stats(
        session, select(Project.id).where(Project.id == project_id).subquery(), visible
    )
    if not rows:
        raise NotFoundError(f"no project with id {project_id!r}")
    return rows[0]


def set_archived(session: Session, project_id: str, archived: bool) -> Project:
    """Archive (or restore) a project and its whole subtree; their tasks are untouched.

    An archived project leaves the project list (``archived=true`` lists it) but keeps
    everything: its experiments stay readable and open from their links.
    """
    project = get_project(session, project_id)
    stamp = now()
    for p in [project, *descendants(session, project)]:
        if p.archived != archived:
            p.archived = archived
            p.last_update = stamp
            changes.record(
                session, "project", p.id, "updated", project_id=p.id, payload={"name": p.name}
            )
    session.flush()
    return project


def delete_project(session: Session, project_id: str, *, force: bool) -> list[str]:
    """Delete a project and its subprojects; with ``force``, their tasks and models too.

    Returns the deleted task ids (the cascade is ``deletion.delete_project_tree``).
    """
    project = get_project(session, project_id)
    return deletion.delete_project_tree(
        session, [project, *descendants(session, project)], force=force
    )
