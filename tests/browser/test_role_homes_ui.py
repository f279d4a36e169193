"""The agency's and the administrator's homes in Chromium, at a phone's width and a desk's
(issue 20 item 4): their own work, no desk widgets, no citizen's name on the administrator's."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import no_sideways_scroll, serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("username", "heading", "absent"),
    [
        ("dinsos", "Kotak masuk rujukan", "Pengunjung hari ini"),
        ("admin", "Pekerjaan administrator", "Pengunjung hari ini"),
    ],
)
def test_each_role_home_shows_its_own_work(page, world, username, heading, absent):
    login(page, username, PASSWORD)
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(page.get_by_role("heading", name=absent)).to_have_count(0)
    if username == "admin":
        expect(page.locator("main")).not_to_contain_text("Budi Santoso")
    for width in (360, 1280):
        screenshot(page, f"home-{username}-{width}", width)
        assert no_sideways_scroll(page)
    assert serious_violations(page) == []
