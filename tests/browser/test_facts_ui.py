"""The desk records a DTSEN check from a "?" criterion of the route page and, back on the
suggestions, sees the criterion met; on a phone and a desktop."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD
from tests.test_facts import widow_case

pytestmark = pytest.mark.browser


def desil_line(page):
    return page.locator("li.crit", has_text="Desil paling tinggi 4").first


def test_a_dtsen_check_from_a_question_mark_changes_the_suggestion(page, world):
    case = widow_case(world)  # a widow of 74 without NIK and her grandson of 10; never checked in DTSEN
    login(page, "desk.a", PASSWORD)
    page.goto(f"/cases/{case.id}/route")
    line = desil_line(page)
    expect(line).to_contain_text("Belum dicek di DTSEN, jadi desilnya belum diketahui.")
    expect(line.locator(".crit-mark")).to_have_text("?")
    for width in (1280, 360):
        screenshot(page, f"facts-route-before-{width}", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})

    line.get_by_role("link", name="Catat hasil cek DTSEN").click()
    expect(page.get_by_role("heading", name="Catat hasil cek DTSEN")).to_be_visible()
    page.select_option("#in_dtsen", "yes")
    page.select_option("#desil", "2")
    page.select_option("#source", "cek_bansos")
    for width in (1280, 360):
        screenshot(page, f"facts-dtsen-check-{width}", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name="Simpan hasil cek").click()

    page.wait_for_url(f"**/cases/{case.id}/route")
    expect(page.locator(".flashes")).to_contain_text("Hasil cek DTSEN dicatat.")
    line = desil_line(page)
    expect(line).to_contain_text("Desil 2, jadi syarat “Desil paling tinggi 4” terpenuhi.")
    expect(line).to_contain_text("cek DTSEN (Cek Bansos)")
    expect(line.locator(".crit-mark")).to_have_text("✓")
    for width in (1280, 360):
        screenshot(page, f"facts-route-after-{width}", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto(f"/households/{case.reporter.household_id}")
    expect(page.locator("main")).to_contain_text("Sumber data DTSEN")
    for width in (1280, 360):
        screenshot(page, f"facts-household-{width}", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
