"""The SDK's connection to the hub: one ``HubClient`` per process, built from the config.

Everything in ``corral.sdk`` that talks to the hub goes through :func:`hub_client`, so
that credentials are read once and a test (or ``Task.init``) can point the SDK at
another hub with :func:`set_hub_client`.
"""

from __future__ import annotations

import threading

import httpx

from corral.client.http import HubClient

#: short connect timeout: an unreachable hub must never hang the user's program
TIMEOUT = httpx.Timeout(30.0, connect=3.0)

_lock = threading.Lock()
_client: HubClient | None = None


def hub_client() -> HubClient:
    """The process-wide client (``~/.corral/config.toml`` or ``CORRAL_*``)."""
    global _client
    with _lock:
        if _client is None:
            _client = HubClient.from_config(timeout=TIMEOUT)
        return _client


def set_hub_client(client: HubClient | None) -> None:
    """Use ``client`` from now on (``None``: build it again from the config on next use)."""
    global _client
    with _lock:
        _client = client
