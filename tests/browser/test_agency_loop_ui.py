"""The agency's inbox counted in working days and the coordinator's bulk approval, in Chromium at
a phone's width and a desk's (issue 17 items 5 and 7)."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from slrt.referrals.models import ReferralStatus as S
from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import no_sideways_scroll, serious_violations
from tests.factories import PASSWORD
from tests.referral_factories import referral_in
from tests.test_agency_loop import _due_in

pytestmark = pytest.mark.browser


def test_the_inbox_says_working_days_and_puts_the_late_first(page, world):
    _due_in(world, 10)
    _due_in(world, 1)
    late = _due_in(world, -4)
    db.session.commit()
    login(page, "dinsos", PASSWORD)
    page.goto("/referrals/inbox")
    first = page.locator(f"a[href='/referrals/{late.id}']").first
    expect(first).to_be_visible()
    expect(page.locator("main")).to_contain_text("terlambat 4 hari kerja")
    expect(page.locator("main")).to_contain_text("sisa 1 hari kerja")
    for width in (360, 1280):
        screenshot(page, f"agency-inbox-{width}", width)
        assert no_sideways_scroll(page)
    assert serious_violations(page) == []


def test_the_coordinator_approves_several_and_one_refused_says_why(page, world):
    world.office_a.requires_approval = True
    ready = [referral_in(world, S.AWAITING_APPROVAL) for _ in range(2)]
    stuck = referral_in(world, S.AWAITING_APPROVAL)
    stuck.agency_id = None
    db.session.commit()
    login(page, "koor.a", PASSWORD)
    page.goto("/referrals/approvals")
    for referral in (*ready, stuck):
        page.check(f"#pick-{referral.id}")
    page.get_by_role("button", name="Setujui dan kirim yang dipilih").click()
    expect(page.locator(".flashes")).to_contain_text("2 rujukan disetujui dan dikirim ke lembaga.")
    expect(page.locator(".flashes")).to_contain_text(f"(#{stuck.id}) tidak diproses")
    for width in (360, 1280):
        screenshot(page, f"bulk-approval-{width}", width)
        assert no_sideways_scroll(page)
    assert serious_violations(page) == []
