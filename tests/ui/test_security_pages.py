"""The multi-user security pages in a real browser against a real hub: the admin pages
(users, teams, keys, lockouts, audit log), a project's members dialog and privacy
switch, the user's profile (password, sessions, keys) and the login page's lockout
message. Each test makes its own users, teams and projects (unique names) on the
shared hub, and checks what the UI did through the hub's API as well.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from corral.testing.hub import Hub
from tests.factories import ok, unique
from tests.ui.conftest import WAIT_MS

pytestmark = pytest.mark.sqlite_hub


def strong_password() -> str:
    """A password the hub's policy accepts (long, not the name, not guessable)."""
    return f"Corral-{uuid.uuid4().hex[:10]}-staple-Horse-42"


def make_user(api: httpx.Client, prefix: str = "user", **fields: Any) -> tuple[dict[str, Any], str]:
    password = strong_password()
    user = ok(api.post("/users", json={"name": unique(prefix), "password": password, **fields}))
    return user, password


def session_client(hub: Hub, name: str, password: str) -> httpx.Client:
    """A program logged in as ``name`` with a session cookie (another "browser")."""
    client = httpx.Client(base_url=hub.url + "/api/v1", timeout=60)
    ok(client.post("/auth/login", json={"username": name, "password": password}))
    return client


@contextmanager
def user_page(browser: Browser, hub: Hub, name: str, password: str) -> Iterator[Page]:
    """A page of a browser context logged in as ``name`` (the real login endpoint)."""
    context: BrowserContext = browser.new_context(
        base_url=hub.url, viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    try:
        response = context.request.post(
            "/api/v1/auth/login", data={"username": name, "password": password}
        )
        assert response.ok, response.text()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
        assert not errors, f"uncaught errors in the page: {errors}"
    finally:
        context.close()


def project_row(page: Page, name: str) -> Locator:
    return page.locator("tr", has=page.locator(f'a[title="{name}"]'))


def toast(page: Page, text: str) -> Locator:
    return page.get_by_role("status").filter(has_text=text)


# --- administration -------------------------------------------------------------------


def test_admin_creates_a_user_and_a_team_then_adds_the_user(page: Page, hub: Hub) -> None:
    name, team = unique("ann"), unique("team")
    page.goto("/projects")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page).to_have_url(hub.url + "/admin/users")

    page.get_by_role("button", name="New user").click()
    dialog = page.get_by_role("dialog", name="New user")
    dialog.get_by_label("Name", exact=True).fill(name)
    dialog.get_by_label("E-mail").fill(f"{name}@example.org")
    password = strong_password()
    dialog.get_by_label("Password", exact=True).fill(password)
    dialog.get_by_label("Allowed addresses").fill("127.0.0.0/8, ::1")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_have_count(0)
    row = page.locator(f'tr[data-user="{name}"]')
    expect(row).to_contain_text(f"{name}@example.org")
    expect(row).to_contain_text("127.0.0.0/8, ::1")
    expect(row.get_by_label(f"Role of {name}")).to_have_value("user")

    page.get_by_role("link", name="Teams").click()
    page.get_by_role("button", name="New team").click()
    dialog = page.get_by_role("dialog", name="New team")
    dialog.get_by_label("Team name").fill(team)
    dialog.get_by_label("Team description").fill("the vision people")
    dialog.get_by_role("button", name="Create").click()
    card = page.get_by_role("group", name=f"Team {team}")
    expect(card).to_contain_text("the vision people")
    card.get_by_label(f"Add a member to {team}").fill(name)
    card.get_by_role("button", name="Add member").click()
    expect(card.get_by_role("button", name=f"Remove {name} from {team}")).to_be_visible()

    # what the hub now holds: the user (who can log in) and the team with its member
    with hub.client() as api:
        teams = {t["name"]: t for t in ok(api.get("/teams"))}
        assert [m["name"] for m in teams[team]["members"]] == [name]
    with closing(session_client(hub, name, password)) as c:
        assert ok(c.get("/auth/me"))["user"]["name"] == name
    # and the users tab shows the team on the user's row
    page.get_by_role("link", name="Users").click()
    expect(page.locator(f'tr[data-user="{name}"]')).to_contain_text(team)


