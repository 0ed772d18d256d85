"""The UI shell's strict Content-Security-Policy: the pages draw (plotly, charts) with no
violation reported by chromium, and the policy really applies (an injected inline script
is refused)."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.ui.seed import Seeded

pytestmark = pytest.mark.sqlite_hub


def _watch(page: Page) -> list[str]:
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', e => {"
        " window.__csp.push(e.violatedDirective);"
        " console.error('Content Security Policy violation: ' + e.violatedDirective"
        " + ' ' + e.blockedURI) })"
    )
    return violations


def test_main_pages_render_without_csp_violations(page: Page, seeded: Seeded) -> None:
    violations = _watch(page)
    response = page.goto(f"/projects/{seeded.project['id']}/experiments")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("[data-testid=experiments-table]")).to_be_visible()
    expect(page.get_by_text("baseline").first).to_be_visible()
    task_id = seeded.tasks["baseline"]["id"]

    page.goto(f"/experiments/{task_id}/scalars")
    loss = page.locator("[data-testid=chart][data-title='loss']")
    expect(loss).to_have_attribute("data-ready", "true")
    expect(loss.locator("canvas").first).to_be_visible()

    page.goto(f"/experiments/{task_id}/plots")
    card = page.get_by_role("region", name="confusion / val")
    expect(card.locator(".js-plotly-plot .heatmaplayer, .js-plotly-plot .hm")).not_to_have_count(0)
    # plotly's hover and mode bar styles come from its own stylesheet rules
    card.locator(".js-plotly-plot").hover()

    page.goto(f"/experiments/{task_id}/debug-samples")
    expect(page.locator("img").first).to_be_visible()
    assert violations == [], "\n".join(violations)


def test_an_injected_inline_script_is_refused(page: Page, seeded: Seeded) -> None:
    violations = _watch(page)
    page.goto("/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__injected = true'; document.body.appendChild(s) }"
    )
    page.wait_for_function("() => window.__csp.length > 0")
    assert page.evaluate("() => window.__injected === true") is False
    assert any("script-src" in v for v in page.evaluate("() => window.__csp"))
    assert any("Content Security Policy" in v for v in violations), violations
