from __future__ import annotations

import pytest

from corral.core.task_status import TRANSITIONS, TaskStatus, check_editable, next_status
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
