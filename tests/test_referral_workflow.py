"""The referral state machine: every transition in the table, for every role, allowed exactly
where the table says so, through the real transition function (history, audit, scope)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from slrt.accounts.models import Role
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import AuditEvent
from slrt.core.db import utcnow
from slrt.extensions import db
from slrt.intake.models import CaseStatus
from slrt.referrals import workflow
from slrt.referrals.models import Referral, ReferralEvent
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.transitions import StaleVersion, TransitionNotAllowed, transition
from tests.referral_factories import offer_service, referral_in

ACTORS = {
    Role.DESK: "desk_a",
    Role.COORDINATOR: "coordinator_a",
    Role.SLRT: "slrt",
    Role.AGENCY: "agency",
    Role.ADMIN: "admin",
}
UNSENT = (S.DRAFT, S.AWAITING_APPROVAL)


def _inputs(world, frm, to):
    rule = workflow.TRANSITIONS.get((frm, to))
    kwargs = {"note": "Catatan uji", "message": "Pesan untuk warga"}
    if rule and rule.needs_reason:
        kwargs["reason"] = "not_responsible"
    if rule and rule.needs_outcome:
        kwargs["outcome"] = "service_delivered"
    if rule and rule.needs_agency:
        kwargs["agency"] = world.other_agency
    return kwargs


@pytest.mark.parametrize("approval", [False, True], ids=["no-approval", "approval"])
@pytest.mark.parametrize("role", list(ACTORS), ids=[r.value for r in ACTORS])
def test_every_transition_is_allowed_exactly_where_the_table_says(world, role, approval):
    world.office_a.requires_approval = approval
    offer_service(world.other_agency)  # the re-send target serves the case's region
    actor = world.users[ACTORS[role]]
    allowed = forbidden = 0
    for frm in S:
        for requested in S:
            if requested is frm:
                continue
            referral = referral_in(world, frm)
            target = workflow.resolve_target(frm, requested, role, approval)
            rule = workflow.rule_for(frm, target, role, approval)
            events_before = db.session.scalar(sa.select(sa.func.count(ReferralEvent.id)))
            kwargs = _inputs(world, frm, target)
            if rule is not None:
                event = transition(referral, requested, actor, **kwargs)
                assert referral.status is target, (frm, requested, role)
                assert (event.from_status, event.to_status, event.actor_id) == (frm, target, actor.id)
                assert (
                    db.session.scalar(
                        sa.select(sa.func.count(AuditEvent.id)).where(
                            AuditEvent.action == "referral.transition",
                            AuditEvent.object_id == str(referral.id),
                        )
                    )
                    == 1
                )
                allowed += 1
            else:
                expected = LookupError if role is Role.AGENCY and frm in UNSENT else TransitionNotAllowed
                with pytest.raises(expected):
                    transition(referral, requested, actor, **kwargs)
                assert referral.status is frm
                assert db.session.scalar(sa.select(sa.func.count(ReferralEvent.id))) == events_before
                forbidden += 1
    assert forbidden > 0
    if role is not Role.ADMIN:
        assert allowed > 0
    else:
        assert allowed == 0  # administrators manage, they do not handle referrals


def test_desk_at_an_office_that_requires_approval_asks_for_it_instead_of_sending(world):
    world.office_a.requires_approval = True
    referral = referral_in(world, S.DRAFT)
    transition(referral, "sent", world.users["desk_a"])
    assert referral.status is S.AWAITING_APPROVAL
    assert referral.letter_number is None and referral.respond_due is None
    with pytest.raises(TransitionNotAllowed):
        transition(referral, "sent", world.users["desk_a"])  # approving is not the desk's job
    transition(referral, "sent", world.users["coordinator_a"])
    assert referral.status is S.SENT and referral.letter_number and referral.respond_due


def test_desk_of_another_village_cannot_touch_the_referral(world):
    referral = referral_in(world, S.DRAFT)
    with pytest.raises(LookupError):
        transition(referral, "sent", world.users["desk_b"])
    assert referral.status is S.DRAFT


def test_another_agency_cannot_accept(world):
    referral = referral_in(world, S.SENT)
    with pytest.raises(LookupError):
        transition(referral, "accepted", world.users["other_agency"])


def test_reject_needs_a_reason_and_sending_back_needs_a_note(world):
    referral = referral_in(world, S.SENT)
    with pytest.raises(ValidationFailed) as err:
        transition(referral, "rejected", world.users["agency"])
    assert "reason" in err.value.errors
    assert referral.status is S.SENT
    accepted = referral_in(world, S.ACCEPTED)
    with pytest.raises(ValidationFailed) as err:
        transition(accepted, "resolved", world.users["agency"])
    assert "outcome" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        transition(accepted, "resolved", world.users["agency"], outcome="not_granted")
    assert "note" in err.value.errors
    assert accepted.status is S.ACCEPTED
    waiting = referral_in(world, S.AWAITING_APPROVAL)
    with pytest.raises(ValidationFailed) as err:
        transition(waiting, "draft", world.users["coordinator_a"], note="  ")
    assert "note" in err.value.errors


def test_resending_a_returned_referral_goes_to_another_agency_and_keeps_history(world):
    offer_service(world.other_agency)
    referral = referral_in(world, S.SENT)
    first_letter = referral.letter_number
    transition(referral, "returned", world.users["agency"], note="Ini wewenang Disdukcapil")
    with pytest.raises(ValidationFailed):
        transition(referral, "sent", world.users["desk_a"], agency=world.agency)
    transition(referral, "sent", world.users["desk_a"], agency=world.other_agency)
    assert referral.agency_id == world.other_agency.id and referral.status is S.SENT
    assert referral.letter_number != first_letter
    assert [e.to_status for e in referral.events] == [S.RETURNED, S.SENT]


def test_reopening_is_possible_only_within_thirty_days(world):
    referral = referral_in(world, S.RESOLVED)
    referral.closed_at = utcnow() - timedelta(days=31)
    with pytest.raises(TransitionNotAllowed):
        transition(referral, "sent", world.users["desk_a"], note="Banding warga")
    referral.closed_at = utcnow() - timedelta(days=29)
    transition(referral, "sent", world.users["desk_a"], note="Banding warga")
    assert referral.status is S.SENT and referral.closed_at is None


def test_case_follows_its_referrals(world):
    case = world.case_a
    first = world.referral_a  # sent, from the world
    second = referral_in(world, S.SENT)
    transition(first, "rejected", world.users["agency"], reason="duplicate")
    assert case.status is CaseStatus.OPEN
    transition(second, "accepted", world.users["agency"])
    transition(second, "resolved", world.users["agency"], outcome="granted")
    assert case.status is CaseStatus.CLOSED and case.closed_at is not None
    assert "Bantuan disetujui" in case.outcome and "Ditolak" in case.outcome
    transition(first, "sent", world.users["desk_a"], note="Banding: bukan ganda")
    assert case.status is CaseStatus.OPEN and case.closed_at is None


def test_stale_version_is_refused(world):
    referral = referral_in(world, S.SENT)
    seen = referral.version
    transition(referral, "accepted", world.users["agency"], expected_version=seen)
    with pytest.raises(StaleVersion, match="baru saja diubah orang lain"):
        transition(referral, "in_progress", world.users["agency"], expected_version=seen)
    assert referral.status is S.ACCEPTED


def test_two_sessions_changing_one_referral_at_once_one_wins(app, world):
    """Two officers load the same row; the second flush finds the version moved (no lost update)."""
    referral_id = world.referral_a.id
    db.session.commit()
    from sqlalchemy.orm import Session

    with Session(db.engine) as second:
        from slrt.accounts.models import User

        mine = db.session.get(Referral, referral_id)
        theirs = second.get(Referral, referral_id)
        theirs.status = S.RETURNED
        theirs.updated_at = utcnow()
        second.commit()
        with pytest.raises(StaleVersion):
            transition(mine, "accepted", db.session.get(User, world.users["agency"].id))
        db.session.rollback()
    assert db.session.get(Referral, referral_id).status is S.RETURNED


def test_a_crash_midway_leaves_the_old_state_and_no_history(app, world):
    referral = world.referral_a
    referral_id = referral.id

    def explode(mapper, connection, target):
        raise RuntimeError("disk full")

    event.listen(ReferralEvent, "before_insert", explode)
    try:
        with pytest.raises(RuntimeError):
            transition(referral, "accepted", world.users["agency"])
    finally:
        event.remove(ReferralEvent, "before_insert", explode)
    db.session.rollback()
    fresh = db.session.get(Referral, referral_id)
    assert fresh.status is S.SENT
    assert db.session.scalar(sa.select(sa.func.count(ReferralEvent.id))) == 0
    assert not db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "referral.transition"))


def test_a_referral_without_an_agency_cannot_be_sent(world):
    referral = referral_in(world, S.DRAFT)
    referral.agency = None
    with pytest.raises(ValidationFailed) as err:
        transition(referral, "sent", world.users["desk_a"])
    assert "agency_id" in err.value.errors and referral.status is S.DRAFT
