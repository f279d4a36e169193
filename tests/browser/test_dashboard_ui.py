"""The regency dashboard as an SLRT manager reads it, at a desk's width and a phone's (issue 20
item 6): quick periods, month choices in words, empty districts folded, every column whole."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_the_dashboard_fits_and_offers_quick_periods(page, world):
    login(page, "slrt.bdg", PASSWORD)
    page.goto("/reports/")
    expect(page.get_by_text("wilayah tanpa data disembunyikan")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    # The last column's heading is whole inside the table's box (it was cut at "Median selesai (har").
    box = page.locator(".rep-regions").bounding_box()
    last = page.locator(".rep-regions thead th").last.bounding_box()
    assert last["x"] + last["width"] <= box["x"] + box["width"] + 1
    screenshot(page, "dashboard-1280")
    page.get_by_role("link", name="Bulan lalu").click()
    expect(page.get_by_role("link", name="Bulan lalu")).to_have_attribute("aria-current", "true")
    expect(page.locator("#rep-from option:checked")).not_to_have_text("Sejak awal")
    screenshot(page, "dashboard-last-month-360", 360)
    assert serious_violations(page) == []
