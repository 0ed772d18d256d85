"""Users, service accounts and API keys on the wire (docs/api.md, "Users, teams and keys")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from corral.schemas.common import Input, Output

UserName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"),
]
#: the policy (length, strength, not the name) is checked by the hub with a clear message
Password = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^\x00-\x1f]*$")]
#: hub roles: ``worker`` is an agent's account (register, heartbeat, dequeue, leased tasks)
Role = Literal["admin", "user", "worker"]
#: ``service``: an account for agents and automation, with API keys and no password
UserKind = Literal["person", "service"]
#: CIDR networks or single addresses, IPv4 or IPv6 (``10.0.0.0/8``, ``2001:db8::/32``)
Networks = Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=256)]
Label = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00]*$")]


class UserCreate(Input):
    name: UserName
    password: Password | None = None
    email: Email | None = None
    role: Role = "user"
    kind: UserKind = "person"
    allowed_ips: Networks = Field(default_factory=list)


class UserUpdate(Input):
    """Admins change any of these; a user changes only their own ``email``.

    ``password`` is an admin's reset: it ends that user's sessions. Users change
    their own password with ``POST /auth/password`` (which needs the old one).
    """

    password: Password | None = None
    email: Email | None = None
    role: Role | None = None
    active: bool | None = None
    allowed_ips: Networks | None = None


class TeamRef(Output):
    id: str
    name: str


class UserOut(Output):
    """A user. For a caller who is not an admin, ``email``, ``role`` and ``allowed_ips``
    of other users are null."""

    id: str
    name: str
    email: str | None
    role: str | None
    kind: str = "person"
    auth_source: str = "local"
    active: bool
    created_at: datetime
    allowed_ips: list[str] | None = None
    teams: list[TeamRef] = Field(default_factory=list)


class KeyCreate(Input):
    label: Label = ""
    #: admins may create a key for another user (id or name)
    user_id: str | None = None
    #: the key may only read (GET), whatever its user's roles
    read_only: bool = False
    #: project ids or names: the key sees only these and their subprojects (empty: no limit)
    projects: Annotated[
        list[Annotated[str, StringConstraints(max_length=1024)]], Field(max_length=256)
    ] = Field(default_factory=list)
    #: the key stops working at this time (UTC when no zone is given)
    expires_at: datetime | None = None
    #: the key works only from these networks (empty: from anywhere its user may)
    allowed_ips: Networks = Field(default_factory=list)


class KeyOut(Output):
    id: str
    access_key: str
    user_id: str
    label: str
    #: ``user``, or ``task`` for a token the hub made for a running task
    kind: str = "user"
    read_only: bool = False
    projects: list[str] = Field(default_factory=list)
    allowed_ips: list[str] = Field(default_factory=list)
    task_id: str | None = None
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None
    last_used_address: str | None = None
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    """Returned once, at creation: the secret is never shown again."""

    secret_key: str


class Login(Input):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class SessionOut(Output):
    user: UserOut
    csrf_token: str
    expires_at: datetime


class SessionInfo(Output):
    """One browser session of a user (``GET /auth/sessions``)."""

    #: the first 16 hex characters of the token's hash (never the cookie itself)
    id: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime | None
    address: str | None
    user_agent: str
    #: the session this request was made with
    current: bool


class PasswordChange(Input):
    old_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    #: checked against the password policy (length, strength, not the user name)
    new_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
