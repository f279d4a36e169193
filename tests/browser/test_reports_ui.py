"""The regency dashboard in a real browser, on the demo regency: SLRT sees its districts, every
number leads to its records, and the page holds up on a phone and on a desktop."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_slrt_regency_dashboard_drills_down_to_the_records(page):
    from slrt.demo import run_steps

    run_steps()
    db.session.commit()
    login(page, "slrt", "demo12345")
    page.goto("/")
    page.locator(".menu summary").click()
    page.get_by_role("link", name="Dasbor laporan").click()
    expect(page.locator("h1")).to_contain_text("Bandung")
    expect(page.locator(".rep-regions tfoot")).to_contain_text("Jumlah")
    for width in (1280, 360):
        screenshot(page, f"reports-dashboard-regency-{width}", width)
    # Down to the district, then the records behind its number of referrals.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(".rep-regions tbody a", has_text="Cileunyi").click()
    expect(page.locator("h1")).to_contain_text("Cileunyi")
    screenshot(page, "reports-dashboard-district-1280")
    page.locator(".stat-num a").nth(1).click()
    expect(page.locator("h1")).to_contain_text("Rujukan")
    expect(page.locator(".rep-records tbody tr").first).to_be_visible()
    screenshot(page, "reports-records-1280")
    screenshot(page, "reports-records-360", 360)
