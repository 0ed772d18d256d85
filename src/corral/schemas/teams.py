"""Teams (groups of users, members of projects) on the wire (docs/api.md, "Teams")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from corral.schemas.common import Input, Output

#: printable, no slash (a team is named in URLs), 1-255 characters
TeamName = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=255, strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f/]+$"
    ),
]
Description = Annotated[str, StringConstraints(max_length=4096, pattern=r"^[^\x00]*$")]


class TeamCreate(Input):
    name: TeamName
    description: Description = ""


class TeamUpdate(Input):
    name: TeamName | None = None
    description: Description | None = None


class MemberRef(Output):
    id: str
    name: str


class TeamOut(Output):
    id: str
    name: str
    description: str
    #: ``local`` (managed here) or ``oidc`` (kept in step with single sign-on groups)
    source: str
    created_at: datetime
    members: list[MemberRef] = Field(default_factory=list)
