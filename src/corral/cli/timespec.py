"""Times on the command line: a span from now (``30d``, ``12h``, ``90m``) or a date.

>>> from datetime import datetime, timezone
>>> base = datetime(2026, 1, 1, tzinfo=timezone.utc)
>>> at("30d", base=base).isoformat()
'2026-01-31T00:00:00+00:00'
>>> at("2h", base=base, ago=True).isoformat()
'2025-12-31T22:00:00+00:00'
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from corral.errors import ValidationError

_SPAN = re.compile(r"^(\d{1,6})\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def at(value: str, *, base: datetime | None = None, ago: bool = False) -> datetime:
    """``value`` as an aware time: a span after ``base`` (before it with ``ago``), or an
    ISO date or time (local time when it has no zone)."""
    text = value.strip().lower()
    now = base or datetime.now(timezone.utc)
    match = _SPAN.match(text)
    if match:
        span = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        return now - span if ago else now + span
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"{value!r} is neither a span like 30d, 12h, 90m nor a date like 2026-12-31"
        ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()
