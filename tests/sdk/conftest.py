"""Fixtures for the SDK: a hub (SQLite; the SDK only speaks HTTP), and scripts run for real.

``sdk_env`` is the environment of a user's process: the hub's URL and an API key,
a HOME of its own (so spools, caches and config never touch the real one).
``run_script`` writes a Python script to a file and runs it in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.testing.hub import Hub, client_env, make_hub


@pytest.fixture(scope="session")
def sdk_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    h = make_hub(tmp_path_factory.mktemp("sdk-hub"), "sqlite")
    h.start()
    yield h
    h.dispose()


#: the environment of a script on another machine of the hub
env_for = client_env


@pytest.fixture
def sdk_env(sdk_hub: Hub, tmp_path: Path) -> dict[str, str]:
    return env_for(sdk_hub, tmp_path / "home")


@pytest.fixture
def sdk_api(sdk_hub: Hub) -> Iterator[httpx.Client]:
    with sdk_hub.client() as c:
        yield c


@pytest.fixture
def sdk_client(sdk_hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Point the SDK of *this* process at the test hub (for in-process tests)."""
    from corral.client.config import HubCredentials
    from corral.client.http import HubClient
    from corral.sdk import session

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    client = HubClient(
        HubCredentials(sdk_hub.url, sdk_hub.access_key, sdk_hub.secret_key),
        timeout=session.TIMEOUT,
    )
    session.set_hub_client(client)
    yield
    session.set_hub_client(None)
    client.close()


def run_script(
    code: str,
    env: dict[str, str],
    cwd: Path,
    *,
    args: list[str] | None = None,
    name: str = "script.py",
    timeout: float = 120,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Write ``code`` (dedented) to ``cwd/name`` and run it with this Python."""
    cwd.mkdir(parents=True, exist_ok=True)
    path = cwd / name
    path.write_text(textwrap.dedent(code))
    proc = subprocess.run(
        [sys.executable, str(path), *(args or [])],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"script exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc
