"""Everyday comforts in a real browser: the dark theme, keyboard shortcuts, dialogs that
submit on Enter and confirm in the app, forms that show their errors, tracebacks with
their lines, worker facts with labels."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from corral.testing.hub import ADMIN_PASSWORD, Hub
from tests.factories import ok, run_to, task, unique
from tests.ui.conftest import WAIT_MS
from tests.ui.seed import Seeded

pytestmark = pytest.mark.sqlite_hub

#: the luminance (0..1) of a computed CSS colour (-1 when it is transparent)
LUMINANCE = """(css) => {
  const [r, g, b, a] = css.match(/[\\d.]+/g).map(Number);
  if (a === 0) return -1;
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def _luminance(page: Page, selector: str, prop: str) -> float:
    css = page.eval_on_selector(selector, f"(el) => getComputedStyle(el).{prop}")
    return float(page.evaluate(LUMINANCE, css))


@pytest.fixture
def dark_context(browser: Browser, hub: Hub) -> Iterator[BrowserContext]:
    """A logged-in context whose system prefers the dark theme."""
    ctx = browser.new_context(
        base_url=hub.url, viewport={"width": 1400, "height": 900}, color_scheme="dark"
    )
    ctx.set_default_timeout(WAIT_MS)
    ctx.set_default_navigation_timeout(WAIT_MS)
    r = ctx.request.post(
        "/api/v1/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert r.ok, r.text()
    yield ctx
    ctx.close()


def test_dark_theme_follows_the_system_and_the_toggle_is_remembered(
    dark_context: BrowserContext,
) -> None:
    page = dark_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/projects")
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    assert 0 <= _luminance(page, "body", "backgroundColor") < 0.2
    assert _luminance(page, "h1", "color") > 0.7
    assert page.eval_on_selector("html", "(el) => getComputedStyle(el).colorScheme") == "dark"
    # charts hear of every change
    page.evaluate(
        "window.__themes = []; window.addEventListener('corral-theme', "
        "(e) => window.__themes.push(e.detail.theme))"
    )

    theme = page.get_by_role("group", name="Theme")
    theme.get_by_role("button", name="Light theme").click()
    expect(html).to_have_attribute("data-theme", "light")
    assert _luminance(page, "body", "backgroundColor") > 0.8
    assert _luminance(page, "h1", "color") < 0.3
    assert page.evaluate("window.__themes") == ["light"]

    page.reload()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(html).to_have_attribute("data-theme", "light")
    expect(theme.get_by_role("button", name="Light theme")).to_have_attribute(
        "aria-pressed", "true"
    )
    # back to the system's choice
    theme.get_by_role("button", name="Follow the system's setting").click()
    expect(html).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(html).to_have_attribute("data-theme", "dark")
    assert page.evaluate("localStorage.getItem('corral.theme')") is None
    assert not errors, errors


def test_shortcuts_help_search_navigation_theme_and_tabs(
    page: Page, api: httpx.Client, seeded: Seeded
) -> None:
    page.goto("/projects")
    expect(page.get_by_label("Search projects")).to_be_visible()

    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    anywhere = help_dialog.get_by_role("region", name="Anywhere")
    for key in ("?", "/", "t", "g p", "g e", "g m", "g w", "g q"):
        expect(anywhere.locator(f'[data-key="{key}"]')).to_have_count(1)
    page.keyboard.press("Escape")
    expect(help_dialog).to_have_count(0)

    page.keyboard.press("/")
    expect(page.get_by_label("Search projects")).to_be_focused()
    page.keyboard.type("gq")  # typed into the search box: no shortcut
    expect(page).to_have_url(re.compile(r"/projects$"))
    page.get_by_label("Search projects").blur()

    before = page.locator("html").get_attribute("data-theme")
    page.keyboard.press("t")
    expect(page.locator("html")).not_to_have_attribute("data-theme", before or "")
    page.keyboard.press("t")
    expect(page.locator("html")).to_have_attribute("data-theme", before or "")

    for keys, url in (
        ("gm", "/models"),
        ("gw", "/workers"),
        ("gq", "/queues"),
        ("ge", "/experiments"),
    ):
        page.keyboard.press(keys[0])
        page.keyboard.press(keys[1])
        expect(page).to_have_url(re.compile(f"{url}$"))
    page.keyboard.press("g")
    page.keyboard.press("p")
    expect(page).to_have_url(re.compile(r"/projects$"))

    # the queues page: j and k walk its list
    ok(api.post("/queues", json={"name": unique("walk")}))
    names = [q["name"] for q in ok(api.get("/queues"))]
    page.goto(f"/queues?queue={names[0]}")
    expect(page.get_by_test_id("queue-detail")).to_have_attribute("data-queue", names[0])
    page.keyboard.press("j")
    expect(page.get_by_test_id("queue-detail")).to_have_attribute("data-queue", names[1])
    page.keyboard.press("k")
    expect(page.get_by_test_id("queue-detail")).to_have_attribute("data-queue", names[0])

    draft = seeded.tasks["draft"]["id"]
    page.goto(f"/experiments/{draft}")
    expect(page.get_by_test_id("task-page")).to_be_visible()
    for key, tab in (("4", "info"), ("2", "configuration"), ("9", "models"), ("1", "execution")):
        page.keyboard.press(key)
        expect(page).to_have_url(re.compile(f"/experiments/{draft}/{tab}$"))
        expect(page.get_by_test_id(f"tab-{tab}")).to_be_visible()
    page.keyboard.press("?")
    experiment = help_dialog.get_by_role("region", name="Experiment")
    expect(experiment).to_contain_text("Open the Info tab")
    expect(experiment.locator('[data-key="e"]')).to_contain_text("Enqueue")
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    expect(page.get_by_role("dialog", name="Enqueue 1 task")).to_be_visible()


def test_enter_submits_a_dialog_once_and_irreversible_actions_confirm_in_the_app(
    page: Page, hub: Hub, seeded: Seeded
) -> None:
    native: list[str] = []
    page.on("dialog", lambda d: (native.append(d.message), d.dismiss()))
    draft = seeded.tasks["draft"]
    clone_name = unique("entered")
    page.goto(f"/experiments/{draft['id']}")
    page.get_by_role("toolbar", name="Experiment actions").get_by_role(
        "button", name=re.compile("^Clone")
    ).click()
    dialog = page.get_by_role("dialog", name="Clone experiment")
    dialog.get_by_label("New name").fill(clone_name)
    expect(dialog.get_by_label("Target project")).to_have_value(seeded.name)
    dialog.get_by_label("New name").press("Enter")
    page.keyboard.press("Enter")  # a second Enter must not clone again
    expect(page.get_by_test_id("task-page")).to_contain_text(clone_name)
    with hub.client() as api:
        found = ok(api.get("/tasks", params={"text": clone_name}))
        assert [t["name"] for t in found["items"]] == [clone_name]
        key = ok(api.post("/keys", json={"label": unique("doomed")}))

    page.goto("/profile/keys")
    row = page.locator("tr", has=page.get_by_text(key["access_key"]))
    row.get_by_role("button", name="Revoke").click()
    confirm = page.get_by_role("dialog", name=f"Revoke key {key['access_key']}?")
    expect(confirm).to_contain_text("stop working")
    confirm.get_by_role("button", name="Revoke").click()
    expect(confirm).to_have_count(0)
    expect(row).to_contain_text("revoked")
    assert native == []


def test_a_bad_value_scrolls_to_its_field_and_a_traceback_keeps_its_lines(
    page: Page, api: httpx.Client
) -> None:
    params = {f"p{i:02d}": {"value": i, "type": "int"} for i in range(60)}
    draft = task(api, unique("long-form"), hyperparams={"Args": params})
    page.goto(f"/experiments/{draft['id']}/configuration")
    page.get_by_role("button", name="Edit parameters").click()
    editor = page.get_by_test_id("params-editor")
    field = editor.get_by_role("textbox", name="Value of Args/p03", exact=True)
    field.fill("not a number")
    save = editor.get_by_role("button", name="Save parameters")
    save.scroll_into_view_if_needed()
    expect(field).not_to_be_in_viewport()
    save.click()
    expect(field).to_be_in_viewport()
    expect(field).to_be_focused()
    expect(editor.get_by_role("alert").first).to_contain_text("Not saved")

    failed = task(api, unique("tracebacks"))
    run_to(api, failed["id"], "in_progress")
    trace = 'Traceback (most recent call last):\n  File "train.py", line 3\nValueError: bad'
    ok(api.post(f"/tasks/{failed['id']}:fail", json={"message": trace}))
    page.goto(f"/experiments/{failed['id']}/info")
    message = page.get_by_test_id("info-status-message").locator("pre")
    expect(message).to_have_text(trace)
    assert message.evaluate("(el) => getComputedStyle(el).whiteSpace") == "pre-wrap"
    # three lines tall at least (a text of one line would be about one font size)
    font = float(message.evaluate("(el) => parseFloat(getComputedStyle(el).fontSize)"))
    assert message.bounding_box()["height"] >= 3 * font  # type: ignore[index]


def test_worker_facts_have_labels(page: Page, api: httpx.Client) -> None:
    worker = unique("labelled")
    machine = {
        "hostname": "box-1",
        "os_name": "Linux",
        "os": "Linux-6.1-x86_64",
        "cpu_cores": 8,
        "memory_gb": 15.5,
        "python": "3.12.1",
        "gpu_count": 1,
        "disk_total_gb": 100,
    }
    ok(api.post("/workers", json={"id": worker, "queues": [], "machine": machine}), 201)
    page.goto(f"/workers?worker={worker}")
    facts = page.get_by_label("Machine")
    for label, value in (
        ("Host", "box-1"),
        ("OS", "Linux"),
        ("Platform", "Linux-6.1-x86_64"),
        ("CPU cores", "8"),
        ("Memory", "15.5 GB"),
        ("Python", "3.12.1"),
        ("GPUs", "1"),
        ("Disk total (GB)", "100"),
    ):
        fact = facts.locator(
            ".worker-fact", has=page.locator("dt", has_text=re.compile(f"^{re.escape(label)}$"))
        )
        expect(fact.locator("dd")).to_have_text(value)
    expect(facts).not_to_contain_text("os_name")
