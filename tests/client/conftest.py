"""Fixtures of the client tests: a ``HubClient`` of the shared test hub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.testing.hub import Hub


def hub_client(hub: Hub) -> HubClient:
    return HubClient(HubCredentials(hub.url, hub.access_key, hub.secret_key), timeout=60)


@pytest.fixture
def client(hub: Hub) -> Iterator[HubClient]:
    with hub_client(hub) as c:
        yield c
