"""The public root `/` on a phone and a desk screen (issue 20 item 3)."""

import pytest
from playwright.sync_api import expect

from slrt.extensions import db
from tests.browser.conftest import screenshot
from tests.browser.test_public_ui import no_sideways_scroll, serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_citizen_at_the_root_sees_the_public_page_and_staff_can_sign_in_there(page, world, lang):
    world.slrt_office.address = "Dinas Sosial, Jl. Raya Soreang No. 1"
    world.slrt_office.hours = "Senin-Jumat 08.00-15.00"
    db.session.commit()
    page.goto(f"/?lang={lang}")
    assert "/login" not in page.url
    assert page.locator("#code").is_visible()
    assert page.locator("a[href='/lapor']").first.is_visible()
    expect(page.locator("main")).to_contain_text("Jl. Raya Soreang No. 1")
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert no_sideways_scroll(page)
        assert serious_violations(page) == []
        screenshot(page, f"public-home-{lang}-{width}")
    # A status check from here lands on the status page with the code filled in.
    page.fill("#code", "7K4Q-X9MZ-P3CA")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/status?code=*")
    # Staff sign in beside it and reach their own home at the same address.
    page.goto("/")
    page.fill("#username", "desk.a")
    page.fill("#password", PASSWORD)
    page.click(".public-home-staff button[type=submit]")
    expect(page.locator("h1").first).to_have_text("Kantor PKS-A")
    assert page.url.endswith("/")
    expect(page.locator(".public-home")).to_have_count(0)
