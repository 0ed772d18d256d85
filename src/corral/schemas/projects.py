from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from corral.schemas.common import PROJECT_NAME_MAX, Input, Output, Tags, Text

ProjectName = Annotated[
    str,
    StringConstraints(
        min_length=1,
        max_length=PROJECT_NAME_MAX,
        strip_whitespace=True,
        # segments separated by "/", none empty, no control characters
        pattern=r"^[^/\x00-\x1f]+(/[^/\x00-\x1f]+)*$",
    ),
]
Visibility = Literal["public", "private"]


class ProjectCreate(Input):
    name: ProjectName
    description: Text = ""
    visibility: Visibility = "public"
    tags: Tags = []


class ProjectUpdate(Input):
    name: ProjectName | None = None
    description: Text | None = None
    visibility: Visibility | None = None
    tags: Tags | None = None


class ProjectOut(Output):
    id: str
    name: str
    parent_id: str | None
    description: str
    visibility: str
    owner_id: str | None
    tags: list[str]
    created_at: datetime
    last_update: datetime
    #: tasks of the project and of all its subprojects
    task_count: int | None = None
    #: the newest ``last_update`` of the project, its subprojects and all their tasks
    last_activity: datetime | None = None
    #: the caller's role on the project: owner, editor or viewer
    my_role: str | None = None


MemberType = Literal["user", "team"]
ProjectRole = Literal["owner", "editor", "viewer"]


class MemberSet(Input):
    """Give a user or a team a role on a project (and so on its subprojects)."""

    member_type: MemberType = "user"
    #: the user's or team's id or name
    member: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    role: ProjectRole


class MemberOut(Output):
    member_type: str
    member_id: str
    name: str
    role: str
    #: the ancestor project the role comes from (None: given on this project)
    inherited_from: str | None = None
    inherited_from_name: str | None = None
