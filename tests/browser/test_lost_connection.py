"""The new-case form on a connection that drops: what was typed stays, the officer is told, and a
retry saves the visit exactly once, also when the first try reached the server."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from slrt.extensions import db
from slrt.intake import models as m
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

OFFLINE = "Koneksi terputus."
SAVED_HERE = "Data Anda aman tersimpan di komputer ini. Coba kirim lagi."


def cases_named(name: str) -> int:
    db.session.rollback()  # see what the live server committed
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(m.Case).join(m.Case.reporter).where(m.Person.name == name)
    )


def open_new_case_form(page, name: str, scripts: bool = True) -> None:
    page.goto("/cases/new")
    page.fill("#name", name)
    page.fill("#birth_date", "1979-11-23")
    page.get_by_role("button", name="Cari").click()
    # The note is shown in the same step that starts listening for typing: once it shows, a
    # keystroke is kept (the form itself is on the page earlier, before its script has run).
    page.wait_for_selector(
        "form.intake[data-draft] [data-draft-note]:not([hidden])" if scripts else "form.intake[data-draft]"
    )
    expect(page.locator("#name")).to_have_value(name)


def drafts_kept(page, count: int) -> None:
    """Waits until this computer holds ``count`` drafts (saving and clearing run in the page's
    own time, not the test's)."""
    page.wait_for_function(
        "n => Object.keys(localStorage).filter(k => k.startsWith('slrt-draft:')).length === n", arg=count
    )


def fill_visit(page) -> None:
    page.check("#consent")
    page.select_option("#nik_missing_reason", "never_registered")
    page.select_option("#sex", "P")
    page.fill("#phone", "0812 1111 2222")
    page.select_option("#relationship", "head")
    page.fill("#rt", "4")
    page.fill("#rw", "9")
    page.fill("#street", "Gg. Melati No. 12")
    page.select_option("#needs-0-category", "pangan")
    page.fill("#needs-0-description", "Beras habis, suami belum bekerja")


def assert_still_filled(page) -> None:
    expect(page.locator("#consent")).to_be_checked()
    expect(page.locator("#street")).to_have_value("Gg. Melati No. 12")
    expect(page.locator("#needs-0-category")).to_have_value("pangan")
    expect(page.locator("#needs-0-description")).to_have_value("Beras habis, suami belum bekerja")


def submit(page) -> None:
    page.get_by_role("button", name="Simpan dan buat tanda terima").click()


def test_a_post_that_never_arrives_loses_nothing_and_the_retry_saves_once(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    expect(page.get_by_text("disimpan sementara di komputer ini")).to_be_visible()
    fill_visit(page)

    page.context.set_offline(True)
    submit(page)
    alert = page.locator("[data-draft-offline]")
    alert.wait_for(state="visible")
    expect(alert).to_contain_text(OFFLINE)
    expect(alert).to_contain_text(SAVED_HERE)
    assert_still_filled(page)
    assert cases_named("Rina Marlina") == 0
    for width in (360, 1280):
        screenshot(page, f"intake-offline-{width}", width)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.context.set_offline(False)
    alert.get_by_role("button", name="Coba kirim lagi").click()
    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    expect(page.get_by_text("Kunjungan tersimpan")).to_be_visible()  # the flash reached the receipt
    assert cases_named("Rina Marlina") == 1
    # Saved: the draft is gone, a new form starts empty.
    drafts_kept(page, 0)


def test_an_answer_lost_after_the_server_saved_still_gives_one_case(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    fill_visit(page)

    def deliver_then_drop(route):
        route.fetch()  # the server receives the visit and commits it...
        route.abort("connectionreset")  # ...but the answer never comes back

    page.route(
        "**/cases/new",
        lambda route: deliver_then_drop(route) if route.request.method == "POST" else route.continue_(),
    )
    submit(page)
    page.locator("[data-draft-offline]").wait_for(state="visible")
    assert_still_filled(page)
    assert cases_named("Rina Marlina") == 1

    page.unroute("**/cases/new")
    page.locator("[data-draft-offline]").get_by_role("button", name="Coba kirim lagi").click()
    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    expect(page.get_by_text("Kunjungan ini sudah tersimpan")).to_be_visible()
    assert cases_named("Rina Marlina") == 1


def test_a_reload_while_offline_restores_the_draft(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    fill_visit(page)
    key = page.input_value("input[name=idempotency_key]")
    page.context.set_offline(True)
    submit(page)
    page.locator("[data-draft-offline]").wait_for(state="visible")
    page.context.set_offline(False)

    # The officer reloads: the server hands out a fresh form, the browser puts the draft back.
    page.reload()
    restored = page.locator("[data-draft-restored]")
    restored.wait_for(state="visible")
    expect(restored).to_contain_text("dipulihkan")
    assert_still_filled(page)
    expect(page.locator("input[name=idempotency_key]")).to_have_value(key)
    screenshot(page, "intake-draft-restored-360", 360)
    page.set_viewport_size({"width": 1280, "height": 900})

    submit(page)
    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    assert cases_named("Rina Marlina") == 1


def test_after_a_lost_answer_the_draft_is_offered_again_and_saves_nothing_twice(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    fill_visit(page)
    key = page.input_value("input[name=idempotency_key]")
    page.route(
        "**/cases/new",
        lambda route: (route.fetch(), route.abort()) if route.request.method == "POST" else route.continue_(),
    )
    submit(page)
    page.locator("[data-draft-offline]").wait_for(state="visible")
    page.unroute("**/cases/new")
    assert cases_named("Rina Marlina") == 1

    # Reloaded, the search now finds the visitor the lost request saved; the draft is listed.
    page.reload()
    drafts = page.locator("[data-draft-list]")
    drafts.wait_for(state="visible")
    expect(page.get_by_role("link", name="Pilih", exact=True)).to_have_count(1)
    screenshot(page, "intake-find-unsent-draft-360", 360)
    page.set_viewport_size({"width": 1280, "height": 900})
    drafts.get_by_role("link", name="Rina Marlina").click()
    page.locator("[data-draft-restored]").wait_for(state="visible")
    assert_still_filled(page)
    expect(page.locator("input[name=idempotency_key]")).to_have_value(key)

    submit(page)
    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    expect(page.get_by_text("Kunjungan ini sudah tersimpan")).to_be_visible()
    assert cases_named("Rina Marlina") == 1


def test_problems_found_by_the_server_show_on_the_page_and_the_draft_follows(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    page.fill("#street", "Gg. Mawar No. 3")
    submit(page)  # no consent, no need: the server answers the form with its problems
    summary = page.locator(".error-summary")
    summary.wait_for(state="visible")
    expect(page.locator("#street")).to_have_value("Gg. Mawar No. 3")
    # The scripts run again on the answered page: the draft is kept and the note is shown.
    page.wait_for_selector("[data-draft-note]:not([hidden])")
    expect(page.locator("#problems")).to_be_focused()

    # The page the server answered works like a loaded one: typing is kept, and saving works.
    fill_visit(page)
    submit(page)
    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    assert cases_named("Rina Marlina") == 1


def test_logging_out_removes_drafts_from_this_computer(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    page.fill("#street", "Gg. Melati No. 12")
    drafts_kept(page, 1)
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(re.compile(r"/login"))
    drafts_kept(page, 0)


def test_drafts_older_than_twelve_hours_are_dropped(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    page.fill("#street", "Gg. Melati No. 12")
    page.evaluate(
        """() => { for (const k of Object.keys(localStorage)) if (k.startsWith('slrt-draft:')) {
             const d = JSON.parse(localStorage.getItem(k)); d.saved -= 13 * 3600 * 1000;
             localStorage.setItem(k, JSON.stringify(d)); } }"""
    )
    page.reload()
    page.wait_for_selector("[data-draft-note]:not([hidden])")
    expect(page.locator("[data-draft-restored]")).to_be_hidden()
    expect(page.locator("#street")).to_have_value("")


def test_the_draft_never_holds_the_csrf_token(page, world):
    login(page, "desk.a", PASSWORD)
    open_new_case_form(page, "Rina Marlina")
    fill_visit(page)
    stored = page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('slrt-draft:'))"
        ".map(k => localStorage.getItem(k)).join('')"
    )
    token = page.input_value("input[name=csrf_token]")
    assert "Gg. Melati No. 12" in stored and token not in stored and "csrf_token" not in stored


def test_without_javascript_the_form_posts_as_before(browser, live_server, world):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="id-ID")
    page = context.new_page()
    try:
        login(page, "desk.a", PASSWORD)
        open_new_case_form(page, "Rina Marlina", scripts=False)
        expect(page.locator("[data-draft-note]")).to_be_hidden()  # no promise the page cannot keep
        fill_visit(page)
        submit(page)
        page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
        expect(page.get_by_text("Kunjungan tersimpan")).to_be_visible()
        assert cases_named("Rina Marlina") == 1
    finally:
        context.close()
