"""The task state machine and the actions a task offers.

::

    created --enqueue--> queued --start--> in_progress --complete--> completed --publish--> published
       ^  \\______________start_____________/     |  \\--fail--> failed
       |         queued --dequeue--> created      \\--stop---> stopped
       +------------------- reset (from anything but created/published)

``abort`` is ``stop`` requested by a user: allowed from queued and in_progress.
``continue`` takes a finished (not published) task back to in_progress: a script that
continues its own earlier run (``Task.init(continue_last_task=...)``) appends to it.
Archiving is a flag, not a status.

This module is the one definition of the vocabulary: the server checks transitions
with it, the schemas take their enum values from it, the API tells clients which
actions a task offers now (``allowed_actions``), and the CLI and SDK name statuses
through it.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal, get_args

from corral.errors import ConflictError

#: the status names on the wire (the same values as ``TaskStatus``; checked below)
TaskStatusName = Literal[
    "created", "queued", "in_progress", "completed", "failed", "stopped", "published"
]


class TaskStatus(str, Enum):
    created = "created"
    queued = "queued"
    in_progress = "in_progress"
    completed = "completed"
    failed = "failed"
    stopped = "stopped"
    published = "published"

    def __str__(self) -> str:  # the wire value, also in f-strings on every Python
        return self.value


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
#: statuses of a task that is waiting for or held by a worker: it cannot be archived
ACTIVE = frozenset({S.queued, S.in_progress})
#: statuses in which ``reset`` and ``delete`` need ``force=true`` (they drop a live run)
NEEDS_FORCE = frozenset({S.in_progress})

#: every action the API offers on one task, in the order clients show them
TaskAction = Literal[
    "edit",
    "clone",
    "enqueue",
    "dequeue",
    "start",
    "complete",
    "fail",
    "stop",
    "abort",
    "continue",
    "reset",
    "publish",
    "archive",
    "unarchive",
    "delete",
]
ACTIONS: tuple[TaskAction, ...] = get_args(TaskAction)

assert set(get_args(TaskStatusName)) == {s.value for s in TaskStatus}
assert set(TRANSITIONS) <= set(ACTIONS)


def _actions_of(status: TaskStatus, archived: bool) -> tuple[TaskAction, ...]:
    allowed: set[str] = {"clone", "delete"}
    allowed.update(action for action, (froms, _) in TRANSITIONS.items() if status in froms)
    if status in EDITABLE:
        allowed.add("edit")
    if archived:
        allowed.discard("enqueue")
        allowed.add("unarchive")
    elif status not in ACTIVE:
        allowed.add("archive")
    return tuple(a for a in ACTIONS if a in allowed)


# computed once: every task of every list answer carries its actions
_ALLOWED = {(s.value, a): _actions_of(s, a) for s in TaskStatus for a in (False, True)}


def allowed_actions(status: TaskStatus | str, *, archived: bool = False) -> list[TaskAction]:
    """The actions the hub accepts now for a task in ``status``, in ``ACTIONS`` order.

    Status actions follow ``TRANSITIONS``; besides them: ``edit`` (change the inputs)
    in a draft, ``clone`` and ``delete`` always, ``archive`` for a task no worker
    waits for or holds, ``unarchive`` for an archived one; an archived task is not
    enqueued. ``reset`` and ``delete`` of a running task need ``force=true``
    (see ``NEEDS_FORCE``).

    >>> allowed_actions("created")
    ['edit', 'clone', 'enqueue', 'start', 'archive', 'delete']
    >>> allowed_actions("completed", archived=True)
    ['clone', 'continue', 'reset', 'publish', 'unarchive', 'delete']
    """
    try:
        return list(_ALLOWED[status, bool(archived)])
    except KeyError:
        raise ValueError(f"{status!r} is not a valid TaskStatus") from None


def can(status: TaskStatus | str, action: str) -> bool:
    """True if the status action ``action`` (a key of ``TRANSITIONS``) is allowed from ``status``.

    >>> can("queued", "start"), can("published", "continue")
    (True, False)
    """
    return TaskStatus(status) in TRANSITIONS[action][0]


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
