"""Follow-up until every need has an answer (issue 16, point 5): the widow of 74 without NIK asks
for food aid, health insurance and a house repair; ADMINDUK (KTP and KK) comes first. Her needs
wait for it, then appear under "Tindak lanjut", are referred in the same case and close; the case
closes and only then the survey is offered. The desk may also close a need or the whole case on
purpose, with a reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from slrt.core.audit import AuditEvent
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.public.services import public_status
from slrt.referrals import closure
from slrt.referrals.drafts import Selection, create_draft_referrals
from slrt.referrals.followup import case_follow_up, ready_cases
from slrt.referrals.models import Referral, ReferralEvent
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.needs_state import NeedState
from slrt.referrals.transitions import REOPEN_CONFLICT, TransitionNotAllowed, transition
from tests.conftest import Auth, csrf_from
from tests.factories import VILLAGE_A, make_case, make_person
from tests.referral_factories import referral_in

AGENCY_FOR = {"ADMINDUK": "DUKCAPIL-3204"}
NIK = "3204054107520001"


def _agency_code(service_code: str, _village: str) -> str:
    return AGENCY_FOR.get(service_code, "DINSOS-3204")


def widow_case(world, fourth: str = "adminduk") -> tuple[m.Case, dict[str, m.Need]]:
    """The widow's case: no NIK, born about 74 years ago, four needs (the fourth: her identity
    documents, or her old age)."""
    today = local_today()
    widow = make_person(
        VILLAGE_A,
        name="Mak Iyah",
        birth_date=date(today.year - 74, 7, 1),
        birth_precision=m.BirthPrecision.YEAR,
    )
    case = make_case(VILLAGE_A, world.office_a, need="pangan", reporter=widow)
    for code in ("kesehatan.jaminan", "rumah", fourth):
        db.session.add(m.Need(case=case, category_code=code, person=widow))
    db.session.flush()
    return case, {n.category_code: n for n in case.needs}


def _refer(world, case, need, code, **kwargs) -> Referral:
    (referral,) = create_draft_referrals(
        case, [Selection(need_id=need.id, service_code=code, **kwargs)], world.users["desk_a"], _agency_code
    )
    transition(referral, S.SENT, world.users["desk_a"])
    return referral


def _resolve(referral: Referral, agency_user) -> None:
    transition(referral, S.ACCEPTED, agency_user)
    transition(referral, S.RESOLVED, agency_user, outcome="granted", message="Sudah diberikan.")


def _states(case) -> dict[str, NeedState]:
    referrals = db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)).all()
    return {item.need.category_code: item.state for item in case_follow_up(case, referrals).values()}


def test_the_widows_needs_wait_are_listed_referred_and_close_then_the_survey_comes(world):
    case, needs = widow_case(world)
    desk, dinsos, dukcapil = world.users["desk_a"], world.users["agency"], world.users["other_agency"]

    # ADMINDUK answers her own identity-documents need; the three others wait for it.
    admin = _refer(world, case, needs["adminduk"], "ADMINDUK", prerequisite_of="BPNT")
    assert _states(case) == {
        "pangan": NeedState.WAITING,
        "kesehatan.jaminan": NeedState.WAITING,
        "rumah": NeedState.WAITING,
        "adminduk": NeedState.REFERRED,
    }
    assert ready_cases(desk) == []

    # ADMINDUK resolved, no NIK recorded yet: its need is closed, the case is not (issue 16: it
    # closed itself here), the prerequisite is not met and nothing is listed.
    _resolve(admin, dukcapil)
    assert _states(case)["adminduk"] is NeedState.CLOSED
    assert case.status is m.CaseStatus.OPEN
    db.session.commit()  # the status page reads on its own connection
    assert public_status(case.tracking_code).survey_open is False
    assert ready_cases(desk) == []

    # The NIK recorded: the waiting services appear under "Tindak lanjut", for this desk only.
    case.reporter.nik = NIK
    db.session.flush()
    (item,) = ready_cases(desk)
    assert (item.case.id, item.person.id) == (case.id, case.reporter_id)
    assert item.services == ["BPNT", "PBI-JK", "RUTILAHU"]
    assert ready_cases(world.users["desk_b"]) == []

    # Referred in the same case: nothing is listed any more.
    referrals = [
        _refer(world, case, needs[code], service)
        for code, service in (("pangan", "BPNT"), ("kesehatan.jaminan", "PBI-JK"), ("rumah", "RUTILAHU"))
    ]
    assert ready_cases(desk) == []
    assert set(_states(case).values()) == {NeedState.REFERRED, NeedState.CLOSED}

    for referral in referrals[:-1]:
        _resolve(referral, dinsos)
    assert case.status is m.CaseStatus.OPEN
    db.session.commit()  # the status page reads on its own connection
    assert public_status(case.tracking_code).survey_open is False
    _resolve(referrals[-1], dinsos)

    assert set(_states(case).values()) == {NeedState.CLOSED}
    assert case.status is m.CaseStatus.CLOSED
    db.session.commit()  # the status page reads on its own connection
    assert public_status(case.tracking_code).survey_open is True


def test_a_prerequisite_made_under_a_waiting_need_is_not_that_needs_answer(world):
    """The route page files ADMINDUK under the first need that waits for it (here food aid):
    resolving it leaves that need open, ready for BPNT."""
    case, needs = widow_case(world, fourth="lansia")
    admin = _refer(world, case, needs["pangan"], "ADMINDUK", prerequisite_of="BPNT")
    assert _states(case)["pangan"] is NeedState.WAITING
    _resolve(admin, world.users["other_agency"])
    assert _states(case)["pangan"] is NeedState.OPEN
    assert case.status is m.CaseStatus.OPEN


def test_home_lists_the_services_now_ready_with_a_link_to_the_route_page(app, world, client, auth):
    case, needs = widow_case(world)
    admin = _refer(world, case, needs["pangan"], "ADMINDUK")
    _resolve(admin, world.users["other_agency"])
    case.reporter.nik = NIK
    db.session.commit()

    auth.login("desk.a")
    html = client.get("/").get_data(as_text=True)
    assert "Tindak lanjut" in html
    assert f'href="/cases/{case.id}/route"' in html
    assert "BPNT, PBI-JK, RUTILAHU" in html

    other = app.test_client()
    Auth(other).login("desk.b")  # another village's desk
    html = other.get("/").get_data(as_text=True)
    assert f'href="/cases/{case.id}/route"' not in html
    assert "Tidak ada layanan yang menunggu untuk dirujuk." in html


def test_a_case_does_not_close_while_a_need_waits(world):
    case, needs = widow_case(world, fourth="lansia")
    _refer(world, case, needs["pangan"], "ADMINDUK")
    atensi = _refer(world, case, needs["lansia"], "ATENSI-LANSIA")
    # The desk closes the two needs it will not pursue; one still waits for ADMINDUK.
    closure.close_need(needs["kesehatan.jaminan"], world.users["desk_a"], "Sudah punya BPJS mandiri.")
    closure.close_need(needs["rumah"], world.users["desk_a"], "Rumah sudah diperbaiki keluarga.")
    _resolve(atensi, world.users["agency"])
    # ATENSI-LANSIA is done, but PKH (elderly component) still waits for her NIK.
    assert _states(case)["lansia"] is NeedState.WAITING
    assert _states(case)["pangan"] is NeedState.WAITING
    assert case.status is m.CaseStatus.OPEN
    with pytest.raises(closure.ClosingNotAllowed):  # ADMINDUK is still with Dukcapil
        closure.close_case(case, world.users["desk_a"], "Warga pindah.")
    assert case.status is m.CaseStatus.OPEN


def test_the_desk_closes_a_need_with_a_reason_and_the_case_closes_with_its_last_need(world):
    case, needs = widow_case(world, fourth="lansia")
    desk = world.users["desk_a"]
    for code in ("pangan", "kesehatan.jaminan", "rumah"):
        closure.close_need(needs[code], desk, "Warga memilih tidak melanjutkan.")
    assert case.status is m.CaseStatus.OPEN  # lansia is still open
    closure.close_need(needs["lansia"], desk, "  Sudah dibantu   keluarga.  ")
    assert needs["lansia"].closed_reason == "Sudah dibantu keluarga."
    assert needs["lansia"].closed_by_id == desk.id
    assert _states(case) == dict.fromkeys(needs, NeedState.CLOSED_BY_DESK)
    assert case.status is m.CaseStatus.CLOSED
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action == "need.close")).all()
    assert len(actions) == 4


def test_closing_a_need_without_a_reason_is_refused_at_the_field_and_changes_nothing(world, client, auth):
    case, needs = widow_case(world)
    need = needs["rumah"]
    db.session.commit()
    auth.login("desk.a")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Belum ditindaklanjuti" in page

    response = client.post(f"/needs/{need.id}/close", data={"reason": "   ", "csrf_token": csrf_from(page)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    message = "Tuliskan alasan penutupan: warga akan menanyakannya."
    assert f'<p class="field-error" id="error-need-{need.id}">{message}</p>' in html
    db.session.expire_all()
    assert db.session.get(m.Need, need.id).closed_at is None
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "need.close")) is None

    response = client.post(
        f"/needs/{need.id}/close", data={"reason": "Rumah sudah diperbaiki.", "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Need, need.id).closed_reason == "Rumah sudah diperbaiki."
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Ditutup desk" in html


def test_the_desk_closes_a_whole_case_on_purpose_with_a_reason(world, client, auth):
    case, _needs = widow_case(world)
    db.session.commit()
    auth.login("desk.a")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/close", data={"reason": "", "csrf_token": csrf_from(page)})
    assert response.status_code == 422
    assert 'id="error-case"' in response.get_data(as_text=True)
    response = client.post(
        f"/cases/{case.id}/close",
        data={"reason": "Warga pindah ke luar kota.", "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    case = db.session.get(m.Case, case.id)
    assert case.status is m.CaseStatus.CLOSED
    assert all(n.closed_reason == "Warga pindah ke luar kota." for n in case.needs)
    assert db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "case.close")) is not None


@pytest.mark.parametrize(
    ("lang", "wording"), [("id", "Menunggu dokumen kependudukan"), ("en", "Waiting for identity documents")]
)
def test_status_page_says_a_service_waits_for_identity_documents(world, client, lang, wording):
    case, needs = widow_case(world)
    _refer(world, case, needs["pangan"], "ADMINDUK")
    db.session.commit()
    status = public_status(case.tracking_code)
    assert set(status.waiting) >= {"Bantuan Pangan Non Tunai (Sembako)"}
    html = client.get(f"/status?code={case.tracking_code}&lang={lang}").get_data(as_text=True)
    assert wording in html
    assert "Bantuan Pangan Non Tunai (Sembako)" in html


def test_status_page_never_shows_cancelled_copies(world):
    case, needs = widow_case(world)
    kept = _refer(world, case, needs["pangan"], "ADMINDUK")
    copy = referral_in(world, S.CANCELLED, case=case, service="ATENSI-LANSIA")
    copy.sent_at = None  # withdrawn at the desk before it was ever sent
    db.session.commit()
    services = [r.service for r in public_status(case.tracking_code).referrals]
    assert services == [kept.service.name]


def open_copy(world, case, closed: Referral) -> Referral:
    """An open referral of the same person and service as `closed`, in another case."""
    copy = referral_in(world, S.SENT, case=case, service=closed.service.code)
    copy.person_id = closed.person_id  # the factory gives a second one a stand-in person
    db.session.flush()
    return copy


def test_reopening_while_another_referral_is_open_answers_clearly_and_changes_nothing(world):
    first = make_case(VILLAGE_A, world.office_a, need="pangan")
    closed = referral_in(world, S.RESOLVED, case=first, service="BPNT")
    closed.closed_at = closed.closed_at - timedelta(days=1)
    second = make_case(VILLAGE_A, world.office_a, need="pangan", reporter=first.reporter)
    open_copy(world, second, closed)
    events = len(closed.events)

    with pytest.raises(TransitionNotAllowed) as refused:
        transition(closed, S.SENT, world.users["desk_a"], note="Warga mengajukan banding.")
    assert str(refused.value) == str(REOPEN_CONFLICT)
    assert closed.status is S.RESOLVED
    history = sa.select(ReferralEvent).where(ReferralEvent.referral_id == closed.id)
    assert len(db.session.scalars(history).all()) == events


def test_a_reopen_racing_an_open_copy_is_caught_by_the_index_in_a_savepoint(world, monkeypatch):
    from slrt.referrals import transitions

    first = make_case(VILLAGE_A, world.office_a, need="pangan")
    closed = referral_in(world, S.RESOLVED, case=first, service="BPNT")
    second = make_case(VILLAGE_A, world.office_a, need="pangan", reporter=first.reporter)
    open_copy(world, second, closed)
    # The copy appears between the check and the write (another desk at the same moment).
    monkeypatch.setattr(transitions, "_open_copy_exists", lambda referral: False)

    with pytest.raises(TransitionNotAllowed) as refused:
        transition(closed, S.SENT, world.users["desk_a"], note="Warga mengajukan banding.")
    assert str(refused.value) == str(REOPEN_CONFLICT)
    assert closed.status is S.RESOLVED  # the savepoint's rollback reloads the row
    assert db.session.scalar(sa.select(Referral.status).where(Referral.id == closed.id)) is S.RESOLVED


def test_reopen_conflict_is_answered_in_the_users_language(world, client, auth):
    first = make_case(VILLAGE_A, world.office_a, need="pangan")
    closed = referral_in(world, S.RESOLVED, case=first, service="BPNT")
    second = make_case(VILLAGE_A, world.office_a, need="pangan", reporter=first.reporter)
    open_copy(world, second, closed)
    world.users["desk_a"].locale = "en"
    db.session.commit()
    auth.login("desk.a")
    page = client.get(f"/cases/{first.id}").get_data(as_text=True)
    response = client.post(
        f"/referrals/{closed.id}/transition",
        data={"to": "sent", "note": "Appeal", "version": closed.version, "csrf_token": csrf_from(page)},
        follow_redirects=True,
    )
    assert "this citizen already has another referral for the same service" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Referral, closed.id).status is S.RESOLVED


def test_the_status_page_gives_a_closed_referrals_outcome_once(world, client):
    case, needs = widow_case(world)
    _resolve(_refer(world, case, needs["adminduk"], "ADMINDUK"), world.users["other_agency"])
    db.session.commit()
    html = client.get(f"/status?code={case.tracking_code}").get_data(as_text=True)
    assert html.count("Sudah diberikan.") == 1  # under "Hasil", not again in the timeline
