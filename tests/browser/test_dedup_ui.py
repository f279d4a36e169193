"""Issue 18 in the browser: a misspelt name finds the person, and a coordinator reviews a
suspected duplicate pair side by side, merges it and undoes the merge; on a phone and a desktop."""

from datetime import date

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from slrt.intake import models as m
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, VILLAGE_A, make_case, make_person

pytestmark = pytest.mark.browser


def _pair(world):
    household = m.Household(village_code=VILLAGE_A, rt="002", rw="005", street="Kp. Babakan No. 12")
    a = make_person(name="Enok Sumarni", birth_date=date(1949, 8, 17), household=household)
    old = m.Household(village_code=VILLAGE_A, rt="002", rw="005")
    b = make_person(name="Hj. Enok Soemarny", birth_date=date(1949, 8, 17), household=old)
    make_case(VILLAGE_A, world.office_a, reporter=b)
    db.session.commit()
    return a, b


def test_a_misspelt_name_finds_the_person_and_an_unknown_one_offers_registration(page, world):
    _pair(world)
    login(page, "desk.a", PASSWORD)
    page.goto("/")
    search = page.locator("#home-q")
    expect(search).to_be_visible()
    for width in (1280, 360):
        screenshot(page, f"dedup-desk-home-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    search.fill("Enok Sumarny")
    page.get_by_role("button", name="Cari", exact=True).first.click()
    results = page.locator("ul.rows")
    expect(results).to_contain_text("Enok Sumarni")
    expect(results).to_contain_text("Hj. Enok Soemarny")
    for width in (1280, 360):
        screenshot(page, f"dedup-search-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#q").fill("Zulkarnaen Djohan")
    page.get_by_role("button", name="Cari", exact=True).first.click()
    register = page.get_by_role("link", name="Daftarkan warga baru dengan nama ini")
    expect(register).to_be_visible()
    register.click()
    expect(page.locator("#name")).to_have_value("Zulkarnaen Djohan")


def test_a_coordinator_merges_a_pair_reviewed_side_by_side_and_undoes_it(page, world):
    a, b = _pair(world)
    login(page, "koor.a", PASSWORD)
    page.goto("/duplicates")
    pair_link = page.locator(f'a[href="/persons/{a.id}/duplicates/{b.id}"]')
    expect(pair_link).to_be_visible()
    pair_link.click()
    sides = page.locator(".pair-side")
    expect(sides).to_have_count(2)
    expect(sides.nth(0)).to_contain_text("Enok Sumarni")
    expect(sides.nth(1)).to_contain_text("Hj. Enok Soemarny")
    expect(page.locator(".evidence")).to_contain_text("Tanggal lahir")
    for width in (1280, 360):
        screenshot(page, f"dedup-pair-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Gabungkan kedua data").click()
    expect(page.locator(".flashes")).to_contain_text("Data digabung")
    expect(page.get_by_role("heading", name="Penggabungan data warga")).to_be_visible()
    screenshot(page, "dedup-merged-1280")
    page.get_by_role("button", name="Batalkan penggabungan").click()
    expect(page.locator(".flashes")).to_contain_text("Penggabungan dibatalkan")
    expect(page.locator(".pair-side")).to_have_count(2)
    expect(page.get_by_role("button", name="Gabungkan kedua data")).to_be_visible()


def test_the_data_quality_page_lists_the_desks_work(page, world):
    _pair(world)
    login(page, "desk.a", PASSWORD)
    page.goto("/data-quality")
    expect(page.get_by_role("heading", name="Kualitas data per desa")).to_be_visible()
    expect(page.locator("#todo-duplicates")).to_contain_text("Hj. Enok Soemarny")
    for width in (1280, 360):
        screenshot(page, f"dedup-data-quality-{width}", width)