def test_admin_changes_a_role_resets_a_password_and_deactivates(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        user, password = make_user(api, "bea")
    other = session_client(hub, user["name"], password)
    page.goto("/admin/users")
    row = page.locator(f'tr[data-user="{user["name"]}"]')
    row.get_by_label(f"Role of {user['name']}").select_option("admin")
    expect(toast(page, f"{user['name']} is now admin")).to_be_visible()

    row.get_by_role("button", name="Reset password").click()
    dialog = page.get_by_role("dialog", name=f"Reset the password of {user['name']}")
    new_password = strong_password()
    dialog.get_by_label("New password").fill(new_password)
    dialog.get_by_role("button", name="Reset password").click()
    expect(dialog).to_have_count(0)
    # the reset ended the user's sessions; the new password works
    assert other.get("/auth/me").status_code == 401
    session_client(hub, user["name"], new_password).close()

    row.get_by_role("button", name="Deactivate").click()
    confirm = page.get_by_role("dialog", name=f"Deactivate {user['name']}?")
    confirm.get_by_role("button", name="Deactivate").click()
    expect(toast(page, f"{user['name']} deactivated")).to_be_visible()
    with hub.client() as api:
        users = {u["name"]: u for u in ok(api.get("/users"))}
        assert users[user["name"]]["role"] == "admin"
        assert users[user["name"]]["active"] is False
    assert (
        httpx.post(
            hub.url + "/api/v1/auth/login",
            json={"username": user["name"], "password": new_password},
        ).status_code
        == 401
    )
    other.close()


def test_admin_makes_a_scoped_key_for_a_service_account_and_revokes_it(
    page: Page, hub: Hub
) -> None:
    with hub.client() as api:
        bot = ok(api.post("/users", json={"name": unique("bot"), "kind": "service"}))
        proj = ok(api.post("/projects", json={"name": unique("svc")}))
        # the account may write in the project: the key's read-only scope is what refuses
        ok(
            api.put(
                f"/projects/{proj['id']}/members",
                json={"member_type": "user", "member": bot["name"], "role": "editor"},
            )
        )
    page.goto("/admin/users")
    row = page.locator(f'tr[data-user="{bot["name"]}"]')
    expect(row).to_contain_text("service account")
    row.get_by_role("button", name="New key").click()
    dialog = page.get_by_role("dialog", name=f"New API key for {bot['name']}")
    dialog.get_by_label("Key label").fill("nightly")
    dialog.get_by_text("Scope: read-only").click()
    dialog.get_by_label("Read-only").check()
    dialog.get_by_label("Key projects").fill(proj["name"])
    dialog.get_by_role("button", name="Create key").click()
    snippet = dialog.get_by_test_id("new-key").locator("pre").inner_text()
    access = snippet.split('access_key = "')[1].split('"')[0]
    secret = snippet.split('secret_key = "')[1].split('"')[0]
    auth = {"Authorization": f"Bearer {access}:{secret}"}
    dialog.get_by_role("button", name="Done").click()

    # the key reads but does not write
    assert httpx.get(hub.url + f"/api/v1/projects/{proj['id']}", headers=auth).status_code == 200
    refused = httpx.post(
        hub.url + "/api/v1/tasks", headers=auth, json={"project": proj["name"], "name": "x"}
    )
    assert refused.status_code == 403, refused.text

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Search keys").fill(bot["name"])
    key_row = page.get_by_role("row").filter(has_text=access)
    expect(key_row).to_contain_text(bot["name"])
    expect(key_row).to_contain_text("read-only")
    expect(key_row).to_contain_text(f"projects: {proj['name']}")
    key_row.get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog", name=re.compile("^Revoke key")).get_by_role(
        "button", name="Revoke"
    ).click()
    expect(toast(page, "Key revoked")).to_be_visible()
    assert httpx.get(hub.url + "/api/v1/auth/me", headers=auth).status_code == 401


def test_non_admins_see_no_admin_pages(browser: Browser, hub: Hub) -> None:
    with hub.client() as api:
        user, password = make_user(api, "cid")
    with user_page(browser, hub, user["name"], password) as page:
        page.goto("/projects")
        expect(page.get_by_role("button", name=f"{user['name']} ▾")).to_be_visible()
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin")
        ).to_have_count(0)
        page.goto("/admin/audit")
        expect(page.get_by_text("Admins only")).to_be_visible()


# --- project members and privacy ------------------------------------------------------


