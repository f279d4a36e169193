"""Pages work under the strict Content-Security-Policy: no violation on the main pages, the
region picker's script still runs; the administrator's audit and token pages look right."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from slrt.accounts import services
from slrt.core.audit import audit
from slrt.extensions import db
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture()
def strict_page(browser, live_server):
    """Like the shared `page`, but with the Content-Security-Policy enforced."""
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="id-ID"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _watch_csp(page) -> list[str]:
    """Collects CSP violations: console errors and securitypolicyviolation events."""
    seen: list[str] = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_main_pages_raise_no_csp_violation(strict_page, world):
    page = strict_page
    violations = _watch_csp(page)
    for path in ("/login", "/status", "/lapor"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    login(page, "desk.a", PASSWORD)
    case = world.case_a
    for path in (
        "/",
        "/cases/new",
        f"/cases/{case.id}",
        f"/persons/{case.reporter_id}",
        f"/households/{case.household_id}",
        f"/cases/{case.id}/route",
        f"/referrals/{world.referral_a.id}",
        "/search?q=siti",
        "/directory/services",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert not violations, violations


def test_audit_and_token_pages_for_the_administrator(strict_page, world):
    page = strict_page
    for n in range(3):
        audit("case.view", world.case_a, actor=world.users["desk_a"], detail={"n": n})
    services.issue_token(world.users["slrt"], name="Jembatan Open311", scopes=["open311:report"])
    # Tokens are minted through the web only for integration accounts (issue 15, finding 8).
    world.users["slrt"].service_account = True
    db.session.commit()
    violations = _watch_csp(page)
    login(page, "admin", PASSWORD)
    page.goto("/admin/audit")
    expect(page.locator("h1")).to_have_text("Jejak audit")
    for width in (360, 1280):
        screenshot(page, f"security-audit-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/tokens")
    page.fill("#username", "slrt.bdg")
    page.fill("#name", "Sistem Dukcapil")
    page.check("input[value='referrals:read']")
    for width in (360, 1280):
        screenshot(page, f"security-tokens-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("form[action$='/admin/tokens'] button[type=submit]")
    secret = page.locator("#token-secret").inner_text()
    assert secret.startswith("slrt_")
    screenshot(page, "security-token-created-360", 360)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/admin/tokens")
    page.get_by_role("link", name="Cabut").first.click()
    screenshot(page, "security-token-revoke-1280", 1280)
    page.get_by_role("button", name="Ya, cabut token").click()
    expect(page.get_by_text("dicabut").first).to_be_visible()
    page.set_viewport_size({"width": 360, "height": 800})
    assert not violations, violations
