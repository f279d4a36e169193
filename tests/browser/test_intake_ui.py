"""The whole desk flow in Chromium: find, register a new household without NIK, two needs,
consent, save, receipt."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_desk_officer_registers_a_new_household_and_prints_the_receipt(page, world):
    login(page, "desk.a", PASSWORD)
    page.get_by_role("link", name="+ Kasus baru").click()

    # Find first: a known person is offered...
    page.fill("#name", "siti")
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_text("Siti Aminah")).to_be_visible()
    screenshot(page, "intake-find-1280")
    # ...a new one goes straight to registration, with what was typed.
    page.fill("#name", "Wati Suryani")
    page.fill("#birth_date", "1985-03-02")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator("#name")).to_have_value("Wati Suryani")

    # Saving with problems lists them all and keeps what was typed.
    page.fill("#street", "Kp. Babakan No. 5")
    page.get_by_role("button", name="Simpan dan buat tanda terima").click()
    summary = page.locator(".error-summary")
    summary.wait_for()  # the form is sent by script (static/js/draft.js): no navigation to wait for
    expect(summary).to_contain_text("pertanyaan anonim")
    expect(page.locator("#street")).to_have_value("Kp. Babakan No. 5")
    for width in (360, 1280):
        screenshot(page, f"intake-errors-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.check("#consent")
    page.select_option("#nik_missing_reason", "never_registered")
    page.select_option("#sex", "P")
    page.fill("#phone", "0812 3456 7890")
    page.select_option("#relationship", "head")
    page.fill("#rt", "3")
    page.fill("#rw", "7")
    page.locator("details.members summary").click()
    page.fill("#members-0-name", "Dede")
    page.fill("#members-0-birth_date", "2014-06-01")
    page.select_option("#members-0-sex", "L")
    page.select_option("#members-0-relationship", "child")
    page.select_option("#members-0-schooling", "in_school")
    page.select_option("#needs-0-category", "pangan")
    page.fill("#needs-0-description", "Beras habis sejak suami sakit")
    page.select_option("#needs-1-category", "pendidikan")
    page.select_option("#needs-1-person", "m0")
    expect(page.locator("#needs-1-person option:checked")).to_have_text("Dede")
    page.fill("#needs-1-description", "Seragam sekolah Dede")
    for width in (360, 1280):
        screenshot(page, f"intake-form-{width}", width)
        assert no_sideways_scroll(page), width
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Simpan dan buat tanda terima").click()

    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    code = page.locator("#tracking-code").inner_text()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    expect(page.locator(".qr svg")).to_be_visible()
    expect(page.get_by_text("Langkah selanjutnya")).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"intake-receipt-{width}", width)
        assert no_sideways_scroll(page), width

    # The household page shows both members and the case.
    page.get_by_role("link", name="Buka kasus").click()
    page.get_by_role("link", name="Lihat keluarga").click()
    expect(page.get_by_text("Dede")).to_be_visible()
    expect(page.get_by_text(code)).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"intake-household-{width}", width)


def test_regency_officer_picks_the_village_with_the_region_picker(page, world):
    login(page, "slrt.bdg", PASSWORD)
    page.goto("/cases/new?new=1")
    picker = page.locator(".region-picker select")
    picker.nth(0).select_option("32")
    page.wait_for_function("document.querySelectorAll('.region-picker select')[1].options.length > 1")
    picker.nth(1).select_option("32.04")
    page.wait_for_function("document.querySelectorAll('.region-picker select')[2].options.length > 1")
    picker.nth(2).select_option("32.04.05")
    page.wait_for_function("document.querySelectorAll('.region-picker select')[3].options.length > 1")
    picker.nth(3).select_option("32.04.05.2002")
    expect(page.locator("#village_code")).to_have_value("32.04.05.2002")
    screenshot(page, "intake-picker-360", 360)


def test_desk_officer_registers_a_widow_who_knows_only_her_birth_year(page, world):
    """Issue 16's hard case: a widow of 74 without NIK who knows only her birth year, her grandson
    of 10 in school, four needs. The form asks only what can apply to each of them."""
    from slrt.core.workdays import local_today

    year = local_today().year
    login(page, "desk.a", PASSWORD)
    page.goto("/cases/new?new=1")
    page.check("#consent")
    page.fill("#name", "Mak Onah")
    page.select_option("#nik_missing_reason", "lost")
    # Before her age is known, the guardian fields and pregnancy may apply; after, they go.
    page.select_option("#sex", "P")
    expect(page.locator("#pregnant")).to_be_visible()
    expect(page.locator("#birth_year")).to_be_hidden()
    page.select_option("#birth_precision", "year")
    expect(page.locator("#birth_date")).to_be_hidden()
    page.fill("#birth_year", str(year - 74))
    expect(page.locator("#pregnant")).to_be_hidden()
    expect(page.locator("#schooling")).to_be_hidden()
    expect(page.locator("#guardian_name")).to_be_hidden()
    expect(page.locator("#consent_by")).to_be_hidden()
    page.select_option("#relationship", "head")
    page.fill("#rt", "2")
    page.fill("#rw", "5")
    page.fill("#street", "Kp. Babakan No. 12")

    # The grandson: schooling is asked (10), pregnancy is not (a boy).
    page.locator("details.members summary").click()
    page.fill("#members-0-name", "Raka")
    page.fill("#members-0-birth_date", f"{year - 10}-01-15")
    page.select_option("#members-0-sex", "L")
    page.select_option("#members-0-relationship", "grandchild")
    expect(page.locator("#members-0-pregnant")).to_be_hidden()
    page.select_option("#members-0-schooling", "in_school")

    # Four needs: the fourth row is added in place.
    for i, code in enumerate(("pangan", "kesehatan.jaminan", "rumah")):
        page.select_option(f"#needs-{i}-category", code)
    page.fill("#needs-2-description", "Atap bocor di kamar dan dapur")
    expect(page.locator("#needs-3-category")).to_have_count(0)
    page.get_by_role("button", name="+ Tambah kebutuhan lain").click()
    expect(page.locator("#needs-3-category")).to_be_focused()
    expect(page.locator("#needs-3-category")).to_have_value("")
    page.select_option("#needs-3-category", "adminduk")
    page.fill("#needs-3-description", "KTP dan KK hilang saat pindah")
    expect(page.locator("#needs-3-person")).to_contain_text("Raka")
    for width in (360, 1280):
        screenshot(page, f"intake-widow-form-{width}", width)
        assert no_sideways_scroll(page), width
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Simpan dan buat tanda terima").click()

    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    for width in (360, 1280):
        screenshot(page, f"intake-widow-receipt-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Buka kasus").click()
    for need in (
        "Kebutuhan pangan",
        "Tidak punya jaminan kesehatan",
        "Rumah tidak layak huni",
        "Tidak punya NIK",
    ):
        expect(page.get_by_text(need).first).to_be_visible()
    screenshot(page, "intake-widow-case-1280")
