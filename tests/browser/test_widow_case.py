"""Issue 16's hard case, end to end in Chromium, as a new desk officer meets it: a widow of 74
without NIK who knows only her birth year, her grandson of 10 in school, four needs. Intake, the
route page (ADMINDUK once, the household block), the DTSEN check from a "?", two submits that make
each referral once, ADMINDUK resolved by Dukcapil and the NIK recorded, "Tindak lanjut", every
referral resolved, the case closed, the survey on the citizen's status page."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from slrt.core.workdays import local_today
from slrt.directory.models import Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.transitions import transition
from tests.browser.conftest import login, screenshot
from tests.factories import PASSWORD, make_agency

pytestmark = pytest.mark.browser
WIDTHS = (360, 1280)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def shots(page, name: str) -> None:
    """Full-page PNGs at a phone's and a desktop's width; nothing may scroll sideways."""
    for width in WIDTHS:
        screenshot(page, f"{name}-{width}", width)
        assert fits(page), (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def switch_to(page, username: str) -> None:
    page.locator("form[action='/logout'] button").click()
    page.wait_for_url(lambda url: "/login" in url)
    login(page, username, PASSWORD)


def service_row(scope, code: str):
    """The route page's row for a service (`scope`: the page or one of its sections)."""
    return scope.locator(f"li.route-item:has(.row-title:has-text('({code})'))")


def send_drafts(page, count: int) -> None:
    """Sends the case page's drafts one by one, as the desk does ("Kirim ke lembaga")."""
    expect(page.locator("#referrals .badge-draft")).to_have_count(count)
    already = page.locator("#referrals .badge-sent").count()
    for sent in range(1, count + 1):
        row = page.locator("#referrals li.row", has=page.locator(".badge-draft")).first
        row.locator("summary", has_text="Kirim ke lembaga").click()
        row.get_by_role("button", name="Kirim ke lembaga").click()
        expect(page.locator("#referrals .badge-sent")).to_have_count(already + sent)
    expect(page.locator("#referrals .badge-draft")).to_have_count(0)


def referrals_of(case_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Referral).where(Referral.case_id == case_id)).all()
    return sorted((r.service.code, r.status.value) for r in rows)


def widow_nik(year: int) -> str:
    """A NIK of Kec. Cileunyi for a woman born 1 July of `year` (women have 40 added to the day)."""
    return f"32040541 07{year % 100:02d}0001".replace(" ", "")