def test_owner_shares_a_project_with_a_team_and_makes_it_private(
    browser: Browser, hub: Hub
) -> None:
    with hub.client() as api:
        owner, owner_pw = make_user(api, "own")
        member, member_pw = make_user(api, "mem")
        outsider, outsider_pw = make_user(api, "out")
        team = ok(api.post("/teams", json={"name": unique("viewers"), "description": ""}))
        ok(api.put(f"/teams/{team['id']}/members/{member['name']}"))
    name = unique("shared")

    with user_page(browser, hub, owner["name"], owner_pw) as page:
        page.goto("/projects")
        page.get_by_role("button", name="New project").first.click()
        dialog = page.get_by_role("dialog", name="New project")
        dialog.get_by_label("Project name").fill(name)
        dialog.get_by_role("button", name="Create").click()
        expect(dialog).to_have_count(0)
        page.get_by_label("Search projects").fill(name)
        project_row(page, name).get_by_role("button", name=f"Members of {name}").click()

        members = page.get_by_role("dialog", name=f"Members of {name}")
        members.get_by_label("Member type").select_option("team")
        members.get_by_label("Team name").fill(team["name"])
        members.get_by_label("New member's role").select_option("viewer")
        members.get_by_role("button", name="Add", exact=True).click()
        team_row = members.locator(f'tr[data-member="{team["name"]}"]')
        expect(team_row.get_by_label(f"Role of {team['name']}")).to_have_value("viewer")
        expect(team_row).to_contain_text("this project")

        members.get_by_role("radio", name="Private").check()
        expect(toast(page, f"Project {name} is now private")).to_be_visible()
        expect(members.get_by_role("radio", name="Private")).to_be_checked()
        members.get_by_role("button", name="Close").first.click()
        expect(project_row(page, name)).to_contain_text("private")

    with hub.client() as api:
        found = [p for p in ok(api.get("/projects", params={"search": name})) if p["name"] == name]
        assert found and found[0]["visibility"] == "private"
        project_id = found[0]["id"]
        listed = ok(api.get(f"/projects/{project_id}/members"))
        assert {(m["member_type"], m["name"], m["role"]) for m in listed} >= {
            ("team", team["name"], "viewer")
        }

    # the team's member logs in with the form and sees the project, without Members
    context = browser.new_context(base_url=hub.url)
    try:
        page = context.new_page()
        page.goto("/projects")
        page.get_by_label("User name").fill(member["name"])
        page.get_by_label("Password").fill(member_pw)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page.get_by_role("button", name=f"{member['name']} ▾")).to_be_visible()
        page.get_by_label("Search projects").fill(name)
        expect(project_row(page, name)).to_have_count(1)
        expect(
            project_row(page, name).get_by_role("button", name=f"Members of {name}")
        ).to_have_count(0)
    finally:
        context.close()

    # someone outside the team does not: the project is not there at all
    with user_page(browser, hub, outsider["name"], outsider_pw) as page:
        page.goto(f"/projects/{project_id}/experiments")
        expect(page.get_by_text("No such project")).to_be_visible()
        page.goto("/projects")
        expect(page.get_by_role("button", name=f"{outsider['name']} ▾")).to_be_visible()
        expect(page.locator(f'a[title="{name}"]')).to_have_count(0)


