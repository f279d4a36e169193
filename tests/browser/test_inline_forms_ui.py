"""An inline action form refused by the server comes back open, with what was chosen and typed
and the message at its field (issue 20 item 2), at a phone's width and a desk's."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from slrt.referrals.models import ReferralStatus as S
from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import no_sideways_scroll, serious_violations
from tests.factories import PASSWORD
from tests.referral_factories import referral_in

pytestmark = pytest.mark.browser


def test_not_granted_without_a_note_keeps_the_outcome_and_says_why_at_the_field(page, world):
    referral = referral_in(world, S.IN_PROGRESS)
    db.session.commit()
    login(page, "dinsos", PASSWORD)
    page.goto(f"/referrals/{referral.id}")
    action = page.locator("details.ref-action", has=page.locator("input[name=to][value=resolved]")).first
    action.locator("summary").click()
    uid = f"resolved-{referral.id}"
    page.select_option(f"#outcome-{uid}", "not_granted")
    page.select_option(f"#ngreason-{uid}", "quota_full")
    page.fill(f"#message-{uid}", "Mohon maaf, kuota bulan ini sudah penuh.")
    action.locator("button[type=submit]").click()
    again = page.locator("details.ref-action[open]")
    expect(again).to_have_count(1)
    expect(page.locator(f"#outcome-{uid}")).to_have_value("not_granted")
    expect(page.locator(f"#ngreason-{uid}")).to_have_value("quota_full")
    expect(page.locator(f"#message-{uid}")).to_have_value("Mohon maaf, kuota bulan ini sudah penuh.")
    expect(again.locator(".field-error").first).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"inline-form-kept-{width}", width)
        assert no_sideways_scroll(page)
    assert serious_violations(page) == []
