"""The administrator's user form with pickers (issue 20 item 10), at a phone's width and a desk's."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.browser.test_public_ui import no_sideways_scroll, serious_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_the_user_form_suggests_offices_and_keeps_one_message_per_field(page, world):
    login(page, "admin.jabar", PASSWORD)
    page.goto("/admin/users/new")
    expect(page.locator("#office-choices option[value='PKS-A']")).to_have_attribute("label", "Kantor PKS-A")
    page.fill("#username", "petugas.baru")
    page.fill("#name", "Petugas Baru")
    page.select_option("#role", "desk")
    page.fill("#office_code", "PKS-TIDAK-ADA")
    page.fill("#password", "Cileunyi-Kulon-2026")
    page.get_by_role("button", name="Simpan").click()
    office_errors = page.locator(".field.has-error:has(#office_code) .field-error")
    expect(office_errors).to_have_count(1)
    expect(office_errors).to_have_text("Kantor PKS-TIDAK-ADA tidak dikenal.")
    expect(page.locator("#office_code")).to_have_value("PKS-TIDAK-ADA")
    for width in (360, 1280):
        screenshot(page, f"user-form-error-{width}", width)
        assert no_sideways_scroll(page)
    assert serious_violations(page) == []