def test_owner_gives_a_user_a_role_changes_it_and_removes_it(browser: Browser, hub: Hub) -> None:
    with hub.client() as api:
        owner, owner_pw = make_user(api, "own")
        member, member_pw = make_user(api, "mem")
        parent = unique("tree")
        ok(api.post("/projects", json={"name": parent}))
    child = f"{parent}/child"

    # the owner of the parent manages the child too (roles are inherited)
    with hub.client() as api:
        parent_id = next(p["id"] for p in ok(api.get("/projects")) if p["name"] == parent)
        ok(
            api.put(
                f"/projects/{parent_id}/members",
                json={"member_type": "user", "member": owner["name"], "role": "owner"},
            )
        )
    with user_page(browser, hub, owner["name"], owner_pw) as page:
        page.goto("/projects")
        page.get_by_role("button", name="New project").first.click()
        dialog = page.get_by_role("dialog", name="New project")
        dialog.get_by_label("Project name").fill(child)
        dialog.get_by_role("button", name="Create").click()
        expect(dialog).to_have_count(0)
        page.get_by_label("Search projects").fill(parent)
        project_row(page, child).get_by_role("button", name=f"Members of {child}").click()
        members = page.get_by_role("dialog", name=f"Members of {child}")
        # the role on the parent shows as inherited, and is not changed here
        inherited = members.locator(f'tr[data-member="{owner["name"]}"]').filter(
            has_text=f"inherited from {parent}"
        )
        expect(inherited).to_have_count(1)

        members.get_by_label("User name").fill(member["name"])
        members.get_by_label("New member's role").select_option("editor")
        members.get_by_role("button", name="Add", exact=True).click()
        row = members.locator(f'tr[data-member="{member["name"]}"]')
        expect(row.get_by_label(f"Role of {member['name']}")).to_have_value("editor")
        row.get_by_label(f"Role of {member['name']}").select_option("viewer")
        expect(toast(page, f"{member['name']} is now viewer")).to_be_visible()

        members.get_by_role("radio", name="Private").check()
        expect(toast(page, f"Project {child} is now private")).to_be_visible()

    with hub.client() as api:
        child_id = next(p["id"] for p in ok(api.get("/projects")) if p["name"] == child)
        listed = ok(api.get(f"/projects/{child_id}/members"))
        assert ("user", member["name"], "viewer", None) in {
            (m["member_type"], m["name"], m["role"], m["inherited_from"]) for m in listed
        }
    # the member now sees the private project, and may not manage it
    with user_page(browser, hub, member["name"], member_pw) as page:
        page.goto(f"/projects/{child_id}/experiments")
        expect(page.get_by_role("heading", name="child")).to_be_visible()
        expect(page.get_by_text("private", exact=True)).to_be_visible()
        expect(page.get_by_role("button", name="Members")).to_have_count(0)

    with user_page(browser, hub, owner["name"], owner_pw) as page:
        page.goto(f"/projects/{child_id}/experiments")
        page.get_by_role("button", name="Members").click()
        members = page.get_by_role("dialog", name=f"Members of {child}")
        members.get_by_role("button", name=f"Remove {member['name']}").click()
        expect(toast(page, f"{member['name']} removed from {child}")).to_be_visible()
        expect(members.locator(f'tr[data-member="{member["name"]}"]')).to_have_count(0)
    # and then the project is gone for them
    with closing(session_client(hub, member["name"], member_pw)) as c:
        assert c.get(f"/projects/{child_id}").status_code == 404


# --- the profile ----------------------------------------------------------------------


def test_profile_changes_the_password_and_ends_the_other_sessions(
    browser: Browser, hub: Hub
) -> None:
    with hub.client() as api:
        user, password = make_user(api, "dan")
    other = session_client(hub, user["name"], password)
    with user_page(browser, hub, user["name"], password) as page:
        page.goto("/projects")
        page.get_by_role("button", name=f"{user['name']} ▾").click()
        page.get_by_role("menuitem", name="Profile").click()
        expect(page).to_have_url(hub.url + "/profile/account")
        form = page.get_by_role("form", name="Change password")

        # checked before sending: the two new passwords differ
        form.get_by_label("Current password").fill(password)
        form.get_by_label("New password", exact=True).fill("one new password")
        form.get_by_label("New password again").fill("another one")
        form.get_by_role("button", name="Change password").click()
        expect(form.get_by_role("alert")).to_contain_text("The two new passwords differ")

        # the hub's policy refuses a short one, in its own words
        form.get_by_label("New password", exact=True).fill("short")
        form.get_by_label("New password again").fill("short")
        form.get_by_role("button", name="Change password").click()
        expect(form.get_by_role("alert")).to_contain_text("The hub refused the new password")

        # a wrong current password is refused too
        new_password = strong_password()
        form.get_by_label("Current password").fill("not my password at all")
        form.get_by_label("New password", exact=True).fill(new_password)
        form.get_by_label("New password again").fill(new_password)
        form.get_by_role("button", name="Change password").click()
        expect(form.get_by_role("alert")).to_contain_text("The hub refused the new password")
        assert other.get("/auth/me").status_code == 200

        form.get_by_label("Current password").fill(password)
        form.get_by_label("New password", exact=True).fill(new_password)
        form.get_by_label("New password again").fill(new_password)
        form.get_by_role("button", name="Change password").click()
        expect(toast(page, "Password changed")).to_be_visible()
        expect(form.get_by_label("Current password")).to_have_value("")

        # the other session is over, this one goes on
        assert other.get("/auth/me").status_code == 401
        page.reload()
        expect(page.get_by_role("button", name=f"{user['name']} ▾")).to_be_visible()
    other.close()
    bad = httpx.post(
        hub.url + "/api/v1/auth/login", json={"username": user["name"], "password": password}
    )
    assert bad.status_code == 401
    session_client(hub, user["name"], new_password).close()


