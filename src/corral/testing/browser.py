"""Debian's chromium for the browser tests and the UI benchmark (no browser download).

Example::

    from playwright.sync_api import sync_playwright
    from corral.testing.browser import CHROMIUM_ARGS, find_chromium

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
"""

from __future__ import annotations

import os
import shutil

#: flags for a headless chromium in a container: no sandbox, no GPU, no background traffic
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """``CORRAL_TEST_CHROMIUM``, else ``chromium`` on PATH, else ``None``."""
    return os.environ.get("CORRAL_TEST_CHROMIUM") or shutil.which("chromium")
