"""An administrator edits a criterion in the browser, and the next suggestion follows it."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD
from tests.test_routing_pages import elderly_case

pytestmark = pytest.mark.browser


def fits_a_phone(page) -> bool:
    page.set_viewport_size({"width": 360, "height": 800})
    return page.evaluate("document.documentElement.scrollWidth") <= 360


def atensi_lansia_row(page):
    return page.locator("li.route-item", has_text="ATENSI-LANSIA").first


def test_admin_edits_a_criterion_and_the_next_suggestion_follows_it(page, world):
    case = elderly_case(world)  # a grandmother of 72 or 73: ATENSI-LANSIA asks for 60+

    login(page, "desk.a", PASSWORD)
    page.goto(f"/cases/{case.id}")
    page.get_by_role("link", name="Pilih layanan rujukan").click()
    row = atensi_lansia_row(page)
    expect(row).to_contain_text("Memenuhi syarat")
    expect(row.locator("input[type=checkbox]")).to_be_checked()
    for width in (1280, 360):
        screenshot(page, f"routing-case-route-{width}", width)
    assert fits_a_phone(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Keluar").click()

    login(page, "admin", PASSWORD)
    page.goto("/directory/services")
    page.get_by_role("link", name="ATENSI-LANSIA").first.click()
    page.get_by_role("link", name="Ubah layanan dan kriteria").click()
    expression = page.locator("#criteria-0-expression")
    expression.fill("umur >= 80")
    page.get_by_role("button", name="Simpan").click()
    error = page.locator(".crit-editor.has-error .field-error").first
    expect(error).to_contain_text("Fakta 'umur' tidak dikenal")
    for width in (1280, 360):
        screenshot(page, f"routing-criterion-error-{width}", width)
    assert fits_a_phone(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#criteria-0-name").fill("Usia 80 tahun atau lebih")
    page.locator("#criteria-0-expression").fill("age >= 80")
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".flashes")).to_contain_text("Layanan ATENSI-LANSIA disimpan.")
    expect(page.locator("main")).to_contain_text("age >= 80")
    for width in (1280, 360):
        screenshot(page, f"routing-service-detail-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Keluar").click()

    login(page, "desk.a", PASSWORD)
    page.goto(f"/cases/{case.id}/route")
    row = atensi_lansia_row(page)
    text = row.inner_text()
    assert "Tidak memenuhi syarat" in text and "Usia 80 tahun atau lebih" in text
    assert "tidak terpenuhi" in text
    expect(row.locator("input[type=checkbox]")).not_to_be_checked()


def test_directory_lists_at_phone_and_desk_width(page, world):
    login(page, "admin", PASSWORD)
    for path, name in (("/directory/services", "services"), ("/directory/agencies", "agencies")):
        page.goto(path)
        for width in (1280, 360):
            screenshot(page, f"routing-directory-{name}-{width}", width)
        assert fits_a_phone(page)
        page.set_viewport_size({"width": 1280, "height": 900})
