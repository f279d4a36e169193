"""The top bar's Menu panel, opened on a phone and on a desk screen."""

import pytest

from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [360, 412, 1280])
def test_opened_menu_panel_stays_inside_the_screen(page, world, width):
    page.set_viewport_size({"width": width, "height": 800})
    login(page, "desk.a", PASSWORD)
    page.click(".menu summary")
    panel = page.locator(".menu nav")
    box = panel.bounding_box()
    assert box is not None
    assert box["x"] >= 0, f"the panel starts {-box['x']:.0f} px off the left edge"
    assert box["x"] + box["width"] <= width
    # Every entry reads whole: "Beranda", not "eranda".
    first = page.locator(".menu nav a").first.bounding_box()
    assert first is not None and first["x"] >= 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"menu-open-{width}")
