"""The criteria builder and "Coba pada keluarga contoh" as an administrator uses them (issue 20
item 11), at a phone's width and a desk's."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from slrt.directory.models import Service
from slrt.extensions import db
from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import no_sideways_scroll, serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_a_criterion_is_built_in_words_and_tried_on_an_example_household(page, world):
    svc = db.session.scalar(sa.select(Service).where(Service.code == "ATENSI-LANSIA"))
    login(page, "admin", PASSWORD)
    page.goto(f"/directory/services/{svc.id}/edit")
    expect(page.locator("#criteria-0-fact")).to_have_value("age")
    row = len(svc.criteria)  # the first empty row
    page.select_option(f"#criteria-{row}-fact", "desil")
    page.select_option(f"#criteria-{row}-op", "le")
    page.fill(f"#criteria-{row}-value", "4")
    page.select_option("#example", "young")
    page.get_by_role("button", name="Coba pada keluarga contoh").click()
    result = page.locator(".crit-trial-result")
    expect(result).to_contain_text("Desil paling banyak 4")
    expect(result).to_contain_text("Hasil:")
    for width in (360, 1280):
        screenshot(page, f"criteria-builder-trial-{width}", width)
        assert no_sideways_scroll(page)
    assert serious_violations(page) == []
