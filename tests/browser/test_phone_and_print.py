"""The main pages on a 360 px phone (nothing runs off the side) and on A4 paper (no menu, no
buttons, nothing cut). Screenshots land in tests/artifacts/: phone-*.png, print-*.png (print media
at A4 width, 794 px) and pdf-*.png (Chromium's A4 PDF, rendered by pdftoppm)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

A4_WIDTH = 794  # CSS pixels at 96 dpi


def sideways_overflow(page) -> list[str]:
    """Elements reaching past the right edge of the viewport (what makes a phone scroll sideways)."""
    return page.evaluate(
        """() => {
          const w = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= w) return [];
          return [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(0, 8).map(e => e.tagName + '.' + e.className);
        }"""
    )


@pytest.fixture()
def scene(world):
    import sqlalchemy as sa

    from slrt.extensions import db
    from slrt.referrals.models import Referral
    from tests.public_factories import make_secret_case

    case = make_secret_case(world)
    referral = db.session.scalar(sa.select(Referral).where(Referral.case_id == case.id))
    world.referral_a.respond_due = date(2026, 1, 5)  # something for the overdue list to show
    db.session.commit()
    return {"case": case, "referral": referral, "world": world}


def desk_pages(scene) -> dict[str, str]:
    case = scene["case"]
    return {
        "home": "/",
        "new-case": "/cases/new?new=1",
        "case": f"/cases/{case.id}",
        "receipt": f"/cases/{case.id}/receipt",
        "referral": f"/referrals/{scene['referral'].id}",
        "household": f"/households/{case.household_id}",
        "person": f"/persons/{case.reporter_id}",
        "overdue": "/referrals/overdue",
    }


def test_desk_pages_fit_a_360_px_phone(page, scene):
    page.set_viewport_size({"width": 360, "height": 800})
    login(page, "desk.a", PASSWORD)
    for name, path in desk_pages(scene).items():
        response = page.goto(path)
        assert response.status == 200, path
        screenshot(page, f"phone-{name}-360")
        assert sideways_overflow(page) == [], (path, sideways_overflow(page))


def test_agency_inbox_and_citizen_pages_fit_a_360_px_phone(page, scene):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"/status?code={scene['case'].tracking_code}")
    screenshot(page, "phone-status-360")
    assert sideways_overflow(page) == []
    page.goto("/lapor")
    screenshot(page, "phone-lapor-360")
    assert sideways_overflow(page) == []
    login(page, "dinsos", PASSWORD)
    page.goto("/referrals/inbox")
    screenshot(page, "phone-inbox-360")
    assert sideways_overflow(page) == []


def test_printing_hides_the_menu_and_the_buttons(page, scene):
    login(page, "desk.a", PASSWORD)
    page.set_viewport_size({"width": A4_WIDTH, "height": 1123})
    page.goto(f"/cases/{scene['case'].id}")
    expect(page.locator(".topbar")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("nav").first).to_be_hidden()
    expect(page.locator("main .btn:visible")).to_have_count(0)
    expect(page.locator("main h1")).to_be_visible()
    page.emulate_media(media="screen")


def test_print_previews_on_a4(page, scene, tmp_path):
    login(page, "desk.a", PASSWORD)
    pdftoppm = shutil.which("pdftoppm")
    for name, path in desk_pages(scene).items():
        if name in ("new-case", "home"):
            continue
        page.set_viewport_size({"width": A4_WIDTH, "height": 1123})
        page.emulate_media(media="print")
        page.goto(path)
        screenshot(page, f"print-{name}")
        assert sideways_overflow(page) == [], (path, sideways_overflow(page))
        pdf = tmp_path / f"{name}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        assert pdf.read_bytes().startswith(b"%PDF")
        if pdftoppm:
            subprocess.run(
                [
                    pdftoppm,
                    "-png",
                    "-r",
                    "60",
                    "-f",
                    "1",
                    "-l",
                    "2",
                    str(pdf),
                    str(ARTIFACTS / f"pdf-{name}"),
                ],
                check=True,
            )
    page.emulate_media(media="screen")
