import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["id", "en"])
def test_login_page_and_desk_home_in_both_languages(page, world, lang):
    page.goto(f"/login?lang={lang}")
    expect(page.locator("h2").first).to_have_text("Masuk" if lang == "id" else "Log in")
    for width in (360, 1280):
        screenshot(page, f"login-{lang}-{width}", width)
    login(page, "desk.a", PASSWORD)
    heading = page.locator("h1").first.inner_text()
    assert heading == "Kantor PKS-A"
    expect(page.get_by_text("Open cases" if lang == "en" else "Kasus terbuka").first).to_be_visible()
    for width in (360, 1280):
        screenshot(page, f"desk-home-{lang}-{width}", width)
    # Nothing overflows sideways on a phone.
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
