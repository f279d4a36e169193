"""Follow-up in a real browser (issue 16): the widow's needs show their own states on the case
page, a need is closed by the desk with a reason (an empty one is refused at the field), and the
desk home lists under "Tindak lanjut" the services whose prerequisite is now met."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD
from tests.test_follow_up import NIK, _refer, _resolve, widow_case

pytestmark = pytest.mark.browser


def test_need_states_closing_a_need_and_the_follow_up_list(page, world):
    waiting, needs = widow_case(world)
    _refer(world, waiting, needs["adminduk"], "ADMINDUK")
    ready, ready_needs = widow_case(world)
    admin = _refer(world, ready, ready_needs["adminduk"], "ADMINDUK")
    _resolve(admin, world.users["other_agency"])
    ready.reporter.nik = NIK[:-1] + "9"
    db.session.commit()

    login(page, "desk.a", PASSWORD)
    page.goto(f"/cases/{waiting.id}")
    expect(page.locator("#needs .badge-need-waiting").first).to_be_visible()
    rumah = page.locator("#needs .need-row", has_text="rumah").first
    rumah.get_by_text("Tutup kebutuhan ini").click()
    rumah.get_by_role("button", name="Tutup kebutuhan", exact=True).click()
    expect(page.locator("#needs .field-error").first).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"follow-up-case-{width}", width)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    expect(page.locator("#tindak-lanjut").get_by_text("BPNT, PBI-JK, RUTILAHU")).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"follow-up-home-{width}", width)
