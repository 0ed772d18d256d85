from __future__ import annotations

from typing import get_args

import pytest

from corral.core.task_status import (
    ACTIONS,
    ACTIVE,
    NEEDS_FORCE,
    TRANSITIONS,
    TaskStatus,
    TaskStatusName,
    allowed_actions,
    check_editable,
    next_status,
)
from corral.core.task_types import TASK_TYPES, TaskType
from corral.errors import ConflictError


def test_happy_path() -> None:
    s = TaskStatus.created
    for action in ("enqueue", "start", "complete", "publish"):
        s = next_status(s, action)
    assert s is TaskStatus.published


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_published_is_terminal(action: str) -> None:
    with pytest.raises(ConflictError, match=action):
        next_status("published", action)


def test_error_names_the_allowed_statuses() -> None:
    with pytest.raises(ConflictError) as err:
        next_status("completed", "enqueue")
    assert "created" in err.value.detail and err.value.status == 409


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        next_status("created", "explode")


def test_only_drafts_are_editable() -> None:
    check_editable("created", "hyperparameters")
    for status in ("queued", "in_progress", "completed", "failed", "stopped", "published"):
        with pytest.raises(ConflictError, match="draft"):
            check_editable(status, "hyperparameters")


# --- allowed actions -------------------------------------------------------------------

EXPECTED = {
    "created": ["edit", "clone", "enqueue", "start", "archive", "delete"],
    "queued": ["clone", "dequeue", "start", "fail", "stop", "abort", "reset", "delete"],
    "in_progress": ["clone", "complete", "fail", "stop", "abort", "reset", "delete"],
    "completed": ["clone", "continue", "reset", "publish", "archive", "delete"],
    "failed": ["clone", "continue", "reset", "archive", "delete"],
    "stopped": ["clone", "continue", "reset", "archive", "delete"],
    "published": ["clone", "archive", "delete"],
}


@pytest.mark.parametrize("status", sorted(EXPECTED))
def test_allowed_actions_follow_the_state_machine(status: str) -> None:
    assert allowed_actions(status) == EXPECTED[status]
    assert allowed_actions(TaskStatus(status)) == EXPECTED[status]


@pytest.mark.parametrize("status", [s.value for s in TaskStatus])
def test_allowed_actions_agree_with_next_status(status: str) -> None:
    allowed = allowed_actions(status)
    for action in TRANSITIONS:
        try:
            next_status(status, action)
        except ConflictError:
            assert action not in allowed
        else:
            assert action in allowed


def test_an_archived_task_is_unarchived_not_enqueued() -> None:
    assert allowed_actions("created", archived=True) == [
        "edit",
        "clone",
        "start",
        "unarchive",
        "delete",
    ]
    assert "unarchive" in allowed_actions("completed", archived=True)
    assert "archive" not in allowed_actions("completed", archived=True)


def test_a_task_held_by_a_worker_cannot_be_archived() -> None:
    for status in ACTIVE:
        assert "archive" not in allowed_actions(status)


def test_force_is_needed_only_to_reset_or_delete_a_running_task() -> None:
    assert {s.value for s in NEEDS_FORCE} == {"in_progress"}


def test_vocabulary_names_match_their_enums() -> None:
    assert set(get_args(TaskStatusName)) == {s.value for s in TaskStatus}
    assert set(TASK_TYPES) == {t.value for t in TaskType}
    assert set(ACTIONS) >= set(TRANSITIONS)
    assert f"{TaskStatus.in_progress}" == "in_progress"
    assert str(TaskType.data_processing) == "data_processing"
