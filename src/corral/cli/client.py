"""What the hub-facing commands share: a client, id and name look-ups, readable units.

Nothing here imports httpx at module level: ``corral --help`` and ``corral server``
stay fast. Errors are raised as ``corral.errors`` classes so that ``cli_errors()``
prints them in one line.

Example::

    with cli_errors(), hub() as client:
        task_id = resolve_task(client, "3f2a9c")  # a unique prefix of 6+ characters
        client.tasks.action(task_id, "abort")
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape

from corral.cli.output import err
from corral.core.task_status import FINAL
from corral.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.client.types import Task

#: the shortest task id prefix looked up (shorter ones match too many tasks to be useful)
MIN_PREFIX = 6
#: statuses after which a task changes no more unless someone acts on it
FINAL_STATUSES = FINAL
_TASK_ID = re.compile(r"^[0-9a-f]{1,64}$")


def hub() -> HubClient:
    """A client of the hub in the config file (or ``CORRAL_HUB_URL`` and keys)."""
    from corral.client.http import HubClient

    return HubClient.from_config()


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; ``raise fail(...)`` then exits with code 1."""
    err.print(f"[red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(1)


def resolve_task(client: HubClient, ref: str) -> str:
    """The full id of the task ``ref`` names: its id, or a unique prefix of 6+ characters."""
    return str(fetch_task(client, ref)["id"])


def fetch_task(client: HubClient, ref: str) -> Task:
    """The task ``ref`` names (its id, or a unique prefix of 6+ characters of it).

    Raises:
        NotFoundError: no task has this id or prefix.
        ValidationError: ``ref`` is not an id, or starts the ids of several tasks.
    """
    ref = ref.strip().lower()
    if not _TASK_ID.match(ref):
        raise ValidationError(f"{ref!r} is not a task id (ids are hex, see `corral task list`)")
    try:
        return client.tasks.get(ref)
    except NotFoundError:
        if len(ref) < MIN_PREFIX:
            raise NotFoundError(
                f"no task with id {ref!r}; give the full id or {MIN_PREFIX}+ characters of it "
                "(see `corral task list`)"
            ) from None
    # the hub's ``text`` filter also matches names and comments: keep the id matches
    page = client.tasks.list(text=ref, archived="", limit=500)
    ids = sorted({row["id"] for row in page["items"] if row["id"].startswith(ref)})
    if not ids:
        raise NotFoundError(f"no task with id {ref!r} (see `corral task list`)")
    if len(ids) > 1:
        shown = ", ".join(i[:12] for i in ids[:3]) + ("..." if len(ids) > 3 else "")
        raise ValidationError(
            f"{ref!r} starts the ids of {len(ids)} tasks ({shown}); give more characters"
        )
    return client.tasks.get(ids[0])


def project_id(client: HubClient, name: str) -> str:
    """The id of the project named exactly ``name`` (``team/sub`` for a subproject)."""
    for row in client.projects.list(search=name):
        if row["name"] == name or row["id"] == name:
            return str(row["id"])
    raise NotFoundError(f"no project named {name!r} (names are case-sensitive)")


def project_names(client: HubClient) -> dict[str, str]:
    """Project id -> name, for the tables that show a task's project."""
    return {row["id"]: row["name"] for row in client.projects.list()}


def queue_names(client: HubClient) -> dict[str, str]:
    """Queue id -> name."""
    return {row["id"]: row["name"] for row in client.queues.list()}


# --- readable units -----------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """``192`` -> ``"3m 12s"``; ``None`` -> ``""``.

    >>> duration(3725)
    '1h 2m'
    """
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def parse_time(value: Any) -> datetime | None:
    """An ISO timestamp from the API as an aware datetime (naive ones are UTC)."""
    if not value:
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def since(value: Any) -> float | None:
    """Seconds from an ISO timestamp until now."""
    dt = parse_time(value)
    return None if dt is None else time.time() - dt.timestamp()


def ago(value: Any) -> str:
    """``"3m 12s ago"`` for an ISO timestamp; ``""`` for none."""
    seconds = since(value)
    return "" if seconds is None else f"{duration(seconds)} ago"


def when(value: Any) -> str:
    """A timestamp in local time, to the second: ``2025-03-01 14:02:11``."""
    dt = parse_time(value)
    return "" if dt is None else dt.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def size(n: float | None) -> str:
    """Bytes in binary units: ``1.5 GiB``."""
    if n is None:
        return ""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""  # pragma: no cover - the loop always returns
