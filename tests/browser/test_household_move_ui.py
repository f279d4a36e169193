"""Issue 18 item 7 in the browser: the desk of Cileunyi Kulon asks to move a family to Cileunyi
Wetan, the Wetan desk finds it on its home, accepts it, and the family's page shows the move; on a
phone (360 px) and a desktop (1280 px), axe-clean."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import no_sideways_scroll, serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _look(page, name: str) -> None:
    """Screenshots at both widths, each checked with axe and for sideways scrolling."""
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        expect(page.locator("main")).to_be_visible()
        assert serious_violations(page) == [], f"{name} at {width}px"
        assert no_sideways_scroll(page), f"{name} scrolls sideways at {width}px"
        screenshot(page, f"{name}-{width}")


def test_a_family_is_asked_to_move_accepted_by_the_receiving_desk_and_both_see_it(page, world):
    household_id = world.case_a.household_id
    case_id = world.case_a.id
    db.session.commit()

    login(page, "desk.a", PASSWORD)
    page.goto(f"/households/{household_id}")
    page.get_by_role("link", name="Pindahkan keluarga").click()
    expect(page.get_by_role("heading", name="Pindahkan keluarga ke desa/kelurahan lain")).to_be_visible()
    page.wait_for_selector("[data-region-picker]:not([hidden])")
    for level, code in ((1, "32"), (2, "32.04"), (3, "32.04.05"), (4, "32.04.05.2002")):
        page.wait_for_selector(f"#move-region-{level} option[value='{code}']", state="attached")
        page.select_option(f"#move-region-{level}", code)
    expect(page.locator("#village_code")).to_have_value("32.04.05.2002")
    page.fill("#rt", "4")
    page.fill("#rw", "2")
    page.fill("#street", "Jl. Cijambu No. 7")
    page.fill("#reason", "Ikut orang tua yang tinggal di Cileunyi Wetan.")
    _look(page, "move-request")
    page.get_by_role("button", name="Kirim permintaan pindah").click()
    expect(page.locator(".flashes")).to_contain_text("Permintaan pindah dikirim ke desk tujuan")
    expect(page.locator(".badge-move-requested")).to_have_text("Menunggu desk tujuan")
    expect(page.get_by_role("button", name="Batalkan permintaan pindah")).to_be_visible()
    _look(page, "move-requested")

    page.context.clear_cookies()
    login(page, "desk.b", PASSWORD)
    page.goto("/")
    incoming = page.locator('a.stat[href="/moves"]')
    expect(incoming).to_contain_text("Keluarga pindah masuk")
    expect(incoming.locator(".stat-num")).to_have_text("1")
    incoming.click()
    waiting = page.locator("#waiting")
    expect(waiting).to_contain_text("Keluarga Siti Aminah")
    expect(waiting).to_contain_text("dari Cileunyi Kulon ke Cileunyi Wetan")
    _look(page, "move-incoming")
    waiting.get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Terima keluarga ini")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Jl. Cijambu No. 7")
    _look(page, "move-decide")
    page.get_by_role("button", name="Terima keluarga ini").click()
    expect(page.locator(".flashes")).to_contain_text("Keluarga diterima")
    trail = page.locator("#moves")
    expect(trail).to_contain_text("Pindah wilayah: dari Cileunyi Kulon ke Cileunyi Wetan")
    expect(trail.locator(".badge-move-accepted")).to_have_text("Diterima desk tujuan")
    _look(page, "move-household-after")
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#moves")).to_contain_text("kasus ini ikut pindah, tenggatnya tetap")

    page.context.clear_cookies()
    login(page, "desk.a", PASSWORD)
    page.goto("/moves")
    expect(page.locator("#decided")).to_contain_text("Diterima desk tujuan")
    page.goto(f"/households/{household_id}")
    expect(page.get_by_role("heading", name="Tidak ditemukan")).to_be_visible()
