"""Shared by the benchmarks: a real hub per backend, and reporting.

Each benchmark starts its own ``corral server`` (``corral.testing.hub``) on SQLite, and
on PostgreSQL too when ``CORRAL_TEST_DATABASE_URL`` is set; prints human-readable
lines and, last, one line of JSON with the figures and the baseline of the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corral.testing.hub import Hub, create_pg_database, drop_pg_database, make_hub

__all__ = [
    "Hub",
    "Timer",
    "backends",
    "create_pg_database",
    "drop_pg_database",
    "emit",
    "new_task",
    "running_hub",
    "say",
]


def backends() -> list[str]:
    return ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


@contextlib.contextmanager
def running_hub(backend: str) -> Iterator[Hub]:
    with tempfile.TemporaryDirectory(prefix=f"corral-bench-{backend}-") as tmp:
        hub = make_hub(Path(tmp), backend)
        try:
            hub.start()
            yield hub
        finally:
            hub.dispose()


def new_task(hub: Hub, name: str) -> str:
    with hub.client() as c:
        r = c.post("/tasks", json={"name": name, "project": "benchmarks"})
        r.raise_for_status()
        return str(r.json()["id"])


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def say(line: str) -> None:
    print(line, flush=True)


def emit(result: dict[str, Any]) -> None:
    """The last line of output: the figures as JSON."""
    print(json.dumps(result, sort_keys=True), flush=True)
