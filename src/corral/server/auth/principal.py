"""Who is calling: the user, and the limits of the credential they called with.

A :class:`Principal` is plain data, made once per request by the authentication
dependency (``api/deps.py``) in a short session of its own, so it can outlive
that session (streams and long-polls keep it for their whole life).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: hub-wide roles
ADMIN = "admin"
USER = "user"
WORKER = "worker"
HUB_ROLES = (ADMIN, USER, WORKER)

#: project roles, weakest first
VIEWER = "viewer"
EDITOR = "editor"
OWNER = "owner"
PROJECT_ROLES = (VIEWER, EDITOR, OWNER)
RANK = {VIEWER: 1, EDITOR: 2, OWNER: 3}


@dataclass(frozen=True)
class Principal:
    """The caller of one request.

    ``key_id``/``session_id`` name the credential (for revocation and "last used");
    the other fields are the credential's scope: ``read_only``, ``projects`` (ids;
    empty: no limit) and, for a task token, ``task_id`` and ``task_project_id``.
    """

    user_id: str
    name: str
    role: str
    kind: str = "person"
    key_id: str | None = None
    session_id: str | None = None
    read_only: bool = False
    projects: frozenset[str] = field(default_factory=frozenset)
    task_id: str | None = None
    task_project_id: str | None = None
    expires_at: datetime | None = None
    address: str | None = None

    @property
    def id(self) -> str:
        """The user's id (so a principal reads like the ``User`` it acts for)."""
        return self.user_id

    @property
    def is_admin(self) -> bool:
        """Hub admin with a credential that may use it (no project or task limit)."""
        return self.role == ADMIN and not self.projects and self.task_id is None

    @property
    def is_task_token(self) -> bool:
        return self.task_id is not None

    @property
    def is_worker(self) -> bool:
        return self.role == WORKER

    @property
    def credential(self) -> str:
        """``key:<id>`` or ``session:<id>``: what a revocation names."""
        if self.key_id:
            return f"key:{self.key_id}"
        return f"session:{self.session_id or ''}"
