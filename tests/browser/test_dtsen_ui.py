"""The desk finds what the DTSEN import brought: membership, desil and programmes in the search
results and on the household page, readable on a phone and a desktop."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from slrt.intake import models as m
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_search_and_household_show_the_imported_register_data(page, world):
    household = world.case_a.household
    household.in_dtsen, household.desil, household.programmes = True, 3, ["BPNT", "PKH"]
    household.kk_number = "3204050101200001"
    db.session.add(m.Person(name="Siti Nurhaliza", village_code=household.village_code, household=household))
    db.session.commit()
    login(page, "desk.a", PASSWORD)
    page.goto("/search?q=siti")
    row = page.locator(".row", has_text="Siti Aminah")
    expect(row).to_contain_text("Terdaftar DTSEN · Desil 3 · Program: BPNT, PKH")
    for width in (360, 1280):
        screenshot(page, f"dtsen-search-{width}", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    row.get_by_role("link").click()
    page.get_by_role("link", name="Lihat keluarga").click()
    expect(page.get_by_text("Program yang diterima")).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"dtsen-household-{width}", width)
