"""What an open change stream or long-poll may see, and when it must end.

A stream computes its caller's readable projects once, at the start. Changes of
other projects are not sent. The stream ends (and an ``EventSource`` reconnects,
computing anew, or gets a 401) when:

* the caller's credential is revoked: a ``key``/``revoked`` change for its key, a
  ``session``/``revoked`` change for its browser session, or any ``user`` change
  of the caller (deactivation, role, password: all end it);
* what it may see may have changed: a project's members or settings changed, a
  team changed, or a change names a project unknown when the stream began (a new
  project, perhaps a public one). Admins' streams see every project and do not
  end for these.

``allows`` is called for every change offered to the stream, in the event loop:
it only compares ids.
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
    #: readable projects (None: all)
    visible: frozenset[str] | None
    #: every project that existed when the scope was computed
    known: frozenset[str] = field(default_factory=frozenset)
    #: why the stream must end ("" while it may go on)
    ended: str = ""
    #: a worker account's stream: the tasks its workers held when the scope was computed
    #: (their changes are sent, so an agent hears of an abort at once); None otherwise
    held: frozenset[str] | None = None

    @classmethod
    def compute(cls, session: Session, principal: Principal, public_role: str) -> StreamScope:
        access = Access(session, principal, public_role=public_role)
        visible = access.visible_projects()
        known = (
            frozenset(session.scalars(select(Project.id))) if visible is not None else frozenset()
        )
        held = None
        if principal.role == WORKER and principal.task_id is None:
            workers = select(Worker.id).where(Worker.user_id == principal.user_id)
            held = frozenset(
                session.scalars(
                    select(Task.id).where(
                        Task.worker.in_(workers), Task.status.in_([s.value for s in ACTIVE])
                    )
                )
            )
        return cls(principal, visible, known, held=held)

    def allows(self, change: ChangeOut) -> bool:
        """Send this change? (Also notes when the stream must end: then True, to wake it.)"""
        if self.ended:
            return False
        why = self._ends(change)
        if why:
            self.ended = why
            return True
        if self.visible is None:
            return True
        if change.entity_type in _PERSONAL:
            return self._personal(change)
        if self.held is not None and change.entity_type == "task":
            return change.entity_id in self.held
        if change.project_id is not None:
            return change.project_id in self.visible
        return True

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
        if change.project_id is not None and change.project_id not in self.known:
            return "a new project"
        return ""
