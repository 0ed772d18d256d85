"""What an open change stream or long-poll may see, and when it must end.

A stream computes what its caller may read once, at the start. Changes of other
projects are not sent; a project created later is judged from its ``created``
change (its parent, visibility and owner), so a new project shows up at once. The
stream ends (and an ``EventSource`` reconnects, computing anew, or gets a 401) on a
change made after the scope was computed that

* revokes the caller's credential: a ``key``/``revoked`` change for its key, a
  ``session``/``revoked`` change for its browser session, or any ``user`` change of
  the caller (deactivation, role, password: all end it);
* may change what it sees (non-admins only): a project's members, settings or
  deletion, or a team.

The change that ends a stream is sent first (it is the caller's own, or only says
that something changed), so a reconnecting ``EventSource`` resumes after it
instead of ending again. ``allows`` is called for every change offered to the
stream, in the event loop: it only compares ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from corral.core.task_status import ACTIVE
from corral.schemas.changes import ChangeOut
from corral.server.auth.policy import Access
from corral.server.auth.principal import WORKER, Principal
from corral.server.db.models import Project, Task, Worker

#: changes (entity type, action) after which a non-admin stream recomputes what it sees
_SCOPE_CHANGES = {("project", "members"), ("project", "updated"), ("project", "deleted")}
#: entity types only their own user (or an admin) sees
_PERSONAL = {"user", "key", "session", "team", "quota"}


@dataclass
class StreamScope:
    principal: Principal
    #: readable projects (None: all); grows as readable projects are created
    visible: set[str] | None
    #: every project that existed when the scope was computed, and those created since
    known: set[str] = field(default_factory=set)
    #: projects where the caller has a role of its own (given or inherited)
    members: set[str] = field(default_factory=set)
    #: private projects (themselves or by an ancestor)
    private: set[str] = field(default_factory=set)
    #: the newest change when the scope was computed: older ones are already in it
    since: int = 0
    #: why the stream must end ("" while it may go on)
    ended: str = ""
    #: a worker account's stream: the tasks its workers hold (their changes are sent,
    #: so an agent hears of an abort at once); None otherwise
    held: set[str] | None = None
    #: a worker account's workers
    workers: frozenset[str] = frozenset()

    @classmethod
    def compute(
        cls, session: Session, principal: Principal, public_role: str, since: int
    ) -> StreamScope:
        """The scope now; ``since``: the newest change id, read before this (same session)."""
        access = Access(session, principal, public_role=public_role)
        visible = access.visible_projects()
        scope = cls(principal, None if visible is None else set(visible), since=since)
        if visible is not None:
            scope.known = set(session.scalars(select(Project.id)))
            members, private = access.memberships()
            scope.members, scope.private = set(members), set(private)
        if principal.role == WORKER and principal.task_id is None:
            scope.workers = frozenset(
                session.scalars(select(Worker.id).where(Worker.user_id == principal.user_id))
            )
            scope.held = set(
                session.scalars(
                    select(Task.id).where(
                        Task.worker.in_(scope.workers),
                        Task.status.in_([s.value for s in ACTIVE]),
                    )
                )
            )
        return scope

    def allows(self, change: ChangeOut) -> bool:
        """Send this change? (Also notes when the stream must end: then True, to send it.)"""
        if self.ended:
            return False
        why = self._ends(change) if change.id > self.since else ""
        if why:
            self.ended = why
            return True
        if self.visible is None:
            return True
        if change.entity_type in _PERSONAL:
            return self._personal(change)
        if self.held is not None and change.entity_type == "task":
            if change.action == "leased" and (change.payload or {}).get("worker") in self.workers:
                self.held.add(change.entity_id)
            return change.entity_id in self.held
        project_id = change.project_id
        if project_id is None:
            return True
        if project_id not in self.known:
            if change.entity_type != "project" or change.action != "created":
                return False  # a project deleted since (a replayed change), or unknown
            self._learn(change)
        return project_id in self.visible

    def _learn(self, change: ChangeOut) -> None:
        """A project created after the scope was computed: may the caller read it?"""
        assert self.visible is not None and change.project_id is not None
        project_id, payload, p = change.project_id, change.payload or {}, self.principal
        self.known.add(project_id)
        parent = payload.get("parent_id")
        member = payload.get("owner_id") == p.user_id or parent in self.members
        private = payload.get("visibility") == "private" or parent in self.private
        if private:
            self.private.add(project_id)
        if member:
            self.members.add(project_id)
        in_key_scope = not p.projects or (parent is not None and parent in self.visible)
        if p.role != WORKER and in_key_scope and (member or not private):
            self.visible.add(project_id)

    def _personal(self, change: ChangeOut) -> bool:
        p = self.principal
        payload = change.payload or {}
        return change.entity_id == p.user_id or payload.get("user_id") == p.user_id

    def _ends(self, change: ChangeOut) -> str:
        p = self.principal
        kind = change.entity_type
        if kind == "key" and change.action == "revoked" and change.entity_id == p.key_id:
            return "the key was revoked"
        if (
            kind == "session"
            and change.action == "revoked"
            and p.session_id
            and change.entity_id == p.session_id[:16]
        ):
            return "the session ended"
        if kind == "user" and change.entity_id == p.user_id:
            return "the account changed"
        if self.visible is None:
            return ""
        if kind == "team" or (kind, change.action) in _SCOPE_CHANGES:
            return "what this stream may see changed"
        return ""
