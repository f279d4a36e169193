"""Issue 18 item 7: a family that moves to another village is handed over ("pindah wilayah"):
the receiving desk accepts it, its open cases and referrals follow with their deadlines running,
the old desk keeps its own closed cases, and both sides see the move in the trail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import AuditEvent
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import moves
from slrt.referrals.models import Referral, ReferralStatus
from tests.conftest import CSRF_RE
from tests.factories import VILLAGE_A, VILLAGE_B, VILLAGE_OTHER, make_case, make_person, make_referral

RESPOND_DUE = date(2026, 12, 10)
RESPOND_RISK = date(2026, 12, 8)


def _family(world) -> dict[str, Any]:
    """Village A's family of the world: the reporter of case_a and a child, case_a open with a
    referral at the agency (its clock running), and an older closed case with a resolved one."""
    case = world.case_a
    household = case.household
    child = make_person(VILLAGE_A, household=household, name="Anak Aminah")
    child.relationship_to_head = m.Relationship.CHILD
    referral = world.referral_a
    referral.respond_due, referral.respond_risk_from = RESPOND_DUE, RESPOND_RISK
    closed = make_case(
        VILLAGE_A,
        world.office_a,
        need="lansia",
        reporter=case.reporter,
        status=m.CaseStatus.CLOSED,
        closed_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    old_referral = make_referral(
        closed, service_code="ATENSI-LANSIA", agency=world.agency, status=ReferralStatus.RESOLVED
    )
    db.session.commit()
    return {
        "household": household.id,
        "child": child.id,
        "case": case.id,
        "referral": referral.id,
        "closed": closed.id,
        "old_referral": old_referral.id,
    }


def _as(client, auth, username: str) -> None:
    """Signs in as `username`, signing out whoever was signed in."""
    match = CSRF_RE.search(client.get("/").get_data(as_text=True))
    if match:
        client.post("/logout", data={"csrf_token": match.group(1)})
    auth.login(username)


def _ask(client, auth, household_id: int, **values: str):
    data = {
        "village_code": VILLAGE_B,
        "rt": "4",
        "rw": "2",
        "street": "Jl. Cijambu 7",
        "reason": "Ikut orang tua",
    }
    data.update(values)
    path = f"/households/{household_id}/move"
    return auth.post(path, data, page="/")


def _open_move(household_id: int) -> m.HouseholdMove:
    move = db.session.scalar(sa.select(m.HouseholdMove).where(m.HouseholdMove.household_id == household_id))
    assert move is not None
    return move


def _decide(client, auth, move_id: int, what: str, **data: str):
    return auth.post(f"/moves/{move_id}/{what}", data, page="/")


def _rows() -> dict[str, list[tuple]]:
    """Every row a move could touch, as plain tuples, to compare before and after."""
    tables = {
        "households": m.Household.__table__,
        "persons": m.Person.__table__,
        "cases": m.Case.__table__,
        "needs": m.Need.__table__,
        "referrals": Referral.__table__,
        "record_changes": m.RecordChange.__table__,
    }
    db.session.expire_all()
    return {
        name: [tuple(r) for r in db.session.execute(sa.select(t).order_by(t.c.id))]  # type: ignore[attr-defined]
        for name, t in tables.items()
    }


def _ask_and_accept(client, auth, world, family, receiver: str = "desk.b", **values: str) -> m.HouseholdMove:
    _as(client, auth, "desk.a")
    assert _ask(client, auth, family["household"], **values).status_code == 302
    move = _open_move(family["household"])
    _as(client, auth, receiver)
    assert _decide(client, auth, move.id, "accept").status_code == 302
    db.session.expire_all()
    return db.session.get(m.HouseholdMove, move.id)


def test_accepting_rehomes_the_open_cases_and_referrals_and_keeps_their_deadlines(world, client, auth):
    family = _family(world)
    before = db.session.get(Referral, family["referral"])
    version, updated, agency = before.version, before.updated_at, before.agency_id

    move = _ask_and_accept(client, auth, world, family)

    assert move.status is m.MoveStatus.ACCEPTED and move.decided_by.username == "desk.b"
    household = db.session.get(m.Household, family["household"])
    assert (household.village_code, household.rt, household.rw, household.street) == (
        VILLAGE_B,
        "004",
        "002",
        "Jl. Cijambu 7",
    )
    assert household.moved_at is not None
    members = db.session.scalars(sa.select(m.Person).where(m.Person.household_id == household.id)).all()
    assert {p.village_code for p in members} == {VILLAGE_B} and len(members) == 2
    assert db.session.get(m.Case, family["case"]).village_code == VILLAGE_B
    referral = db.session.get(Referral, family["referral"])
    # The clock keeps running: due and risk dates, the status, the agency, all as they were.
    assert referral.village_code == VILLAGE_B
    assert (referral.respond_due, referral.respond_risk_from) == (RESPOND_DUE, RESPOND_RISK)
    assert (referral.status, referral.agency_id, referral.version) == (ReferralStatus.SENT, agency, version)
    assert referral.updated_at == updated
    # The old desk keeps its own history: the closed case and its referral stay in village A.
    assert db.session.get(m.Case, family["closed"]).village_code == VILLAGE_A
    assert db.session.get(Referral, family["old_referral"]).village_code == VILLAGE_A
    assert move.moved["cases"] == [family["case"]]
    assert move.moved["stayed"] == [family["closed"]]
    assert family["referral"] in move.moved["referrals"]
    assert family["old_referral"] not in move.moved["referrals"]
    assert sorted(move.moved["persons"]) == sorted(p.id for p in members)


def test_scope_before_and_after_the_move_for_both_desks(world, client, auth):
    family = _family(world)
    household, case, closed, referral = (
        f"/households/{family['household']}",
        f"/cases/{family['case']}",
        f"/cases/{family['closed']}",
        f"/referrals/{family['referral']}",
    )
    _as(client, auth, "desk.b")
    assert [client.get(p).status_code for p in (household, case, closed, referral)] == [404] * 4

    _ask_and_accept(client, auth, world, family)

    # The receiving desk now follows the family and its open work, not the old desk's history.
    assert [client.get(p).status_code for p in (household, case, referral)] == [200] * 3
    assert client.get(closed).status_code == 404
    _as(client, auth, "desk.a")
    assert [client.get(p).status_code for p in (household, case, referral)] == [404] * 3
    assert client.get(f"/persons/{family['child']}").status_code == 404
    assert client.get(closed).status_code == 200
    # The agency keeps the referral it is handling: the agency is not changed by a move.
    _as(client, auth, "dinsos")
    assert client.get(referral).status_code == 200


def test_both_sides_see_the_move_in_the_trail(world, client, auth):
    family = _family(world)
    move = _ask_and_accept(client, auth, world, family)

    _as(client, auth, "desk.b")
    page = client.get(f"/households/{family['household']}").get_data(as_text=True)
    assert (
        "Riwayat pindah wilayah" in page and "Pindah wilayah: dari Cileunyi Kulon ke Cileunyi Wetan" in page
    )
    changes = {c.field: (c.old_value, c.new_value) for c in db.session.scalars(sa.select(m.RecordChange))}
    assert changes["village_code"] == (VILLAGE_A, VILLAGE_B)
    case_page = client.get(f"/cases/{family['case']}").get_data(as_text=True)
    assert "kasus ini ikut pindah, tenggatnya tetap" in case_page

    _as(client, auth, "desk.a")
    closed_page = client.get(f"/cases/{family['closed']}").get_data(as_text=True)
    assert "Pindah wilayah: dari Cileunyi Kulon ke Cileunyi Wetan" in closed_page
    assert "kasus ini tetap di desk asal" in closed_page
    listing = client.get("/moves").get_data(as_text=True)
    assert f"/moves/{move.id}" in listing
    detail = client.get(f"/moves/{move.id}").get_data(as_text=True)
    assert "Diterima desk tujuan" in detail and "Jl. Cijambu 7" not in detail  # the new address is theirs

    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("%move%"))))
    assert {"household.move_request", "household.move_accept", "case.move"} <= actions


def test_refusal_changes_nothing_but_the_move(world, client, auth):
    family = _family(world)
    _as(client, auth, "desk.a")
    _ask(client, auth, family["household"])
    move = _open_move(family["household"])
    before = _rows()

    _as(client, auth, "desk.b")
    page = _decide(client, auth, move.id, "refuse", refusal_reason="")
    assert page.status_code == 200 and "Tulis alasan penolakan" in page.get_data(as_text=True)
    assert _open_move(family["household"]).status is m.MoveStatus.REQUESTED
    response = _decide(client, auth, move.id, "refuse", refusal_reason="Keluarga belum tinggal di sini")
    assert response.status_code == 302

    assert _rows() == before
    move = db.session.get(m.HouseholdMove, move.id)
    assert move.status is m.MoveStatus.REFUSED and move.refusal_reason == "Keluarga belum tinggal di sini"
    _as(client, auth, "desk.a")
    assert "Keluarga belum tinggal di sini" in client.get(f"/moves/{move.id}").get_data(as_text=True)
    assert client.get(f"/households/{family['household']}").status_code == 200


def test_a_move_to_another_regency_is_accepted_there(world, client, auth):
    family = _family(world)
    move = _ask_and_accept(client, auth, world, family, receiver="desk.x", village_code=VILLAGE_OTHER)
    assert move.to_village_code == VILLAGE_OTHER
    assert db.session.get(m.Case, family["case"]).village_code == VILLAGE_OTHER
    assert db.session.get(Referral, family["referral"]).agency_id == world.agency.id
    _as(client, auth, "desk.x")
    assert client.get(f"/cases/{family['case']}").status_code == 200
    # The regency the family left no longer sees it, but still its closed case.
    _as(client, auth, "slrt.bdg")
    assert client.get(f"/households/{family['household']}").status_code == 404
    assert client.get(f"/cases/{family['closed']}").status_code == 200
    assert client.get(f"/moves/{move.id}").status_code == 200


def test_who_may_ask_decide_and_cancel(world, client, auth):
    family = _family(world)
    for user in ("dinsos", "admin"):
        _as(client, auth, user)
        assert client.get(f"/households/{family['household']}/move").status_code == 403
        assert client.get("/moves").status_code == 403
    _as(client, auth, "desk.b")  # outside the family's village: cannot even ask
    assert client.get(f"/households/{family['household']}/move").status_code == 404
    _as(client, auth, "desk.a")
    _ask(client, auth, family["household"])
    move = _open_move(family["household"])
    # The asking desk cannot accept its own request into another village.
    _decide(client, auth, move.id, "accept")
    assert _open_move(family["household"]).status is m.MoveStatus.REQUESTED
    _as(client, auth, "desk.b")
    _decide(client, auth, move.id, "cancel")  # cancelling is the asking side's
    assert _open_move(family["household"]).status is m.MoveStatus.REQUESTED
    _as(client, auth, "desk.x")  # another regency: neither side of the move
    assert client.get(f"/moves/{move.id}").status_code == 404
    assert _decide(client, auth, move.id, "accept").status_code == 404
    _as(client, auth, "desk.a")
    assert _decide(client, auth, move.id, "cancel").status_code == 302
    assert _open_move(family["household"]).status is m.MoveStatus.CANCELLED
    _as(client, auth, "desk.b")
    _decide(client, auth, move.id, "accept")  # too late: cancelled
    assert db.session.get(m.Case, family["case"]).village_code == VILLAGE_A
    with pytest.raises(PermissionError):
        moves.request_move(
            db.session.get(m.Household, family["household"]),
            {"village_code": VILLAGE_B, "reason": "x"},
            world.users["desk_b"],
        )


def test_one_open_move_per_household(world, client, auth):
    family = _family(world)
    _as(client, auth, "desk.a")
    _ask(client, auth, family["household"])
    again = _ask(client, auth, family["household"], village_code=VILLAGE_OTHER)
    assert again.status_code == 200 and "sudah punya permintaan pindah" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(m.HouseholdMove.id))) == 1
    # The database holds the rule too, for two desks asking at the same moment.
    with pytest.raises(IntegrityError):
        db.session.add(
            m.HouseholdMove(
                household_id=family["household"],
                from_village_code=VILLAGE_A,
                to_village_code=VILLAGE_OTHER,
                reason="x",
                moved={},
            )
        )
        db.session.flush()
    db.session.rollback()
    # Once decided, the family may be asked to move again.
    _as(client, auth, "desk.b")
    _decide(client, auth, _open_move(family["household"]).id, "refuse", refusal_reason="Belum pindah")
    _as(client, auth, "desk.a")
    assert _ask(client, auth, family["household"], village_code=VILLAGE_OTHER).status_code == 302


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"village_code": ""}, "Pilih desa/kelurahan tujuan."),
        ({"village_code": "32.04"}, "Kode ini bukan desa/kelurahan yang terdaftar."),
        ({"village_code": "99.99.99.9999"}, "Kode ini bukan desa/kelurahan yang terdaftar."),
        ({"village_code": VILLAGE_A}, "Keluarga ini sudah tercatat di desa/kelurahan itu."),
        ({"rt": "12a"}, "Isi dengan angka, paling banyak 3 digit."),
        ({"reason": "  "}, "Tulis alasan kepindahan"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(world, client, auth, values, message):
    family = _family(world)
    _as(client, auth, "desk.a")
    page = _ask(client, auth, family["household"], **values)
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(m.HouseholdMove.id))) == 0


def test_a_move_decided_meanwhile_or_of_a_family_that_moved_since_is_not_accepted(world, client, auth):
    family = _family(world)
    household = db.session.get(m.Household, family["household"])
    move = moves.request_move(
        household, {"village_code": VILLAGE_B, "reason": "Ikut suami"}, world.users["desk_a"]
    )
    household.village_code = VILLAGE_OTHER  # e.g. corrected since by the SLRT
    db.session.commit()
    with pytest.raises(moves.MoveRefused):
        moves.accept_move(db.session.get(m.HouseholdMove, move.id), world.users["desk_b"])
    db.session.rollback()
    household = db.session.get(m.Household, family["household"])
    household.village_code = VILLAGE_A
    db.session.commit()
    moves.accept_move(db.session.get(m.HouseholdMove, move.id), world.users["desk_b"])
    db.session.commit()
    with pytest.raises(PermissionError):  # decided: nobody may decide it again
        moves.accept_move(db.session.get(m.HouseholdMove, move.id), world.users["desk_b"])


def test_the_receiving_desk_home_counts_incoming_families(world, client, auth):
    family = _family(world)
    _as(client, auth, "desk.a")
    _ask(client, auth, family["household"])
    _as(client, auth, "desk.b")
    home = client.get("/").get_data(as_text=True)
    assert "Keluarga pindah masuk" in home and 'href="/moves"' in home
    listing = client.get("/moves").get_data(as_text=True)
    assert "Keluarga Siti Aminah" in listing and "Menunggu keputusan Anda" in listing
    english = client.get("/moves?lang=en").get_data(as_text=True)
    assert "Waiting for your decision" in english


def test_the_service_collects_every_problem_at_once(world):
    family = _family(world)
    household = db.session.get(m.Household, family["household"])
    with pytest.raises(ValidationFailed) as failed:
        moves.request_move(household, {"village_code": "", "rt": "x", "reason": ""}, world.users["desk_a"])
    assert set(failed.value.errors) == {"village_code", "rt", "reason"}


def test_the_demo_has_a_family_waiting_and_one_accepted(runner, client, auth):
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    desk = db.session.scalar(sa.select(User).where(User.username == "desk"))
    waiting = db.session.scalars(moves.incoming(desk)).all()
    assert len(waiting) == 1 and waiting[0].from_village_code == "32.04.05.2002"
    accepted = db.session.scalar(
        sa.select(m.HouseholdMove).where(m.HouseholdMove.status == m.MoveStatus.ACCEPTED)
    )
    assert accepted.to_village_code == desk.office.region_code
    assert accepted.moved["cases"] and accepted.moved["referrals"] and accepted.moved["stayed"]
    referral = db.session.get(Referral, accepted.moved["referrals"][0])
    assert referral.village_code == accepted.to_village_code and referral.respond_due is not None


def test_the_dashboard_tallies_follow_the_moved_cases(world, client, auth):
    from datetime import timedelta

    from slrt.reports import tally
    from slrt.reports.models import ReportTally

    family = _family(world)
    referral = db.session.get(Referral, family["referral"])
    referral.created_at -= timedelta(days=40)  # counted in another month than its case
    db.session.commit()
    _ask_and_accept(client, auth, world, family, receiver="desk.x", village_code=VILLAGE_OTHER)
    query = sa.select(
        ReportTally.village_code,
        ReportTally.month,
        ReportTally.subject,
        ReportTally.figure,
        ReportTally.key,
        ReportTally.count,
    )
    kept = {tuple(row[:5]): row[5] for row in db.session.execute(query)}
    assert any(key[0] == VILLAGE_OTHER and key[2] == "referral" for key in kept)
    tally.rebuild()
    rebuilt = {tuple(row[:5]): row[5] for row in db.session.execute(query)}
    db.session.rollback()
    assert kept == rebuilt
