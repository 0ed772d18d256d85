"""Single sign-on in chromium, against a real OpenID Connect provider on loopback.

The provider (``tests/oidc``) shows its own login and consent pages; the browser
fills them in like a person would and comes back to the hub logged in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from corral.testing.hub import Hub
from tests import factories as f
from tests.oidc.local_provider import SSO_NAME, LocalProvider, sso_hub
from tests.ui.conftest import WAIT_MS

pytestmark = pytest.mark.sqlite_hub

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("CORRAL_TEST_DATABASE_URL") else [])


@pytest.fixture(scope="module", params=BACKENDS)
def sso(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Hub, LocalProvider]]:
    # the provider is "localhost", the hub 127.0.0.1: two sites, as in a real deployment
    root = tmp_path_factory.mktemp(f"sso-ui-{request.param}")
    with sso_hub(root, request.param, provider_host="localhost") as pair:
        yield pair


def test_sso_login_in_the_browser_lands_logged_in(
    browser: Browser, sso: tuple[Hub, LocalProvider]
) -> None:
    hub, provider = sso
    login, group = f.unique("ada"), f.unique("ml-team")
    provider.add_account(login, "provider-password", groups=[group], email=f"{login}@example.com")
    context = browser.new_context(base_url=hub.url)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/experiments")
        expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
        # the login page offers the provider the hub reports (GET /auth/providers)
        page.get_by_role("button", name=f"Log in with {SSO_NAME}").click()

        # the provider's own pages
        expect(page).to_have_url(re.compile(re.escape(provider.issuer) + "/interaction/"))
        page.get_by_label("Username").fill(login)
        page.get_by_label("Password").fill("provider-password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Allow").click()

        # back on the hub, logged in, where the login started
        expect(page.get_by_role("button", name=f"{login} ▾")).to_be_visible()
        expect(page).to_have_url(hub.url + "/experiments")
        page.reload()
        expect(page.get_by_role("button", name=f"{login} ▾")).to_be_visible()
    finally:
        context.close()
    assert not errors, errors

    with hub.client() as api:
        user = f.ok(api.get(f"/users/{login}"))
        teams = {t["name"]: t["source"] for t in f.ok(api.get("/teams"))}
    assert user["auth_source"] == "oidc"
    assert [t["name"] for t in user["teams"]] == [group]
    assert teams[group] == "oidc"
