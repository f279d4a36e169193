"""Referral pages: approval queue, agency inbox (filters, constant number of queries), detail
with actions, stale forms, feedback on the case page and desk home, the letter PDF, holidays."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.referrals.models import Referral, ReferralEvent
from slrt.referrals.models import ReferralStatus as S
from tests.factories import make_case, make_office, make_person, make_user
from tests.referral_factories import referral_in
from tests.sqlcount import counting


def _post_transition(auth, referral, to, **data):
    page = f"/referrals/{referral.id}"
    payload = {"to": to, "version": referral.version, **data}
    return auth.post(f"/referrals/{referral.id}/transition", payload, page=page)


def test_approval_queue_approve_and_send_back(client, auth, world):
    world.office_a.requires_approval = True
    first = referral_in(world, S.AWAITING_APPROVAL)
    second = referral_in(world, S.AWAITING_APPROVAL)
    db.session.commit()
    auth.login("koor.a")
    html = client.get("/referrals/approvals").get_data(as_text=True)
    assert "Setujui dan kirim" in html and "Kembalikan ke desk" in html and "2 menunggu" in html
    response = auth.post(
        f"/referrals/{first.id}/transition",
        {"to": "sent", "version": first.version, "next": "/referrals/approvals"},
        page="/referrals/approvals",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/referrals/approvals"
    refused = _post_transition(auth, second, "draft")  # a note is required
    assert "Tuliskan catatan" in client.get(refused.headers["Location"]).get_data(as_text=True)
    _post_transition(auth, second, "draft", note="Lengkapi alasan rujukan")
    db.session.expire_all()
    assert db.session.get(Referral, first.id).status is S.SENT
    assert "/PKS-A/" in db.session.get(Referral, first.id).letter_number
    assert db.session.get(Referral, second.id).status is S.DRAFT
    assert "Tidak ada rujukan yang menunggu" in client.get("/referrals/approvals").get_data(as_text=True)


def test_desk_cannot_open_the_approval_queue_and_agency_cannot_see_drafts(client, auth, world):
    draft = referral_in(world, S.DRAFT)
    db.session.commit()
    auth.login("desk.a")
    assert client.get("/referrals/approvals").status_code == 403
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("dinsos")
    assert client.get(f"/referrals/{draft.id}").status_code == 404


def test_a_stale_form_tells_the_officer_to_reload(client, auth, world):
    referral = world.referral_a
    auth.login("dinsos")
    old_version = referral.version
    _post_transition(auth, referral, "accepted")
    response = auth.post(
        f"/referrals/{referral.id}/transition",
        {"to": "rejected", "reason": "duplicate", "version": old_version},
        page=f"/referrals/{referral.id}",
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rujukan ini baru saja diubah orang lain, muat ulang halaman." in html
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is S.ACCEPTED


def test_agency_inbox_filters_and_hides_anonymous_reporters(client, auth, world):
    secret = make_case(reporter=make_person(name="Rahasia Sekali"), office=world.office_a, anonymous=True)
    hidden = referral_in(world, S.SENT, case=secret)
    hidden.urgent = True
    late = referral_in(world, S.SENT, today=local_today() - timedelta(days=40))  # the inbox uses the real day
    working = referral_in(world, S.IN_PROGRESS)
    db.session.commit()
    auth.login("dinsos")
    html = client.get("/referrals/inbox").get_data(as_text=True)
    assert "Rahasia Sekali" not in html and "Pelapor anonim" in html
    assert f'/referrals/{working.id}"' in html
    overdue = client.get("/referrals/inbox?deadline=overdue").get_data(as_text=True)
    assert f'/referrals/{late.id}"' in overdue and f'/referrals/{hidden.id}"' not in overdue
    assert "Terlambat" in overdue
    urgent = client.get("/referrals/inbox?urgent=1").get_data(as_text=True)
    assert f'/referrals/{hidden.id}"' in urgent and f'/referrals/{late.id}"' not in urgent
    only_sent = client.get("/referrals/inbox?status=in_progress").get_data(as_text=True)
    assert f'/referrals/{working.id}"' in only_sent and f'/referrals/{late.id}"' not in only_sent
    detail = client.get(f"/referrals/{hidden.id}").get_data(as_text=True)
    assert "Rahasia Sekali" not in detail and "Terima rujukan" in detail


def _count_queries(client, url):
    db.session.expire_all()  # both measurements start from the same (cold) session
    with counting() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_inbox_queries_do_not_grow_with_the_rows_shown(client, auth, world):
    for _ in range(2):
        referral_in(world, S.SENT, case=make_case(office=world.office_a, reporter=make_person()))
    db.session.commit()
    auth.login("dinsos")
    few = _count_queries(client, "/referrals/inbox")
    for _ in range(12):
        referral_in(world, S.ACCEPTED, case=make_case(office=world.office_a, reporter=make_person()))
    db.session.commit()
    many = _count_queries(client, "/referrals/inbox")
    assert many == few


def test_the_desk_sees_feedback_and_records_that_the_citizen_was_told(client, auth, world):
    referral = referral_in(world, S.IN_PROGRESS)
    db.session.commit()
    auth.login("dinsos")
    _post_transition(
        auth, referral, "resolved", outcome="not_granted", reason="quota_full", note="Desil 7, di luar kuota"
    )
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("desk.a")
    home = client.get("/").get_data(as_text=True)
    assert "Rujukan menunggu desk" in home and f'/referrals/{referral.id}"' in home
    case_page = client.get(f"/cases/{world.case_a.id}").get_data(as_text=True)
    assert "Tidak dapat diberikan" in case_page and "Desil 7, di luar kuota" in case_page
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    auth.post(
        f"/referrals/{referral.id}/informed", {"version": referral.version}, page=f"/referrals/{referral.id}"
    )
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).citizen_informed_at is not None
    assert f'/referrals/{referral.id}"' not in client.get("/").get_data(as_text=True)


def test_agency_home_shows_inbox_counts(client, auth, world):
    referral_in(world, S.SENT)
    db.session.commit()
    auth.login("dinsos")
    html = client.get("/").get_data(as_text=True)
    assert "Rujukan baru" in html and "Buka kotak masuk" in html


def test_progress_note_is_kept_in_the_history(client, auth, world):
    referral = referral_in(world, S.IN_PROGRESS)
    db.session.commit()
    auth.login("dinsos")
    auth.post(
        f"/referrals/{referral.id}/note",
        {"note": "Survei rumah Kamis", "version": referral.version},
        page=f"/referrals/{referral.id}",
    )
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "Survei rumah Kamis" in html and "Catatan" in html


def test_letter_pdf_has_number_citizen_and_hides_the_anonymous_reporter(client, auth, world, tmp_path):
    referral = referral_in(world, S.DRAFT)
    db.session.commit()
    auth.login("desk.a")
    _post_transition(auth, referral, "sent")
    db.session.expire_all()
    referral = db.session.get(Referral, referral.id)
    response = client.get(f"/referrals/{referral.id}/letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert referral.letter_number in text and "SURAT RUJUKAN" in text and "Siti Aminah" in text
    world.case_a.anonymous = True
    db.session.commit()
    pdf.write_bytes(client.get(f"/referrals/{referral.id}/letter.pdf").data)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Siti Aminah" not in text and "Dirahasiakan" in text


def test_letter_numbers_count_up_per_office_and_year(world):
    from slrt.referrals.transitions import next_letter_number

    assert next_letter_number("PKS-A", date(2026, 11, 3)) == "001/PKS-A/XI/2026"
    assert next_letter_number("PKS-A", date(2026, 12, 3)) == "002/PKS-A/XII/2026"
    assert next_letter_number("PKS-B", date(2026, 12, 3)) == "001/PKS-B/XII/2026"
    assert next_letter_number("PKS-A", date(2027, 1, 4)) == "001/PKS-A/I/2027"


@pytest.mark.parametrize("who,status", [("admin", 200), ("desk.a", 403)])
def test_local_holidays_page(client, auth, world, who, status):
    auth.login(who)
    assert client.get("/admin/holidays").status_code == status
    if status == 200:
        year = local_today().year  # the page lists this year's holidays onwards
        auth.post("/admin/holidays", {"day": f"{year}-12-28", "name": "Hari Jadi", "region_code": "32.04"})
        html = client.get("/admin/holidays").get_data(as_text=True)
        assert "Hari Jadi" in html
        bad = auth.post("/admin/holidays", {"day": f"{year}-12-29", "name": "X", "region_code": "99.99"})
        assert "tidak dikenal" in bad.get_data(as_text=True)
        from slrt.core.workdays import LocalHoliday

        holiday = db.session.scalar(sa.select(LocalHoliday))
        auth.post("/admin/holidays/delete", {"holiday": holiday.id}, page="/admin/holidays")
        assert db.session.scalar(sa.select(sa.func.count(LocalHoliday.id))) == 0


def test_coordinator_of_another_office_with_approval(client, auth, world):
    office = make_office("PKS-C", "32.04.05.2003", approval=True)
    make_user("desk.c", "desk", office_code="PKS-C")
    case = make_case("32.04.05.2003", office, reporter=make_person("32.04.05.2003"))
    referral = referral_in(world, S.DRAFT, case=case)
    referral.office = office
    db.session.commit()
    auth.login("desk.c")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Ajukan persetujuan" in html and "Kirim ke lembaga" not in html


def test_inbox_pages_through_many_referrals(client, auth, world):
    for _ in range(30):
        referral_in(world, S.SENT)
    db.session.commit()
    auth.login("dinsos")
    first = client.get("/referrals/inbox?urgent=0").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first and "page=2" in first and "urgent=0" in first
    second = client.get("/referrals/inbox?page=2")
    assert second.status_code == 200 and "Halaman 2 dari 2" in second.get_data(as_text=True)


# -- inline forms keep what was typed; approving "Perlu data tambahan" is a decision (issue 20) ----


def test_a_refused_inline_form_comes_back_open_with_what_was_chosen_and_the_error_at_its_field(
    client, auth, world
):
    referral = referral_in(world, S.IN_PROGRESS)
    db.session.commit()
    auth.login("dinsos")
    response = _post_transition(
        auth, referral, "resolved", outcome="not_granted", reason="quota_full", message="Mohon maaf."
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    form = html.split(f'action="/referrals/{referral.id}/transition"')
    resolve = next(part for part in form[1:] if 'name="to" value="resolved"' in part).split("</details>")[0]
    assert '<option value="not_granted" selected>' in resolve
    assert '<option value="quota_full" selected>' in resolve
    assert "Mohon maaf.</textarea>" in resolve and 'class="field-error"' in resolve
    assert html.count('<details class="ref-action" open>') == 1
    # Once: the next visit shows the form folded and empty again.
    again = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert '<details class="ref-action" open>' not in again
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is S.IN_PROGRESS


def test_approving_a_referral_that_needs_more_data_asks_for_a_confirmation(client, auth, world):
    from slrt.referrals.models import NEEDS_DATA_PREFIX

    world.office_a.requires_approval = True
    referral = referral_in(world, S.AWAITING_APPROVAL)
    referral.reason = f"{NEEDS_DATA_PREFIX} Desil belum diketahui: cek DTSEN."
    db.session.add(
        ReferralEvent(
            referral_id=referral.id,
            from_status=S.DRAFT,
            to_status=S.AWAITING_APPROVAL,
            note="Lansia tanpa NIK, mohon diprioritaskan",
        )
    )
    db.session.commit()
    auth.login("koor.a")
    queue = client.get("/referrals/approvals").get_data(as_text=True)
    assert "Catatan desk: Lansia tanpa NIK, mohon diprioritaskan" in queue
    assert "Perlu data tambahan</span>" in queue and 'name="confirm_unknown"' in queue
    _post_transition(auth, referral, "sent", next="/referrals/approvals")
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is S.AWAITING_APPROVAL
    back = client.get("/referrals/approvals").get_data(as_text=True)
    assert "Centang bahwa data yang kurang sudah diperiksa" in back
    # In bulk it is left for a look of its own; with the box ticked it goes.
    bulk = {"referral": [referral.id], f"version-{referral.id}": referral.version}
    auth.post("/referrals/approvals/bulk", bulk, page="/referrals/approvals")
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is S.AWAITING_APPROVAL
    referral = db.session.get(Referral, referral.id)
    _post_transition(auth, referral, "sent", confirm_unknown="y", next="/referrals/approvals")
    db.session.expire_all()
    assert db.session.get(Referral, referral.id).status is S.SENT


def test_the_needs_data_prefix_is_what_routing_stores():
    from slrt.referrals.models import NEEDS_DATA_PREFIX
    from slrt.routing.reasons import SENTENCES

    assert SENTENCES["result.unknown"][0] == NEEDS_DATA_PREFIX
