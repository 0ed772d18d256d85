"""Task types: what a task is for. "Everything is a task": controllers, optimizers and
services (schedulers, triggers, monitors) are tasks too."""

from __future__ import annotations

from enum import Enum
from typing import Literal, get_args

#: the type names on the wire (the same values as ``TaskType``; checked below)
TaskTypeName = Literal[
    "training",
    "testing",
    "inference",
    "data_processing",
    "controller",
    "optimizer",
    "service",
    "custom",
]


class TaskType(str, Enum):
    training = "training"
    testing = "testing"
    inference = "inference"
    data_processing = "data_processing"
    controller = "controller"
    optimizer = "optimizer"
    service = "service"
    custom = "custom"

    def __str__(self) -> str:  # the wire value, also in f-strings on every Python
        return self.value


TASK_TYPES: tuple[TaskTypeName, ...] = get_args(TaskTypeName)
DEFAULT_TASK_TYPE: TaskTypeName = "training"

assert set(TASK_TYPES) == {t.value for t in TaskType}
