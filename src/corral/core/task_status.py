"""The task state machine.

::

    created --enqueue--> queued --start--> in_progress --complete--> completed --publish--> published
       ^  \\______________start_____________/     |  \\--fail--> failed
       |         queued --dequeue--> created      \\--stop---> stopped
       +------------------- reset (from anything but created/published)

``abort`` is ``stop`` requested by a user: allowed from queued and in_progress.
``continue`` takes a finished (not published) task back to in_progress: a script that
continues its own earlier run (``Task.init(continue_last_task=...)``) appends to it.
Archiving is a flag, not a status.
"""

from __future__ import annotations

from enum import Enum

from corral.errors import ConflictError


class TaskStatus(str, Enum):
    created = "created"
    queued = "queued"
    in_progress = "in_progress"
    completed = "completed"
    failed = "failed"
    stopped = "stopped"
    published = "published"


S = TaskStatus

#: action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[TaskStatus], TaskStatus]] = {
    "enqueue": (frozenset({S.created}), S.queued),
    "dequeue": (frozenset({S.queued}), S.created),
    "start": (frozenset({S.created, S.queued}), S.in_progress),
    "complete": (frozenset({S.in_progress}), S.completed),
    "fail": (frozenset({S.queued, S.in_progress}), S.failed),
    "stop": (frozenset({S.queued, S.in_progress}), S.stopped),
    "abort": (frozenset({S.queued, S.in_progress}), S.stopped),
    "publish": (frozenset({S.completed}), S.published),
    "continue": (frozenset({S.completed, S.failed, S.stopped}), S.in_progress),
    "reset": (frozenset({S.queued, S.in_progress, S.completed, S.failed, S.stopped}), S.created),
}

#: statuses in which inputs (code, hyperparameters, configuration, container) may change
EDITABLE = frozenset({S.created})
#: statuses that accept reported outputs (events, artifacts, output models)
REPORTABLE = frozenset({S.created, S.queued, S.in_progress, S.completed, S.failed, S.stopped})
FINAL = frozenset({S.completed, S.failed, S.stopped, S.published})


def next_status(current: TaskStatus | str, action: str) -> TaskStatus:
    """Return the status ``action`` leads to from ``current``.

    Raises:
        ConflictError: the action is not allowed from ``current``.

    >>> next_status("created", "enqueue")
    <TaskStatus.queued: 'queued'>
    """
    if action not in TRANSITIONS:
        raise ValueError(f"unknown task action {action!r}")
    allowed, target = TRANSITIONS[action]
    status = TaskStatus(current)
    if status not in allowed:
        froms = ", ".join(sorted(s.value for s in allowed))
        raise ConflictError(
            f"cannot {action} a task that is {status.value}; {action} is allowed from: {froms}"
        )
    return target


def check_editable(current: TaskStatus | str, what: str) -> None:
    """Raise ConflictError unless inputs may be edited in ``current``."""
    if TaskStatus(current) not in EDITABLE:
        raise ConflictError(
            f"{what} can only be edited in a draft (created) task; this one is "
            f"{TaskStatus(current).value}. Clone it or reset it first."
        )


def check_reportable(current: TaskStatus | str) -> None:
    if TaskStatus(current) not in REPORTABLE:
        raise ConflictError(
            f"a {TaskStatus(current).value} task is read-only; clone it to report new results"
        )
