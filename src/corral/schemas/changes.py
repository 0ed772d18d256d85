"""The change log on the wire: one change, a page of changes, a cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from corral.schemas.common import Output

#: most changes one ``GET /changes`` returns
CHANGES_PAGE_MAX = 1000
#: longest ``wait`` of a long-poll, in seconds
CHANGES_WAIT_MAX = 60


class ChangeOut(Output):
    """One entry of the append-only change log.

    ``entity_type`` is ``task``, ``project``, ``model``...; ``action`` says what
    happened (``created``, ``updated``, ``deleted``, a status action, ``artifact``...);
    ``payload`` is small and action-specific (a task's change carries its status and name).
    """

    id: int
    time: datetime
    entity_type: str
    entity_id: str
    action: str
    project_id: str | None
    user_id: str | None
    payload: dict[str, Any]


class ChangePage(Output):
    """Changes after a cursor, oldest first.

    Pass ``next_cursor`` back as ``cursor``: it is the id of the last item of a full
    page, else the newest change the hub looked at (a filtered reader moves past what
    did not match), so a reader neither misses nor repeats a change.
    """

    items: list[ChangeOut]
    next_cursor: int


class ChangeCursor(Output):
    """A position in the change log (the id of the newest change; 0 when empty)."""

    cursor: int