def test_profile_lists_sessions_and_ends_another(browser: Browser, hub: Hub) -> None:
    with hub.client() as api:
        user, password = make_user(api, "eve")
    other = session_client(hub, user["name"], password)
    with user_page(browser, hub, user["name"], password) as page:
        page.goto("/profile/sessions")
        table = page.get_by_role("table", name="Sessions")
        expect(table.locator("tbody tr")).to_have_count(2)
        current = table.locator("tr[data-current]")
        expect(current).to_contain_text("this session")
        expect(current.get_by_role("button", name="Log out")).to_be_visible()
        table.get_by_role("button", name="End session").click()
        expect(toast(page, "Session ended")).to_be_visible()
        expect(table.locator("tbody tr")).to_have_count(1)
        assert other.get("/auth/me").status_code == 401
    other.close()


def _new_key(page: Page) -> tuple[str, dict[str, str]]:
    """The access key and the auth header of the key the page just showed."""
    snippet = page.get_by_test_id("new-key").locator("pre").inner_text()
    access = snippet.split('access_key = "')[1].split('"')[0]
    secret = snippet.split('secret_key = "')[1].split('"')[0]
    page.get_by_test_id("new-key").get_by_role("button", name="Done").click()
    return access, {"Authorization": f"Bearer {access}:{secret}"}


def test_profile_keys_with_a_scope(browser: Browser, hub: Hub) -> None:
    with hub.client() as api:
        user, password = make_user(api, "fay")
    with user_page(browser, hub, user["name"], password) as page:
        page.goto("/settings/keys")
        expect(page).to_have_url(hub.url + "/profile/keys")

        # a read-only key: it reads, it does not write
        page.get_by_label("Key label").fill("dashboard")
        page.get_by_text("Scope: read-only").click()
        page.get_by_label("Read-only").check()
        page.get_by_role("button", name="Create key").click()
        read_only, ro_auth = _new_key(page)
        assert httpx.get(hub.url + "/api/v1/projects", headers=ro_auth).status_code == 200
        refused = httpx.post(
            hub.url + "/api/v1/projects", headers=ro_auth, json={"name": unique("ro")}
        )
        assert refused.status_code == 403, refused.text
        expect(page.get_by_role("row").filter(has_text=read_only)).to_contain_text("read-only")

        # a key limited to this machine: it works from here, and its use shows with the address
        page.get_by_label("Key label").fill("laptop")
        page.get_by_label("Read-only").uncheck()
        page.get_by_label("Key allowed addresses").fill("127.0.0.1/32, ::1")
        page.get_by_role("button", name="Create key").click()
        local, local_auth = _new_key(page)
        row = page.get_by_role("row").filter(has_text=local)
        expect(row).to_contain_text("from: 127.0.0.1/32, ::1")
        expect(row).not_to_contain_text("read-only")
        ok(httpx.post(hub.url + "/api/v1/projects", headers=local_auth, json={"name": unique("k")}))
        page.reload()
        expect(page.get_by_role("row").filter(has_text=local)).to_contain_text("from 127.0.0.1")

        # revoked, it stops working
        page.get_by_role("row").filter(has_text=local).get_by_role("button", name="Revoke").click()
        page.get_by_role("dialog", name=re.compile("^Revoke key")).get_by_role(
            "button", name="Revoke"
        ).click()
        expect(page.get_by_role("row").filter(has_text=local)).to_contain_text("revoked")
        assert httpx.get(hub.url + "/api/v1/auth/me", headers=local_auth).status_code == 401


# --- login throttling and the audit log -----------------------------------------------


def test_login_lockout_says_how_long_then_an_admin_clears_it(
    browser: Browser, page: Page, hub: Hub
) -> None:
    with hub.client() as api:
        user, password = make_user(api, "gus")
    context = browser.new_context(base_url=hub.url)
    try:
        login = context.new_page()
        login.goto("/projects")
        login.get_by_label("User name").fill(user["name"])
        login.get_by_label("Password").fill("wrong password, wrong password")
        # wrong passwords until the hub throttles the name (a few, CORRAL_LOGIN_DELAY_AFTER)
        for _ in range(30):
            login.get_by_role("button", name="Log in", exact=True).click()
            error = login.get_by_test_id("login-error")
            expect(error).to_be_visible()
            expect(login.get_by_role("button", name="Log in", exact=True)).to_be_enabled()
            if "Too many failed attempts" in error.inner_text():
                break
        expect(error).to_contain_text(
            re.compile(r"Too many failed attempts; try again in \d+ (s|min)")
        )
    finally:
        context.close()

    page.goto("/admin/lockouts")
    row = page.locator(f'tr[data-subject="user:{user["name"]}"]')
    expect(row).to_be_visible()
    row.get_by_role("button", name="Clear").click()
    expect(toast(page, f"user:{user['name']} may log in again")).to_be_visible()
    expect(row).to_have_count(0)
    session_client(hub, user["name"], password).close()


