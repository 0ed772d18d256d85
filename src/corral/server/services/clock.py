"""The hub's one clock: aware UTC datetimes for every timestamp a service writes."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> datetime:
    """The current time in UTC, timezone-aware (what every timestamp column holds)."""
    return datetime.now(timezone.utc)
