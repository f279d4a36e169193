"""The visitor queue in a real browser (issue 17 item 4): the front office gives a fast-track and
a regular number, calls the next (the fast-track one first), the desk home's panel shows who waits
next, and the public display shows the number and counter called, never the visitor's name. At
360 and 1280 px, axe-clean."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

VISITOR = "Mak Icih Sukaesih"


def test_give_numbers_call_the_next_and_show_it_on_the_display(page, browser, live_server, world):
    login(page, "desk.a", PASSWORD)
    page.goto("/antrean/")
    page.get_by_label("Nama pengunjung").fill("Pak Ujang")
    page.get_by_role("button", name="Beri nomor", exact=True).click()
    expect(page.locator(".queue-big")).to_have_text("001")
    page.get_by_label("Jalur cepat (prioritas)").check()
    page.get_by_label("Alasan jalur cepat").select_option("lansia")
    page.get_by_label("Nama pengunjung").fill(VISITOR)
    page.get_by_role("button", name="Beri nomor", exact=True).click()
    expect(page.locator(".queue-big")).to_have_text("P-01")
    expect(page.get_by_role("link", name="Cetak tiket (80 mm)")).to_be_visible()
    expect(page.locator(".queue-waiting .row").first).to_contain_text(VISITOR)  # fast track on top

    page.get_by_label("Loket").fill("2")
    page.locator("#call-h ~ form").get_by_role("button", name="Panggil berikutnya").click()
    expect(page.locator(".flash")).to_have_text("Nomor P-01 dipanggil ke loket 2.")
    expect(page.locator(".queue-called .row").first).to_contain_text("P-01")
    expect(page.locator(".queue-called").get_by_role("button", name="Buka kasus")).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"queue-desk-{width}", width)
    assert serious_violations(page) == []

    page.goto("/")
    panel = page.locator(".queue-panel")
    expect(panel).to_contain_text("1 pengunjung menunggu")
    expect(panel.locator(".queue-number")).to_have_text(["001"])
    expect(panel.get_by_role("button", name="Panggil berikutnya")).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"queue-home-{width}", width)

    anonymous = browser.new_context(base_url=live_server)  # no login: the waiting room's screen
    display = anonymous.new_page()
    display.goto("/antrean/layar/PKS-A")
    expect(display.locator(".queue-now-number")).to_have_text("P-01")
    expect(display.locator(".queue-now-counter")).to_have_text("Silakan ke loket 2")
    expect(display.locator("body")).not_to_contain_text(VISITOR)
    expect(display.locator("body")).not_to_contain_text("Pak Ujang")
    for width in (360, 1280):
        screenshot(display, f"queue-display-{width}", width)
    assert serious_violations(display) == []
    anonymous.close()
