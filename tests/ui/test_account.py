"""Login, logout and the user's API keys, in a real browser."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from corral.testing.hub import ADMIN_PASSWORD, Hub

pytestmark = pytest.mark.sqlite_hub


def test_login_with_the_form_then_logout(browser: Browser, hub: Hub) -> None:
    context = browser.new_context(base_url=hub.url)
    page = context.new_page()
    try:
        page.goto("/experiments")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("Login failed")

        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="admin ▾")).to_be_visible()
        expect(page).to_have_url(hub.url + "/experiments")
        # the session survives a reload (the cookie, and /auth/me for the CSRF token)
        page.reload()
        expect(page.get_by_role("button", name="admin ▾")).to_be_visible()

        page.get_by_role("button", name="admin ▾").click()
        page.get_by_role("menuitem", name="Log out").click()
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
        page.reload()
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
    finally:
        context.close()


def test_create_copy_and_revoke_an_api_key(page: Page, hub: Hub) -> None:
    page.goto("/settings/keys")
    page.get_by_placeholder("Label").fill("ui-test-key")
    page.get_by_role("button", name="Create key").click()
    snippet = page.get_by_test_id("new-key").locator("pre").inner_text()
    assert "[hub]" in snippet and f'url = "{hub.url}"' in snippet
    access = snippet.split('access_key = "')[1].split('"')[0]
    secret = snippet.split('secret_key = "')[1].split('"')[0]

    # the key works for a program...
    auth = {"Authorization": f"Bearer {access}:{secret}"}
    assert httpx.get(hub.url + "/api/v1/auth/me", headers=auth).status_code == 200

    # ...until it is revoked in the UI
    row = page.get_by_role("row").filter(has_text="ui-test-key")
    row.get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog", name=re.compile("^Revoke key")).get_by_role(
        "button", name="Revoke"
    ).click()
    expect(row).to_contain_text("revoked")
    assert httpx.get(hub.url + "/api/v1/auth/me", headers=auth).status_code == 401


def test_unknown_page_says_so(page: Page) -> None:
    page.goto("/no/such/page")
    expect(page.get_by_text("No such page")).to_be_visible()
