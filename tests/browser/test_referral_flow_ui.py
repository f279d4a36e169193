"""The whole loop in a real browser: the desk asks for approval, the coordinator approves, the
agency accepts and resolves, and the desk sees the feedback (umpan balik)."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from slrt.referrals.models import ReferralStatus
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, make_case, make_office, make_person, make_referral, make_user

pytestmark = pytest.mark.browser
VILLAGE_C = "32.04.05.2003"


def _as(page, username):
    """Log out through the page (as a person would), then log in as someone else."""
    logout = page.locator("form[action='/logout'] button")
    if logout.count():
        logout.click()
        page.wait_for_url(lambda url: "/login" in url)
    login(page, username, PASSWORD)


def test_desk_approval_agency_accepts_and_resolves_desk_sees_feedback(page, world):
    office = make_office("PKS-C", VILLAGE_C, approval=True)
    make_user("desk.c", "desk", office_code="PKS-C")
    make_user("koor.c", "coordinator", office_code="PKS-C")
    case = make_case(VILLAGE_C, office, reporter=make_person(VILLAGE_C, name="Euis Rahayu"))
    referral = make_referral(case, "BPNT", agency=world.agency, status=ReferralStatus.DRAFT)
    referral.reason = "Terdaftar DTSEN desil 2, belum menerima BPNT."
    db.session.commit()

    # 1. The desk sends; this office requires approval, so it waits for the coordinator.
    _as(page, "desk.c")
    page.goto(f"/cases/{case.id}")
    page.get_by_text("Ajukan persetujuan").first.click()
    page.locator("#referrals form button[type=submit]").first.click()
    expect(page.locator("#referrals .badge-awaiting_approval").first).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"referral-case-awaiting-{width}", width)

    # 2. The coordinator approves from the queue.
    _as(page, "koor.c")
    page.goto("/referrals/approvals")
    for width in (360, 1280):
        screenshot(page, f"referral-approvals-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    # The row's own action (the bulk button above the list is "Setujui dan kirim yang dipilih").
    page.locator(".ref-row-actions summary", has_text="Setujui dan kirim").first.click()
    page.locator(".ref-row-actions form button[type=submit]:has-text('Setujui dan kirim')").first.click()
    expect(page.get_by_text("Tidak ada rujukan yang menunggu persetujuan")).to_be_visible()

    # 3. The agency finds it in its inbox, accepts, then resolves with an outcome.
    _as(page, "dinsos")
    page.goto("/referrals/inbox")
    expect(page.get_by_text("Bantuan Pangan Non Tunai").first).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"referral-inbox-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_text("Bantuan Pangan Non Tunai").first.click()
    page.get_by_text("Terima rujukan").first.click()
    page.fill(f"#message-accepted-{referral.id}", "Rujukan diterima, kami proses minggu ini.")
    page.locator("form button[type=submit]:has-text('Terima rujukan')").click()
    expect(page.locator("#referral-status")).to_have_text("Diterima lembaga")
    page.get_by_text("Selesai: catat hasil").first.click()
    page.select_option(f"#outcome-resolved-{referral.id}", "granted")
    page.fill(f"#note-resolved-{referral.id}", "Masuk daftar penerima BPNT mulai bulan depan.")
    page.locator("form button[type=submit]:has-text('Selesai: catat hasil')").click()
    expect(page.locator("#referral-status")).to_have_text("Selesai ditangani")
    for width in (360, 1280):
        screenshot(page, f"referral-detail-agency-{width}", width)

    # 4. The desk sees the feedback on its home page and on the case.
    _as(page, "desk.c")
    expect(page.get_by_role("heading", name="Rujukan menunggu desk")).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"referral-desk-home-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/cases/{case.id}")
    feedback = page.locator(".ref-feedback-line").first
    expect(feedback).to_contain_text("Bantuan disetujui")
    expect(feedback).to_contain_text("Masuk daftar penerima BPNT")
    for width in (360, 1280):
        screenshot(page, f"referral-case-feedback-{width}", width)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto(f"/referrals/{referral.id}")
    expect(page.get_by_text("Umpan balik dari lembaga")).to_be_visible()
    page.get_by_text("Tandai: warga sudah diberi tahu").click()
    expect(page.get_by_text("warga sudah diberi tahu hasilnya")).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"referral-detail-desk-{width}", width)
