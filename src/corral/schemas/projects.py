from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import StringConstraints

from corral.schemas.common import PROJECT_NAME_MAX, Input, Output, Tags, Text
from corral.schemas.tasks import TaskBrief

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
    #: archived projects are left out of ``GET /projects`` (``archived=true`` lists them)
    archived: bool = False


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


MetricOrder = Literal["max", "min"]


class BestBy(Output):
    """The metric the ``best`` runs of an overview are ranked by."""

    metric: str
    variant: str
    #: which summary of the series: its last, smallest or largest value
    value: Literal["last", "min", "max"]
    #: ``max``: the highest first; ``min``: the lowest first
    order: MetricOrder


class ProjectOverview(Output):
    """A project at a glance: its subtree's runs by status, what runs now, the best."""

    project: ProjectOut
    #: tasks of the project and its subprojects (archived ones apart) by status
    counts: dict[str, int]
    #: archived tasks of the subtree
    archived_count: int
    #: models of the project and its subprojects
    model_count: int
    #: subprojects at any depth
    subproject_count: int
    #: seconds from start to end summed over every task that has started (a running
    #: task counts up to its last report)
    compute_seconds: float
    #: the running tasks, newest report first (at most 20)
    running: list[TaskBrief]
    #: the tasks changed last (at most 10)
    recent: list[TaskBrief]
    #: the tasks ranked by ``best_by`` (at most 10; empty without a metric)
    best: list[TaskBrief]
    best_by: BestBy | None = None
    #: ``METRIC:VARIANT`` of every series reported in the subtree (at most 500), to
    #: choose the ranking metric from (a ``%`` or ``:`` in a name written ``%25``, ``%3A``)
    metric_series: list[str]