def test_audit_log_shows_filters_and_pages(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        user, _ = make_user(api, "hal")
        team = ok(api.post("/teams", json={"name": unique("aud"), "description": ""}))
        ok(api.put(f"/teams/{team['id']}/members/{user['name']}"))

    page.goto("/admin/audit")
    table = page.get_by_role("table", name="Audit log")
    created = table.locator("tr[data-action='user.created']").filter(has_text=user["name"])
    expect(created).to_have_count(1)
    expect(created).to_contain_text("admin")
    expect(created).to_contain_text("127.0.0.1")

    # by action (typed, applied with Enter): only that action
    page.get_by_label("Action").fill("team.member_added")
    page.get_by_label("Action").press("Enter")
    expect(page).to_have_url(hub.url + "/admin/audit?action=team.member_added")
    expect(
        table.locator("tbody tr[data-action='team.member_added']").filter(has_text=team["name"])
    ).to_have_count(1)
    expect(table.locator("tbody tr:not([data-action='team.member_added'])")).to_have_count(0)

    # by target type and outcome (applied at once)
    page.get_by_role("button", name="Clear filters").click()
    page.get_by_label("Target type").select_option("team")
    page.get_by_label("Outcome").select_option("ok")
    expect(page).to_have_url(hub.url + "/admin/audit?target_type=team&outcome=ok")
    expect(
        table.locator("tbody tr[data-action='team.created']").filter(has_text=team["name"])
    ).to_have_count(1)
    expect(table.locator("tbody tr:not([data-outcome='ok'])")).to_have_count(0)
    expect(table.locator("tbody tr[data-action='user.created']")).to_have_count(0)

    # an actor's link filters on them
    page.get_by_role("button", name="Clear filters").click()
    table.locator("tbody tr[data-action='team.created']").filter(has_text=team["name"]).get_by_role(
        "button", name="admin"
    ).click()
    expect(page).to_have_url(hub.url + "/admin/audit?actor=admin")
    expect(created).to_have_count(1)

    # a time range in the future has nothing
    page.get_by_label("From").fill("2099-01-01T00:00")
    expect(page.get_by_text("No entry matches")).to_be_visible()


def test_audit_log_shows_a_failed_login(page: Page, hub: Hub) -> None:
    with hub.client() as api:
        user, _ = make_user(api, "ida")
    failed = httpx.post(
        hub.url + "/api/v1/auth/login", json={"username": user["name"], "password": "nope nope"}
    )
    assert failed.status_code == 401
    page.goto("/admin/audit")
    page.get_by_label("Action").fill("login.failed")
    page.get_by_label("Outcome").select_option("failed")
    table = page.get_by_role("table", name="Audit log")
    row = table.locator("tbody tr[data-action='login.failed']").filter(has_text=user["name"])
    expect(row.first).to_contain_text("127.0.0.1")
    expect(table.locator("tbody tr:not([data-outcome='failed'])")).to_have_count(0)


def test_audit_log_loads_more_with_the_cursor(page: Page, hub: Hub) -> None:
    # more than a page (100) of entries of one action for this test's own team: the
    # newest of that action, so all of them are in the first two pages
    with hub.client() as api:
        team = ok(api.post("/teams", json={"name": unique("many"), "description": ""}))
        for i in range(110):
            ok(api.patch(f"/teams/{team['id']}", json={"description": f"take {i}"}))
    page.goto("/admin/audit?action=team.updated")
    table = page.get_by_role("table", name="Audit log")
    expect(table.locator("tbody tr")).to_have_count(100)
    expect(page.get_by_test_id("audit-count")).to_have_text("100 entries shown")
    page.get_by_role("button", name="Load more").click()
    expect(table.locator("tbody tr").filter(has_text=team["name"])).to_have_count(110)
