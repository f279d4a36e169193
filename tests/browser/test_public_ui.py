"""The citizen's side in a real browser: report online on a phone, then follow the status."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture()
def quick_forms(app, monkeypatch):
    monkeypatch.setitem(app.config, "SLRT_REPORT_MIN_SECONDS", 0)


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_citizen_reports_online_then_looks_up_the_status_on_a_phone(page, world, quick_forms):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/status")
    assert serious_violations(page) == []
    screenshot(page, "public-status-empty-360")

    page.goto("/lapor")
    # The region picker (JavaScript) replaces the name search once provinces have loaded.
    page.wait_for_selector("[data-region-picker]:not([hidden])")
    for level, code in ((1, "32"), (2, "32.04"), (3, "32.04.05"), (4, "32.04.05.2001")):
        page.wait_for_selector(f"#region-{level} option[value='{code}']", state="attached")
        page.select_option(f"#region-{level}", code)
    page.check("input[name=case_type][value=complaint]")
    page.select_option("#category", "bansos.penyaluran")
    page.fill("#description", "Bantuan BPNT bulan ini belum cair, padahal tetangga sudah.")
    page.fill("#name", "Ani Lestari")
    page.fill("#contact", "0812 3456 7890")
    page.check("#consent")
    assert no_sideways_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "public-report-360")
    screenshot(page, "public-report-1280", 1280)
    page.set_viewport_size({"width": 360, "height": 800})
    page.click("button[type=submit].btn-primary")

    page.wait_for_url("**/lapor/terkirim")
    code = page.locator(".code-xl").inner_text().strip()
    assert len(code) == 14 and "Kantor PKS-A" in page.locator("main").inner_text()
    expect(page.locator("main")).to_contain_text("Kode ini juga kami kirim lewat SMS")
    # The code can be copied (and shared where the phone offers it), so it is not lost.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Salin kode").click()
    expect(page.locator("[data-copy-status]")).to_have_text("Kode sudah disalin.")
    assert page.evaluate("navigator.clipboard.readText()") == code
    assert serious_violations(page) == []
    screenshot(page, "public-report-done-360")
    screenshot(page, "public-report-done-1280", 1280)
    page.set_viewport_size({"width": 360, "height": 800})

    page.click("text=Lihat status laporan")
    page.wait_for_url("**/status?code=*")
    expect(page.locator("#code")).to_have_value(code)
    expect(page.locator(".result")).to_contain_text("Sedang diproses")
    assert "Ani Lestari" not in page.content()
    assert no_sideways_scroll(page)
    assert serious_violations(page) == []
    screenshot(page, "public-status-result-360")
    screenshot(page, "public-status-result-1280", 1280)


def test_status_with_referrals_and_survey_looks_right(page, world):
    from tests.public_factories import close_case, make_secret_case, wrong_check

    case = make_secret_case(world)
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"/status?code={case.tracking_code}")
    assert serious_violations(page) == []
    screenshot(page, "public-status-referral-360")
    close_case(case)
    page.reload()
    page.check("input[name=rating][value='5']")
    page.fill("#comment", "Cepat dan jelas.")
    assert serious_violations(page) == []
    screenshot(page, "public-status-survey-360")
    page.click("text=Kirim penilaian")
    expect(page.get_by_text("penilaian Anda sudah kami terima").first).to_be_visible()
    page.goto(f"/status?code={wrong_check(case.tracking_code)}")
    expect(page.get_by_text("Kode tidak valid, periksa kembali.")).to_be_visible()
    screenshot(page, "public-status-invalid-360")


def test_report_works_without_javascript(browser, live_server, world, quick_forms):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="id-ID")
    page = context.new_page()
    try:
        page.set_viewport_size({"width": 360, "height": 800})
        page.goto("/lapor")
        page.select_option("#category", "pangan")
        page.fill("#description", "Beras habis, mohon bantuan pangan.")
        page.fill("#village_search", "Sukamaju")
        page.click("button[type=submit].btn-primary")
        page.locator("input[name=village_pick]").first.check()
        screenshot(page, "public-report-nojs-choices-360")
        page.click("button[type=submit].btn-primary")
        page.wait_for_url("**/lapor/terkirim")
        expect(page.locator(".code-xl")).to_be_visible()
    finally:
        context.close()
