"""The audit trail page as an administrator reads it (issue 20 item 12)."""

import pytest
from playwright.sync_api import expect

from slrt.core.audit import audit
from slrt.extensions import db
from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["id", "en"])
def test_audit_rows_read_as_words_with_choice_filters(page, world, lang):
    audit("case.view", world.case_a, actor=world.users["desk_a"])
    audit(
        "referral.transition",
        world.referral_a,
        actor=world.users["agency"],
        detail={"from": "in_progress", "to": "resolved", "outcome": "granted"},
    )
    db.session.commit()
    login(page, "admin", PASSWORD)
    page.goto(f"/admin/audit?lang={lang}")
    page.select_option("#action", "referral")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**action=referral*")
    row = page.locator("tbody tr").first.inner_text()
    expected = "Rujukan: Sedang ditangani → Selesai" if lang == "id" else "Referral: In progress → Resolved"
    assert expected in row and "{" not in row
    expect(page.locator("tbody tr")).to_have_count(1)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert serious_violations(page) == []
        screenshot(page, f"audit-trail-{lang}-{width}")
    page.click(f"tbody a[href='/referrals/{world.referral_a.id}']")
    page.wait_for_url(f"**/referrals/{world.referral_a.id}")
