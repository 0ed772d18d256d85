"""Fixtures for datasets: the shared hub (SQLite, and PostgreSQL when configured), the
SDK of this process pointed at it, scripts run for real, and folders of files.

``ds`` points the process-wide SDK client at the hub (``Dataset.create`` & co. use
it); ``ds_env`` is the environment of a script on another machine of the hub;
``project`` is a fresh project name per test, so tests keep out of each other's way.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from corral.testing.hub import Hub, client_env
from tests.factories import unique


@pytest.fixture
def ds(hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Hub]:
    """Point the SDK of *this* process at the hub (and give it a HOME and cache of its own)."""
    from corral.client.config import HubCredentials
    from corral.client.http import HubClient
    from corral.sdk import session

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CORRAL_DATASET_CACHE", str(tmp_path / "dataset-cache"))
    monkeypatch.delenv("CORRAL_TASK_ID", raising=False)
    client = HubClient(
        HubCredentials(hub.url, hub.access_key, hub.secret_key), timeout=session.TIMEOUT
    )
    session.set_hub_client(client)
    yield hub
    session.set_hub_client(None)
    client.close()


@pytest.fixture
def ds_env(hub: Hub, tmp_path: Path) -> dict[str, str]:
    env: dict[str, str] = client_env(
        hub, tmp_path / "script-home", CORRAL_DATASET_CACHE=str(tmp_path / "script-cache")
    )
    return env


@pytest.fixture
def ds_api(hub: Hub) -> Iterator[httpx.Client]:
    with hub.client() as c:
        yield c


@pytest.fixture
def project() -> str:
    return unique("ds")


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write ``{relative path: bytes}`` under ``root``."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def read_tree(root: Path) -> dict[str, bytes]:
    """``{relative path: bytes}`` of every file under ``root`` (symlinks followed)."""
    out = {}
    for dirpath, _dirs, names in os.walk(root, followlinks=True):
        for name in names:
            path = Path(dirpath) / name
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