def test_the_widows_case_from_intake_to_the_survey(page, world):
    make_agency("DISDIK-3204")  # PIP's agency (the shared world has Dinsos and Dukcapil only)
    db.session.commit()
    year = local_today().year - 74
    login(page, "desk.a", PASSWORD)

    # 1. Intake: find first, then register her with what she knows.
    page.get_by_role("link", name="+ Kasus baru").click()
    page.fill("#name", "Mak Onah")
    page.get_by_role("button", name="Cari").click()
    expect(page.locator("#consent")).to_be_visible()
    page.check("#consent")
    page.select_option("#nik_missing_reason", "lost")
    page.select_option("#sex", "P")
    page.select_option("#birth_precision", "year")
    page.fill("#birth_year", str(year))
    expect(page.locator("#pregnant")).to_be_hidden()
    page.select_option("#relationship", "head")
    page.fill("#rt", "2")
    page.fill("#rw", "5")
    page.fill("#street", "Kp. Babakan No. 12")
    page.locator("details.members summary").click()
    page.fill("#members-0-name", "Raka")
    page.fill("#members-0-birth_date", f"{local_today().year - 10}-01-15")
    page.select_option("#members-0-sex", "L")
    page.select_option("#members-0-relationship", "grandchild")
    page.select_option("#members-0-schooling", "in_school")
    for i, code in enumerate(("pangan", "kesehatan.jaminan", "rumah")):
        page.select_option(f"#needs-{i}-category", code)
    page.fill("#needs-0-description", "Beras sering habis sebelum akhir bulan")
    page.fill("#needs-2-description", "Atap bocor di kamar dan dapur")
    page.get_by_role("button", name="+ Tambah kebutuhan lain").click()
    page.select_option("#needs-3-category", "adminduk")
    page.fill("#needs-3-description", "KTP dan KK hilang saat pindah")
    shots(page, "widow-intake")
    page.get_by_role("button", name="Simpan dan buat tanda terima").click()
    page.wait_for_url(re.compile(r"/cases/\d+/receipt$"))
    code = page.locator("#tracking-code").inner_text()
    case_id = int(re.search(r"/cases/(\d+)/", page.url).group(1))

    # 2. The route page: ADMINDUK once, before the three services that need a NIK, and the
    # programmes found by screening the whole household.
    page.get_by_role("link", name="Buka kasus").click()
    page.get_by_role("link", name="Pilih layanan rujukan").click()
    expect(page.get_by_role("heading", name="Pilih layanan rujukan")).to_be_visible()
    # Hers once, for every service that waits for it (her grandson's NIK is not known either:
    # his own, for PIP, is screened with the household).
    admin = page.locator("section.route-need li.route-item", has_text="(ADMINDUK)")
    expect(admin).to_have_count(1)
    expect(admin).to_contain_text("Prasyarat untuk BPNT, PBI-JK, RUTILAHU")
    expect(admin).to_contain_text("Belum punya NIK: urus KTP dan KK dulu agar BPNT, PBI-JK, RUTILAHU")
    for waiting in ("BPNT", "PBI-JK", "RUTILAHU"):
        expect(service_row(page, waiting)).to_contain_text("Menunggu ADMINDUK")
    household = page.locator("section.route-household")
    expect(household.get_by_role("heading")).to_have_text(
        "Program lain yang mungkin cocok untuk keluarga ini"
    )
    for programme in ("PKH", "PIP", "ATENSI-LANSIA"):
        expect(service_row(household, programme)).to_have_count(1)
    expect(service_row(household, "PIP")).to_contain_text("untuk Raka")
    before = {c: service_row(page, c).locator(".route-badges").inner_text() for c in ("PKH", "BPNT")}
    shots(page, "widow-route-before")

    # 3. A "?" leads to the DTSEN check; saving it returns to the suggestions, evaluated again.
    page.get_by_role("link", name="Catat hasil cek DTSEN").first.click()
    expect(page.get_by_role("heading", name="Catat hasil cek DTSEN")).to_be_visible()
    page.select_option("#in_dtsen", "yes")
    page.select_option("#desil", "2")
    page.select_option("#source", "cek_bansos")
    page.fill("#checked_on", local_today().isoformat())
    page.get_by_role("button", name="Simpan hasil cek").click()
    page.wait_for_url(f"**/cases/{case_id}/route")
    expect(page.locator(".flashes")).to_contain_text("Hasil cek DTSEN dicatat.")
    after = {c: service_row(page, c).locator(".route-badges").inner_text() for c in ("PKH", "BPNT")}
    assert after != before, (before, after)
    shots(page, "widow-route-after")

    # 4. Submitted twice (a second tab still shows the same choices): each referral made once.
    # ADMINDUK is ticked for her; the officer adds ATENSI-LANSIA from the household block.
    other = page.context.new_page()
    other.goto(f"/cases/{case_id}/route")
    for tab in (page, other):
        expect(service_row(tab, "ADMINDUK").first.locator("input[name=choose]")).to_be_checked()
        service_row(tab, "ATENSI-LANSIA").locator("input[name=choose]").check()
    page.get_by_role("button", name="Buat draf rujukan").click()
    page.wait_for_url(f"**/cases/{case_id}")
    expect(page.locator(".flashes")).to_contain_text("2 draf rujukan dibuat.")
    other.get_by_role("button", name="Buat draf rujukan").click()
    expect(other.locator(".error-summary")).to_contain_text("Rujukan ADMINDUK untuk kebutuhan")
    expect(service_row(other, "ADMINDUK").first).to_contain_text("sudah dirujuk · Draf")
    other.close()
    assert referrals_of(case_id) == [("ADMINDUK", "draft"), ("ATENSI-LANSIA", "draft")]

    # 5. The desk sends both; Dukcapil accepts ADMINDUK and resolves it, on its own pages.
    send_drafts(page, 2)
    # The citizen's status page meanwhile: the services that wait for her papers say so.
    page.goto(f"/status?code={code}")
    expect(page.locator(".result .badge-open")).to_be_visible()
    for name in ("Bantuan Pangan Non Tunai", "Penerima Bantuan Iuran", "Rehabilitasi Sosial Rumah"):
        expect(page.locator("section.referral", has_text=name)).to_contain_text(
            "Menunggu dokumen kependudukan"
        )
    expect(page.locator("#survei")).to_have_count(0)
    shots(page, "widow-status-waiting")
    admin_id = db.session.scalar(
        sa.select(Referral.id)
        .join(Referral.service)
        .where(Referral.case_id == case_id, Service.code == "ADMINDUK")
    )
    switch_to(page, "dukcapil")
    page.goto(f"/referrals/{admin_id}")
    page.get_by_text("Terima rujukan").first.click()
    page.locator("form button[type=submit]:has-text('Terima rujukan')").click()
    expect(page.locator("#referral-status")).to_have_text("Diterima lembaga")
    page.get_by_text("Selesai: catat hasil").first.click()
    page.select_option(f"#outcome-resolved-{admin_id}", "granted")
    page.fill(
        f"#message-resolved-{admin_id}", "KTP dan KK baru sudah terbit, silakan diambil di kantor kecamatan."
    )
    page.locator("form button[type=submit]:has-text('Selesai: catat hasil')").click()
    expect(page.locator("#referral-status")).to_have_text("Selesai ditangani")

    # 6. Back at the desk, her new NIK is recorded on her edit page.
    switch_to(page, "desk.a")
    page.goto(f"/cases/{case_id}")
    page.locator("main").get_by_role("link", name="Mak Onah").first.click()
    page.get_by_role("link", name="Ubah data warga").click()
    page.fill("#nik", widow_nik(year))
    page.locator("main form button[type=submit].btn-primary").click()
    expect(page.locator(".flashes")).to_contain_text("Data warga disimpan.")
    expect(page.locator("main")).to_contain_text("3204********0001")

    # 7. "Tindak lanjut" on the desk home lists what waited for it; the desk refers it from there.
    page.goto("/")
    follow_up = page.locator("#tindak-lanjut")
    expect(follow_up).to_contain_text("Mak Onah")
    expect(follow_up).to_contain_text("Siap dirujuk: BPNT, PBI-JK, RUTILAHU, PKH")
    shots(page, "widow-tindak-lanjut")
    follow_up.get_by_role("link", name="Rujuk sekarang").click()
    page.wait_for_url(f"**/cases/{case_id}/route")
    checked = page.eval_on_selector_all(
        "li.route-item:has(input[name=choose]:checked) .row-title", "els => els.map(e => e.textContent)"
    )
    assert sorted(re.search(r"\((\S+)\)$", title).group(1) for title in checked) == ["BPNT", "PBI-JK", "PKH"]
    expect(service_row(page, "ADMINDUK").first).to_contain_text("sudah dirujuk · Selesai ditangani")
    service_row(page, "RUTILAHU").locator("input[name=choose]").check()  # the house is checked on the visit
    page.get_by_role("button", name="Buat draf rujukan").click()
    page.wait_for_url(f"**/cases/{case_id}")
    expect(page.locator(".flashes")).to_contain_text("4 draf rujukan dibuat.")
    send_drafts(page, 4)
    page.goto("/")
    expect(page.locator("#tindak-lanjut")).to_contain_text("Tidak ada layanan yang menunggu untuk dirujuk.")

    # 8. Dinsos resolves each (its own pages are walked above for ADMINDUK); the case closes
    # when the last need has its answer, and only then the citizen is asked for a rating.
    dinsos = world.users["agency"]
    open_ones = db.session.scalars(
        sa.select(Referral).where(Referral.case_id == case_id, Referral.status == S.SENT)
    ).all()
    assert sorted(r.service.code for r in open_ones) == ["ATENSI-LANSIA", "BPNT", "PBI-JK", "PKH", "RUTILAHU"]
    for referral in open_ones:
        transition(referral, S.ACCEPTED, dinsos)
        transition(referral, S.RESOLVED, dinsos, outcome="granted", message="Bantuan sudah diberikan.")
        db.session.commit()
    assert {status for _, status in referrals_of(case_id)} == {"resolved"}
    assert db.session.get(m.Case, case_id).status is m.CaseStatus.CLOSED
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#needs .need-row")).to_have_count(5)  # four named, one found by screening
    expect(page.locator("#needs .need-row", has_text="Selesai")).to_have_count(5)
    page.goto(f"/status?code={code}")
    expect(page.locator(".result .badge-closed")).to_have_text("Selesai")
    expect(page.locator("#survei form")).to_be_visible()
    shots(page, "widow-status-closed")
