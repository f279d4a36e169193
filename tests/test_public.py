"""The public side: status page and API, online reports, the satisfaction survey."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core import tracking
from slrt.extensions import db
from slrt.intake import models as m
from slrt.public.models import SurveyResponse
from slrt.referrals.models import ReferralStatus
from tests import factories
from tests.public_factories import (
    PUBLIC_MESSAGE,
    SECRETS,
    close_case,
    issue_letter,
    make_secret_case,
    report_form,
    unknown_code,
    wrong_check,
)
from tests.sqlcount import counting

INVALID_TEXT = "Kode tidak valid, periksa kembali."
TOKENS_RE = re.compile(r'value="[A-Za-z0-9._-]{20,}"')


@pytest.fixture()
def quick_forms(app, monkeypatch):
    """Tests submit the report form at once; people take longer than the anti-robot minimum."""
    monkeypatch.setitem(app.config, "SLRT_REPORT_MIN_SECONDS", 0)


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"personal data leaked: {secret!r}"


# -- status page and API -------------------------------------------------------------------


def test_wrong_check_symbol_is_refused_before_any_database_query(client, world):
    code = wrong_check(world.case_a.tracking_code)
    with counting() as page_queries:
        page = client.get(f"/status?code={code}")
    with counting() as api_queries:
        api = client.get(f"/api/v1/public/status/{code}")
    assert page.status_code == 400
    assert INVALID_TEXT in page.get_data(as_text=True)
    assert api.status_code == 400
    assert api.get_json()["problems"][0]["message"] == INVALID_TEXT
    assert page_queries == [] and api_queries == []


def test_valid_code_does_query_the_database(client, world):
    with counting() as queries:
        client.get(f"/status?code={world.case_a.tracking_code}")
    assert queries


def test_status_page_shows_the_timeline_for_the_printed_and_typed_code(client, world):
    case = make_secret_case(world)
    printed = tracking.display(case.tracking_code)
    typed = printed.lower().replace("-", " ")
    for code in (printed, typed):
        response = client.get("/status", query_string={"code": code})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert printed in html
        assert "Lembaga DINSOS-3204" in html  # the agency
        assert "Bantuan Pangan Non Tunai" in html  # the service
        assert "Sedang ditangani" in html  # status in plain Indonesian
        assert PUBLIC_MESSAGE in html
        assert "24 Desember 2026" in html  # the deadline
        assert f'value="{printed}"' in html  # the QR code's ?code= fills the field


def test_no_personal_data_on_any_public_page_or_json_answer(client, auth, world, quick_forms):
    case = make_secret_case(world)
    code = tracking.display(case.tracking_code)
    letter = issue_letter(case.referrals[0])
    answers = [
        client.get("/verifikasi"),
        client.get(f"/verifikasi/{letter.code}"),  # a letter of the case: no name, no officer
        client.get(f"/verifikasi/{wrong_check(letter.code)}"),
        client.get("/status"),
        client.get(f"/status?code={code}"),
        client.get(f"/api/v1/public/status/{code}"),
        client.get("/lapor"),
        client.get("/api/v1/openapi.json"),
    ]
    close_case(case)
    answers.append(client.get(f"/status?code={code}"))  # with the survey form
    answers.append(client.get(f"/api/v1/public/status/{code}"))
    answers.append(
        client.post("/status/survei", data={"code": code, "rating": "9", "csrf_token": auth.csrf("/lapor")})
    )
    answers.append(client.post("/lapor", data=report_form(client, description="")))
    client.post("/lapor", data=report_form(client))
    answers.append(client.get("/lapor/terkirim"))
    # The queue display by the chairs, with the visitor's name typed at the desk and the
    # officer who called the number.
    from slrt.queue import services as queue

    today = queue.today_queue(world.office_a)
    queue.issue(today, None, fast_track=True, reason="korban_kekerasan", visitor_name=SECRETS[0])
    officer = db.session.scalar(sa.select(User).where(User.username == "petugas.rahasia"))
    queue.call_next(today, officer, "1")
    queue.issue(today, None, visitor_name=SECRETS[0])
    db.session.commit()
    answers.append(client.get(f"/antrean/layar/{world.office_a.code}"))
    assert "P-01" in answers[-1].get_data(as_text=True)
    assert all(a.status_code in (200, 400) for a in answers)
    for answer in answers:
        assert_no_secrets(answer.get_data(as_text=True))
    assert "Bantuan sudah diterima keluarga." in answers[8].get_data(as_text=True)
    assert letter.sha256 in answers[1].get_data(as_text=True)


def test_unknown_and_confidential_cases_look_exactly_the_same(client, world):
    secret = make_secret_case(world, confidential=True)
    unknown = unknown_code()
    pages = [client.get(f"/status?code={c}") for c in (secret.tracking_code, unknown)]
    apis = [client.get(f"/api/v1/public/status/{c}") for c in (secret.tracking_code, unknown)]
    assert [p.status_code for p in pages] == [404, 404]
    assert [a.status_code for a in apis] == [404, 404]
    bodies = [
        TOKENS_RE.sub("", p.get_data(as_text=True)).replace(c, "CODE")
        for p, c in zip(pages, (secret.tracking_code, unknown), strict=True)
    ]
    assert bodies[0] == bodies[1]
    assert "Kode tidak ditemukan" in bodies[0]
    assert apis[0].get_json() == apis[1].get_json()


def test_status_api_answers_the_same_facts_as_json(client, world):
    case = make_secret_case(world)
    response = client.get(f"/api/v1/public/status/{case.tracking_code.lower()}")
    data = response.get_json()
    assert response.status_code == 200
    assert data["code"] == tracking.display(case.tracking_code)
    assert data["status"] == "open"
    [referral] = data["referrals"]
    assert referral["agency"] == "Lembaga DINSOS-3204"
    assert referral["status"] == "in_progress"
    assert referral["resolve_due"] == "2026-12-24"
    assert [e["message"] for e in referral["events"]] == [None, None, PUBLIC_MESSAGE]
    assert set(referral["events"][0]) == {"on", "status", "status_label", "message"}
    assert response.headers["Cache-Control"] == "no-store"


def test_draft_referrals_are_not_shown_to_the_citizen(client, world):
    factories.make_referral(world.case_a, "PKH", agency=world.agency, status=ReferralStatus.DRAFT)
    db.session.commit()
    data = client.get(f"/api/v1/public/status/{world.case_a.tracking_code}").get_json()
    assert [r["status"] for r in data["referrals"]] == ["sent"]


def test_public_status_api_is_in_the_openapi_document_without_a_token(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/public/status/{code}"]["get"]
    assert operation["security"] == []
    assert {"200", "400", "404", "429"} <= set(operation["responses"])
    assert "PublicStatus" in doc["components"]["schemas"]


def test_lookups_are_rate_limited_per_address_with_a_friendly_page(app, client, world, monkeypatch):
    monkeypatch.setitem(app.config, "SLRT_STATUS_RATE_LIMIT", "3/minute")
    code = world.case_a.tracking_code
    assert [client.get(f"/status?code={code}").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(f"/status?code={code}")
    assert limited.status_code == 429
    assert "Mohon tunggu sebentar" in limited.get_data(as_text=True)
    # The JSON API shares the budget, and answers in JSON.
    api = client.get(f"/api/v1/public/status/{code}")
    assert api.status_code == 429 and api.get_json()["status"] == 429
    # Opening the empty form is not a lookup; another address has its own budget.
    assert client.get("/status").status_code == 200
    other = client.get(f"/status?code={code}", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 200


def test_status_page_reads_in_english_too(client, world):
    html = client.get(f"/status?code={world.case_a.tracking_code}&lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html


def test_status_page_with_its_assets_weighs_under_50_kb(client, world):
    case = make_secret_case(world)
    response = client.get(f"/status?code={case.tracking_code}")
    html = response.get_data(as_text=True)
    total = len(response.data)
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        total += len(client.get(asset).data)
    assert len(response.data) < 20_000
    assert total < 50_000


# -- online reports ----------------------------------------------------------------------------


def test_online_report_lands_in_the_village_desk_queue_with_a_tracking_code(client, world, quick_forms):
    response = client.post(
        "/lapor",
        data=report_form(client, name="Ani Lestari", contact="0812-3456-7890", consent="y"),
    )
    assert response.status_code == 302
    case = db.session.scalar(sa.select(m.Case).where(m.Case.channel == m.Channel.ONLINE))
    assert case.office_id == world.office_a.id
    assert case.village_code == factories.VILLAGE_A
    assert case.type is m.CaseType.NEED
    assert [n.category_code for n in case.needs] == ["pangan"]
    assert case.reporter.name == "Ani Lestari" and case.reporter.phone == "081234567890"
    assert case.consent_given and case.consent_at is not None
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert tracking.display(case.tracking_code) in done
    assert f"/status?code={tracking.display(case.tracking_code)}" in done
    # The desk sees it in its queue.
    auth_client = client
    auth_client.post("/logout")
    from tests.conftest import Auth

    Auth(auth_client).login("desk.a")
    assert tracking.display(case.tracking_code)[:4] in auth_client.get("/").get_data(as_text=True)


def test_report_without_name_or_contact_stores_no_person(client, world, quick_forms):
    persons = db.session.scalar(sa.select(sa.func.count(m.Person.id)))
    assert client.post("/lapor", data=report_form(client)).status_code == 302
    case = db.session.scalar(sa.select(m.Case).where(m.Case.channel == m.Channel.ONLINE))
    assert case.reporter_id is None and not case.consent_given
    assert db.session.scalar(sa.select(sa.func.count(m.Person.id))) == persons


def test_name_or_contact_without_consent_is_refused_and_nothing_is_stored(client, world, quick_forms):
    response = client.post("/lapor", data=report_form(client, contact="ani@contoh.id"))
    assert response.status_code == 400
    assert "Centang persetujuan" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(m.Case.channel == m.Channel.ONLINE)) == 0


def test_bad_input_gets_clear_messages_and_nothing_is_stored(client, world, quick_forms):
    response = client.post(
        "/lapor",
        data=report_form(
            client, category="bukan-kategori", description="", village_code="99.99", contact="abc"
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for text in ("Ceritakan kebutuhan", "Nomor HP atau email"):
        assert text in html
    assert db.session.scalar(sa.select(sa.func.count(m.Case.id))) == 3  # the world's cases only


def test_confidential_report_is_never_on_the_status_page(client, world, quick_forms):
    client.post("/lapor", data=report_form(client, confidential="y"))
    case = db.session.scalar(sa.select(m.Case).where(m.Case.channel == m.Channel.ONLINE))
    assert case.confidential
    done = client.get("/lapor/terkirim").get_data(as_text=True)
    assert "rahasia" in done and tracking.display(case.tracking_code) in done
    assert client.get(f"/status?code={case.tracking_code}").status_code == 404
    assert client.get(f"/api/v1/public/status/{case.tracking_code}").status_code == 404


def test_anonymous_reporter_is_hidden_from_the_receiving_agency(client, auth, world, quick_forms):
    for anonymous in ("y", None):
        client.post(
            "/lapor",
            data=report_form(client, name="Rudi Hartono", consent="y", anonymous=anonymous),
        )
    cases = db.session.scalars(
        sa.select(m.Case).where(m.Case.channel == m.Channel.ONLINE).order_by(m.Case.id)
    ).all()
    assert [c.anonymous for c in cases] == [True, False]
    for case in cases:
        factories.make_referral(case, agency=world.agency)
    db.session.commit()
    auth.login("dinsos")
    assert client.get(f"/persons/{cases[0].reporter_id}").status_code == 404
    assert client.get(f"/persons/{cases[1].reporter_id}").status_code == 200


def test_village_without_a_puskesos_office_still_gets_the_case(client, world, quick_forms):
    assert client.post("/lapor", data=report_form(client, village_code="3204052003")).status_code == 302
    case = db.session.scalar(sa.select(m.Case).where(m.Case.channel == m.Channel.ONLINE))
    assert case.village_code == "32.04.05.2003" and case.office_id is None
    assert "belum memiliki Puskesos" in client.get("/lapor/terkirim").get_data(as_text=True)


def test_village_found_by_name_without_javascript(client, world, quick_forms):
    ambiguous = client.post("/lapor", data=report_form(client, village_code="", village_search="Sukamaju"))
    html = ambiguous.get_data(as_text=True)
    assert ambiguous.status_code == 400
    assert 'name="village_pick"' in html and "pilih salah satu" in html
    assert db.session.scalar(sa.select(sa.func.count()).where(m.Case.channel == m.Channel.ONLINE)) == 0
    missing = client.post("/lapor", data=report_form(client, village_code="", village_search="Tidakadadesa"))
    assert "tidak ditemukan" in missing.get_data(as_text=True)
    unique = client.post("/lapor", data=report_form(client, village_code="", village_search="Cileunyi Kulon"))
    assert unique.status_code == 302
    picked = client.post(
        "/lapor", data=report_form(client, village_code="", village_pick=factories.VILLAGE_B)
    )
    assert picked.status_code == 302
    villages = db.session.scalars(
        sa.select(m.Case.village_code).where(m.Case.channel == m.Channel.ONLINE).order_by(m.Case.id)
    ).all()
    assert villages == [factories.VILLAGE_A, factories.VILLAGE_B]


def test_double_submit_of_one_form_files_one_case(client, world, quick_forms):
    data = report_form(client)
    first = client.post("/lapor", data=data)
    second = client.post("/lapor", data=data)
    assert first.status_code == second.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).where(m.Case.channel == m.Channel.ONLINE)) == 1


def test_form_sent_too_fast_is_refused_politely_and_nothing_is_stored(client, world):
    response = client.post("/lapor", data=report_form(client))  # the default minimum applies
    assert response.status_code == 400
    assert "terlalu cepat" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(m.Case.channel == m.Channel.ONLINE)) == 0


@pytest.mark.parametrize("fields", [{"website": "http://spam.example"}, {"form_token": "forged"}])
def test_honeypot_or_forged_token_is_refused_and_nothing_is_stored(client, world, quick_forms, fields):
    response = client.post("/lapor", data=report_form(client, **fields))
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).where(m.Case.channel == m.Channel.ONLINE)) == 0


def test_report_submissions_are_rate_limited(app, client, world, quick_forms, monkeypatch):
    monkeypatch.setitem(app.config, "SLRT_REPORT_RATE_LIMIT", "2/minute")
    codes = [client.post("/lapor", data=report_form(client)).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert client.get("/lapor").status_code == 200  # reading the form is not limited


# -- satisfaction survey -------------------------------------------------------------------


def _survey(client, auth, code: str, rating: str = "4", comment: str = "Petugas ramah"):
    return client.post(
        "/status/survei",
        data={"code": code, "rating": rating, "comment": comment, "csrf_token": auth.csrf("/lapor")},
    )


def test_survey_is_asked_once_on_a_closed_case(client, auth, world):
    case = make_secret_case(world)
    code = tracking.display(case.tracking_code)
    assert 'name="rating"' not in client.get(f"/status?code={code}").get_data(as_text=True)
    assert _survey(client, auth, code).status_code == 400  # not closed yet
    close_case(case)
    assert 'name="rating"' in client.get(f"/status?code={code}").get_data(as_text=True)
    first = _survey(client, auth, code)
    assert first.status_code == 302
    page = client.get(first.headers["Location"]).get_data(as_text=True)
    assert "penilaian Anda sudah kami terima" in page and 'name="rating"' not in page
    second = _survey(client, auth, code, rating="1", comment="Jawaban kedua")
    assert "sudah pernah dikirim" in client.get(second.headers["Location"]).get_data(as_text=True)
    [answer] = db.session.scalars(sa.select(SurveyResponse)).all()
    assert (answer.rating, answer.comment, answer.village_code) == (4, "Petugas ramah", case.village_code)


@pytest.mark.parametrize("rating", ["0", "6", "", "lima"])
def test_survey_rating_outside_1_to_5_is_refused(client, auth, world, rating):
    case = make_secret_case(world)
    close_case(case)
    response = _survey(client, auth, case.tracking_code, rating=rating)
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(SurveyResponse.id))) == 0


def test_database_refuses_a_second_answer_and_a_bad_rating(world):
    from sqlalchemy.exc import IntegrityError

    for rows in (
        [SurveyResponse(case_id=world.case_a.id, village_code=world.case_a.village_code, rating=6)],
        [
            SurveyResponse(case_id=world.case_a.id, village_code=world.case_a.village_code, rating=5),
            SurveyResponse(case_id=world.case_a.id, village_code=world.case_a.village_code, rating=4),
        ],
    ):
        db.session.add_all(rows)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_survey_of_a_confidential_case_is_not_found(client, auth, world):
    case = make_secret_case(world, confidential=True)
    close_case(case)
    assert _survey(client, auth, case.tracking_code).status_code == 404


def test_confirmation_page_forgets_the_code_after_half_an_hour(client, world, quick_forms, monkeypatch):
    import time

    client.post("/lapor", data=report_form(client))
    assert client.get("/lapor/terkirim").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/lapor/terkirim")
    assert response.status_code == 302 and response.headers["Location"].endswith("/lapor")


# -- the citizen's own words, the code kept (issue 20 item 7) ------------------------------------

STAFF_WORDS = ("Sanggah inklusi/eksklusi DTSEN", "berhadapan dengan hukum", "NAPZA", "RTLH")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_report_form_lists_needs_in_plain_words(client, world, lang):
    html = client.get(f"/lapor?lang={lang}").get_data(as_text=True)
    for word in STAFF_WORDS:
        assert word not in html, word
    plain = "Kekurangan makanan" if lang == "id" else "Not enough food"
    assert f'value="pangan">{plain}</option>' in html


def _outbox(template: str) -> list:
    from slrt.notifications.models import Notification

    return db.session.scalars(sa.select(Notification).where(Notification.template == template)).all()


def test_the_code_is_sent_by_sms_to_the_phone_given(client, world, quick_forms):
    data = report_form(client, name="Ani Lestari", contact="0812 3456 7890", consent="y")
    assert client.post("/lapor", data=data).status_code == 302
    case = db.session.scalar(sa.select(m.Case).where(m.Case.channel == m.Channel.ONLINE))
    (sms,) = _outbox("report_received")
    assert sms.channel.value == "sms" and sms.recipient == case.reporter.phone
    assert sms.data["code"] == tracking.display(case.tracking_code)
    assert sms.data["code"] in sms.data["url"]
    done = client.get("/lapor/terkirim").get_data(as_text=True)
    assert "Kode ini juga kami kirim lewat SMS" in done and "Salin kode" in done


def test_a_confidential_report_sends_no_sms(client, world, quick_forms):
    data = report_form(client, name="Ani Lestari", contact="0812 3456 7890", consent="y", confidential="y")
    assert client.post("/lapor", data=data).status_code == 302
    assert _outbox("report_received") == []
    assert "lewat SMS" not in client.get("/lapor/terkirim").get_data(as_text=True)


def test_a_correction_after_an_error_is_not_refused_as_too_fast(client, world, monkeypatch):
    """The anti-robot minimum counts from when the form was first shown, not from the answer
    with problems: correcting one field a second later is accepted (the default minimum applies)."""
    import time

    start = time.time()
    clock = {"now": start}
    monkeypatch.setattr(time, "time", lambda: clock["now"])
    data = report_form(client, category="")
    clock["now"] = start + 10
    first = client.post("/lapor", data=data)
    assert first.status_code == 400 and "terlalu cepat" not in first.get_data(as_text=True)
    assert data["form_token"] in first.get_data(as_text=True)  # the same form, the same token
    data["category"] = "pangan"
    clock["now"] = start + 11
    assert client.post("/lapor", data=data).status_code == 302
