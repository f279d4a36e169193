"""Privacy pages in Chromium: a masked NIK revealed with a reason, the consent and erasure page."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from slrt.intake.models import ConsentBy
from slrt.privacy import consent
from slrt.privacy.models import ConsentMethod
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

NIK = "3204055102930007"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_officer_reveals_a_masked_nik_with_a_reason_and_sees_the_privacy_page(page, world):
    person = world.case_a.reporter
    person.nik = NIK
    person.household.kk_number = "3204050101010001"
    desk = world.users["desk_a"]
    consent.record_consent(person, world.case_a, ConsentBy.SELF, ConsentMethod.WRITTEN, desk)
    db.session.commit()
    login(page, "slrt.bdg", PASSWORD)
    page.goto(f"/persons/{person.id}")
    assert "3204********0007" in page.content() and NIK not in page.content()
    page.get_by_text("Tampilkan", exact=True).click()
    for width in (360, 1280):
        screenshot(page, f"privacy-reveal-form-{width}", width)
        assert no_sideways_scroll(page)
    page.fill(f"#reveal-reason-persons-{person.id}", "Mencocokkan dengan KTP asli")
    page.get_by_role("button", name="Tampilkan nomor").click()
    expect(page.locator("main")).to_contain_text(NIK)
    screenshot(page, "privacy-revealed-1280", 1280)

    page.get_by_role("link", name="Persetujuan & hak atas data").click()
    page.get_by_text("Catat penarikan persetujuan").click()
    for width in (360, 1280):
        screenshot(page, f"privacy-person-{width}", width)
        assert no_sideways_scroll(page)
