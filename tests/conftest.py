"""Fixtures shared by every test directory.

``hub`` is a real ``corral server`` process, one per backend per test worker:
SQLite always, PostgreSQL too when ``CORRAL_TEST_DATABASE_URL`` is set. Tests
that use it run once per backend. Tests keep out of each other's way by
creating their own projects (see ``factories.py``).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.testing.hub import Hub, make_hub

# A suite started as a background job (``cmd &`` in a script, nohup) inherits SIGINT
# ignored, and every script, CLI and agent it starts would too: Python then installs
# no KeyboardInterrupt handler and the tests of Ctrl-C and of aborts see nothing. Each
# test process (xdist workers included) puts the default back, and its children get it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``sqlite_hub`` run against the SQLite ``hub`` only: they check a client
    side (browser pages, the CLI, an agent's flows, the dataset cache, pipelines) whose hub
    routes run on both databases in tests of their own (see CONTRIBUTING.md)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("hub") == "postgres"
        (drop if on_postgres and item.get_closest_marker("sqlite_hub") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", params=BACKENDS)
def hub(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    h = make_hub(tmp_path_factory.mktemp(f"hub-{request.param}"), request.param)
    h.start()
    yield h
    h.dispose()


@pytest.fixture
def fresh_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """A hub of its own (SQLite), for tests that stop, restart or fill it."""
    h = make_hub(tmp_path / "hub", "sqlite")
    h.start()
    yield h
    h.dispose()


@pytest.fixture
def api(hub: Hub) -> Iterator[httpx.Client]:
    """An admin client of the shared hub, rooted at /api/v1."""
    with hub.client() as c:
        yield c
