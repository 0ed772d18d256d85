from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from corral.schemas.common import Input, Output

UserName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]
Role = Literal["admin", "user"]


class UserCreate(Input):
    name: UserName
    password: Password | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    role: Role = "user"


class UserUpdate(Input):
    password: Password | None = None
    email: Annotated[str, StringConstraints(max_length=320)] | None = None
    role: Role | None = None
    active: bool | None = None


class UserOut(Output):
    id: str
    name: str
    email: str | None
    role: str
    active: bool
    created_at: datetime


class KeyCreate(Input):
    label: Annotated[str, StringConstraints(max_length=255)] = ""
    #: admins may create a key for another user
    user_id: str | None = None


class KeyOut(Output):
    id: str
    access_key: str
    user_id: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
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
