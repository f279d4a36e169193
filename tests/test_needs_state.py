"""Follow-up until every need has an answer (issue 16): resolving one need's referral no longer
closes a case whose other needs were never referred."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.needs_state import NeedState, need_states
from slrt.referrals.transitions import transition
from tests.factories import VILLAGE_A, make_case
from tests.referral_factories import referral_in


def test_resolving_the_prerequisite_does_not_close_a_case_with_needs_never_referred(world):
    case = make_case(VILLAGE_A, world.office_a, need="adminduk")
    db.session.add(m.Need(case=case, category_code="pangan", person=case.reporter))
    db.session.flush()
    admin = referral_in(world, S.IN_PROGRESS, case=case, service="ADMINDUK")
    transition(admin, S.RESOLVED, world.users["agency"], outcome="service_delivered", note="KTP terbit")
    assert case.status is m.CaseStatus.OPEN
    referrals = list(db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)))
    states = need_states(case, referrals)
    assert sorted(states.values()) == sorted([NeedState.CLOSED, NeedState.OPEN])


def test_a_case_closes_when_every_need_is_closed(world):
    case = make_case(VILLAGE_A, world.office_a, need="pangan")
    referral = referral_in(world, S.IN_PROGRESS, case=case, service="BPNT")
    transition(referral, S.RESOLVED, world.users["agency"], outcome="granted", note="Disetujui")
    assert case.status is m.CaseStatus.CLOSED
