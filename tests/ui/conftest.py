"""The browser for the UI tests: Debian's chromium driven by Playwright.

The hub serves the UI built into the package (``scripts/test`` builds it when the
sources changed); ``CORRAL_UI_DIR`` points the hub at another build. Each test gets a
fresh browser context logged in as the admin through the real login endpoint.

Every wait of these tests is for a condition (``expect``, ``wait_for_*``), never a fixed
time, and all of them share one generous limit, ``WAIT_MS``, set here: on a machine whose
cores another test run saturates, drawing a page (a plotly figure, a chart of thousands
of points) takes many times longer than on an idle one, and a wait still ends as soon as
its condition holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from corral.testing.browser import CHROMIUM_ARGS, find_chromium
from corral.testing.hub import ADMIN_PASSWORD, Hub
from tests.ui.seed import Seeded, seed_project

UI_DIR = Path(
    os.environ.get("CORRAL_UI_DIR") or Path(__file__).parents[2] / "src/corral/server/static"
)

#: the limit of every wait (expect, clicks, navigations, wait_for_function), in ms
WAIT_MS = 60_000
expect.set_options(timeout=WAIT_MS)


def chromium_path() -> str:
    path = find_chromium()
    if not path:
        pytest.fail(
            "the UI tests need Debian's chromium: scripts/test installs it (apt-get install chromium)"
        )
    return path


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not (UI_DIR / "index.html").is_file():
        pytest.fail(f"the UI is not built in {UI_DIR}: run scripts/build-ui (scripts/test does)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield b
    b.close()


def login_context(browser: Browser, hub: Hub) -> BrowserContext:
    """A browser context with the admin's session cookie, set by the real login."""
    context = browser.new_context(base_url=hub.url, viewport={"width": 1400, "height": 900})
    response = context.request.post(
        "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.ok, response.text()
    return context


@pytest.fixture
def context(browser: Browser, hub: Hub) -> Iterator[BrowserContext]:
    ctx = login_context(browser, hub)
    ctx.set_default_timeout(WAIT_MS)
    ctx.set_default_navigation_timeout(WAIT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def seeded(hub: Hub) -> Seeded:
    """A fresh project of the shared hub with runs that fill every tab."""
    with hub.client() as api:
        return seed_project(api)
