"""Task types: what a task is for. "Everything is a task": controllers, optimizers and
services (schedulers, triggers, monitors) are tasks too.

The names and their order are ClearML's (``Task.TaskTypes``), so that a script written
for it passes the same types: ``application`` (an app or a UI that runs as a task),
``monitor`` (a task that watches others) and ``qc`` (quality control) have no special
behaviour in Corral; they label and filter like any other type.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal, get_args

#: the type names on the wire (the same values as ``TaskType``; checked below)
TaskTypeName = Literal[
    "training",
    "testing",
    "inference",
    "data_processing",
    "application",
    "monitor",
    "controller",
    "optimizer",
    "service",
    "qc",
    "custom",
]


class TaskType(str, Enum):
    training = "training"
    testing = "testing"
    inference = "inference"
    data_processing = "data_processing"
    application = "application"
    monitor = "monitor"
    controller = "controller"
    optimizer = "optimizer"
    service = "service"
    qc = "qc"
    custom = "custom"

    def __str__(self) -> str:  # the wire value, also in f-strings on every Python
        return self.value


TASK_TYPES: tuple[TaskTypeName, ...] = get_args(TaskTypeName)
DEFAULT_TASK_TYPE: TaskTypeName = "training"

assert list(TASK_TYPES) == [t.value for t in TaskType]


def task_type_name(value: str | TaskType) -> TaskTypeName:
    """The wire name of a task type given as a name or a ``TaskType``.

    Raises:
        ValueError: not one of ``TASK_TYPES`` (the message lists them).
    """
    name = value.value if isinstance(value, TaskType) else value
    if not isinstance(name, str) or name not in TASK_TYPES:
        raise ValueError(f"task type {value!r} is not one of {', '.join(TASK_TYPES)}")
    return name
