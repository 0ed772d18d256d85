"""Authorization: the one seam every route, list and stream goes through.

``Access(session, principal)`` answers two questions for one caller:

* ``can(action, resource)`` / ``require(action, resource)``: may the caller do
  ``action`` (``read``, ``write``, ``manage``; hub actions ``admin`` and ``work``)
  on ``resource`` (a project, task or model, a project id, or None for the hub)?
* ``visible_projects()`` / ``where_visible(column)``: which projects may the
  caller read (None: all), for list queries, searches and streams.

The rules (docs/architecture.md, "Authorization"):

* hub roles: ``admin`` may do everything; ``user``; ``worker`` (an agent's
  account) reads and updates only tasks leased to its workers, and does the
  agent calls (``work``);
* project roles ``viewer`` < ``editor`` < ``owner`` for users and teams,
  inherited by subprojects; ``Project.owner_id`` is an owner;
* ``public`` projects give every user ``public_role`` (viewer by default);
  ``private`` ones (or those under a private ancestor) only their members;
* credential scopes narrow this: a read-only key is a viewer everywhere, a key
  limited to projects sees nothing else, and a task token writes only its own
  task, its children and new objects of its project;
* what the caller cannot read is 404 (as if it did not exist); what it can read
  but not change is 403.

Everything is answered from one load of the project table and the caller's
memberships (two small queries), made the first time a request asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from corral.errors import NotFoundError, PermissionDeniedError
from corral.server.auth.principal import (
    EDITOR,
    OWNER,
    RANK,
    VIEWER,
    WORKER,
    Principal,
)
from corral.server.db.models import Model, Project, ProjectMember, Task, TeamMember, Worker

Action = Literal["read", "write", "manage", "admin", "work"]
_NEEDS = {"read": VIEWER, "write": EDITOR, "manage": OWNER}


@dataclass(frozen=True)
class _Node:
    id: str
    name: str
    parent_id: str | None
    private: bool
    owner_id: str | None


def _stronger(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if RANK[a] >= RANK[b] else b


def _weaker(a: str | None, cap: str) -> str | None:
    if a is None:
        return None
    return a if RANK[a] <= RANK[cap] else cap


class Access:
    """What one caller may do; build one per request (``api.deps.AccessDep``)."""

    def __init__(self, session: Session, principal: Principal, *, public_role: str = VIEWER):
        self.session = session
        self.principal = principal
        self.public_role = public_role
        self._roles: dict[str, str | None] | None = None
        self._nodes: dict[str, _Node] = {}
        self._leased: set[str] | None = None
        self._members: frozenset[str] = frozenset()
        self._private: frozenset[str] = frozenset()

    # --- the caller's roles ------------------------------------------------------------

    def _load(self) -> dict[str, str | None]:
        if self._roles is not None:
            return self._roles
        p = self.principal
        rows = self.session.execute(
            select(
                Project.id, Project.name, Project.parent_id, Project.visibility, Project.owner_id
            )
        ).all()
        nodes = {r[0]: _Node(r[0], r[1], r[2], r[3] == "private", r[4]) for r in rows}
        teams = select(TeamMember.team_id).where(TeamMember.user_id == p.user_id)
        direct: dict[str, str | None] = {}
        for project_id, role in self.session.execute(
            select(ProjectMember.project_id, ProjectMember.role).where(
                or_(
                    (ProjectMember.member_type == "user") & (ProjectMember.member_id == p.user_id),
                    (ProjectMember.member_type == "team") & ProjectMember.member_id.in_(teams),
                )
            )
        ):
            direct[project_id] = _stronger(direct.get(project_id), role)
        for node in nodes.values():
            if node.owner_id == p.user_id:
                direct[node.id] = OWNER
        explicit: dict[str, str | None] = {}
        private: dict[str, bool] = {}

        def resolve(pid: str) -> None:
            chain = []
            cur: str | None = pid
            while cur is not None and cur not in explicit and cur in nodes:
                chain.append(cur)
                cur = nodes[cur].parent_id
            for node_id in reversed(chain):
                parent = nodes[node_id].parent_id
                inherited = explicit.get(parent) if parent else None
                explicit[node_id] = _stronger(direct.get(node_id), inherited)
                private[node_id] = nodes[node_id].private or (
                    private.get(parent, False) if parent else False
                )

        for pid in nodes:
            resolve(pid)
        roles = {pid: self._scoped(pid, nodes, explicit, private) for pid in nodes}
        self._nodes = nodes
        self._roles = roles
        self._members = frozenset(pid for pid, role in explicit.items() if role is not None)
        self._private = frozenset(pid for pid, hidden in private.items() if hidden)
        return roles

    def _scoped(
        self,
        pid: str,
        nodes: dict[str, _Node],
        explicit: dict[str, str | None],
        private: dict[str, bool],
    ) -> str | None:
        p = self.principal
        if p.role == WORKER:
            return None
        if p.role == "admin":
            role: str | None = OWNER
        else:
            role = explicit[pid] or (None if private[pid] else self.public_role)
        if p.projects and not self._in_scope(pid, nodes, p.projects):
            return None
        if p.read_only:
            role = _weaker(role, VIEWER)
        if p.task_id is not None:
            role = _weaker(role, EDITOR if pid == p.task_project_id else VIEWER)
        return role

    @staticmethod
    def _in_scope(pid: str, nodes: dict[str, _Node], scope: frozenset[str]) -> bool:
        cur: str | None = pid
        while cur is not None:
            if cur in scope:
                return True
            cur = nodes[cur].parent_id if cur in nodes else None
        return False

    def role(self, project_id: str | None) -> str | None:
        """The caller's effective role on a project (None: may not read it)."""
        if project_id is None:
            return None
        return self._load().get(project_id)

    def memberships(self) -> tuple[frozenset[str], frozenset[str]]:
        """(projects where the caller has a role of its own or inherited, private projects)."""
        self._load()
        return self._members, self._private

    def project_name(self, project_id: str) -> str:
        self._load()
        node = self._nodes.get(project_id)
        return node.name if node else project_id

    def visible_projects(self) -> frozenset[str] | None:
        """Ids of the projects the caller may read; None when it may read them all."""
        if self.principal.is_admin:
            return None
        return frozenset(pid for pid, role in self._load().items() if role is not None)

    def where_visible(self, column: Any) -> ColumnElement[bool] | None:
        """A WHERE clause keeping rows of readable projects (None: no filter needed)."""
        visible = self.visible_projects()
        if visible is None:
            return None
        if not visible:
            return false()
        return column.in_(sorted(visible))  # type: ignore[no-any-return]

    # --- workers ------------------------------------------------------------------------

    def leased(self, task: Task) -> bool:
        """Is ``task`` leased to (or run by) one of the calling worker account's workers?"""
        if self.principal.role not in (WORKER, "admin") or task.worker is None:
            return False
        if self.principal.task_id is not None or self.principal.read_only:
            return False
        if self._leased is None:
            self._leased = set(
                self.session.scalars(select(Worker.id).where(Worker.user_id == self.principal.id))
            )
        return task.worker in self._leased

    # --- decisions ----------------------------------------------------------------------

    def can(self, action: Action, resource: Project | Task | Model | str | None = None) -> bool:
        p = self.principal
        if action == "admin":
            return p.is_admin
        if action == "work":
            return p.role in (WORKER, "admin") and p.task_id is None and not p.projects
        if isinstance(resource, Task) and p.role == WORKER:
            return action in ("read", "write") and self.leased(resource)
        project_id = _project_of(resource)
        if project_id is None:
            # a model outside any project: everyone reads it, its owner and admins change it
            if action == "read":
                return p.role != WORKER
            owner = resource.user_id if isinstance(resource, Model) else None
            return (p.is_admin or owner == p.user_id) and not p.read_only and p.task_id is None
        role = self.role(project_id)
        if role is None or RANK[role] < RANK[_NEEDS[action]]:
            return False
        if p.task_id is not None and action != "read" and isinstance(resource, Task):
            return p.task_id in (resource.id, resource.parent_id)
        return True

    def require(
        self,
        action: Action,
        resource: Project | Task | Model | str | None = None,
        *,
        what: str = "",
    ) -> None:
        """Raise unless the caller may do ``action``: 404 if it may not even read it, else 403."""
        if self.can(action, resource):
            return
        p = self.principal
        if action in ("admin", "work"):
            if action == "admin":
                raise PermissionDeniedError(_admin_message(p))
            raise PermissionDeniedError(
                "only an agent's account (role 'worker') or an admin may do this"
            )
        if not self.can("read", resource):
            raise NotFoundError(f"no {what or _describe(resource)}")
        raise PermissionDeniedError(self._why_not(action, resource))

    def require_project(self, action: Action, project_id: str) -> None:
        self.require(action, project_id, what=f"project {project_id!r}")

    def _why_not(self, action: Action, resource: Project | Task | Model | str | None) -> str:
        p = self.principal
        if p.read_only:
            return "this API key is read-only; use a key that may write"
        if p.task_id is not None:
            return (
                "a task's token may change only its own task, its children and new objects "
                "of its project"
            )
        project_id = _project_of(resource)
        role = self.role(project_id)
        name = self.project_name(project_id) if project_id else ""
        need = _NEEDS[action]
        return (
            f"you are a {role} of project {name!r}; this needs the {need} role "
            f"(ask an owner of the project or an admin)"
        )

    def require_create_project(self, name: str) -> None:
        """May the caller create project ``name`` (and its missing parents)?

        Under an existing project it needs ``write`` there; a new top-level project
        needs a full credential of a user (not a worker, a task token, a read-only or
        a project-limited key).
        """
        self._load()
        by_name = {node.name: node for node in self._nodes.values()}
        parts = name.split("/")
        for depth in range(len(parts) - 1, 0, -1):
            node = by_name.get("/".join(parts[:depth]))
            if node is not None:
                self.require("write", node.id, what=f"project {node.name!r}")
                return
        p = self.principal
        if p.role == WORKER or p.read_only or p.task_id is not None or p.projects:
            raise PermissionDeniedError(
                "this credential may not create top-level projects; "
                "create the project with your own full key, or ask an admin"
            )

    def filter_readable(self, items: Iterable[Any], project_of: Any) -> list[Any]:
        """The items whose project the caller may read (``project_of(item)`` -> project id)."""
        visible = self.visible_projects()
        if visible is None:
            return list(items)
        return [i for i in items if project_of(i) in visible]


def _project_of(resource: Project | Task | Model | str | None) -> str | None:
    if resource is None or isinstance(resource, str):
        return resource
    if isinstance(resource, Project):
        return resource.id
    return resource.project_id


def _describe(resource: Project | Task | Model | str | None) -> str:
    if isinstance(resource, Task):
        return f"task {resource.id!r}"
    if isinstance(resource, Model):
        return f"model {resource.id!r}"
    if isinstance(resource, Project):
        return f"project {resource.id!r}"
    return f"project {resource!r}"


def _admin_message(p: Principal) -> str:
    if p.role == "admin" and p.projects:
        return "this API key is limited to some projects; hub administration needs a full key"
    if p.role == "admin" and p.task_id is not None:
        return "a task's token cannot administer the hub"
    return "only an admin may do this"
