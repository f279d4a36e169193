"""Each office on its own calendar (issue 17 item 5): the sweep misses a Papua deadline when
Papua's day ends, a Bali record counts in the month of Bali's calendar on the dashboard and in the
list behind it, a letter sent after midnight WITA is numbered in the new month; and "not granted"
referrals are counted by their reason (issue 17 item 8)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
import time_machine

from slrt.core.workdays import local_today_clause
from slrt.extensions import db
from slrt.referrals import deadlines
from slrt.referrals.breaches import sweep
from slrt.referrals.models import Referral, ReferralBreach
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.transitions import transition
from slrt.reports.rollup import Period, rollup
from slrt.reports.tally import refresh_villages
from tests import factories
from tests.referral_factories import referral_in

JAYAPURA_VILLAGE = "91.71.01.1001"  # Gurabesi, Kota Jayapura (WIT)
BALI_VILLAGE = "51.71.01.2007"  # Sidakarya, Kota Denpasar (WITA)
# A Tuesday. At 15.30 UTC it is 22.30 in Bandung, 23.30 in Denpasar and already 00.30 of the
# next day in Jayapura; at 17.30 UTC it is the next day everywhere.
DUE = date(2027, 3, 9)
PAPUA_NEW_DAY = datetime(2027, 3, 9, 15, 30, tzinfo=UTC)
EVERYWHERE_NEW_DAY = datetime(2027, 3, 9, 17, 30, tzinfo=UTC)


def _case_in(village: str):
    office = factories.make_office(f"PKS-{village[:2]}", village)
    return factories.make_case(village, office, reporter=factories.make_person(village))


def _sent_due(world, referral: Referral) -> Referral:
    referral.status = S.SENT
    referral.respond_due, referral.respond_risk_from = DUE, DUE
    db.session.flush()
    return referral


def test_the_sweep_misses_a_papua_deadline_when_the_day_ends_in_papua(world):
    papua = _sent_due(world, factories.make_referral(_case_in(JAYAPURA_VILLAGE), agency=world.agency))
    bandung = _sent_due(world, referral_in(world, S.SENT))
    db.session.commit()

    def breached() -> set[int]:
        return set(db.session.scalars(sa.select(ReferralBreach.referral_id)))

    with time_machine.travel(PAPUA_NEW_DAY, tick=False):
        overdue = sa.select(Referral.id).where(
            deadlines.overdue_clause(local_today_clause(Referral.village_code))
        )
        assert set(db.session.scalars(overdue)) == {papua.id}  # the national overdue list
        sweep()
        assert breached() == {papua.id}
    with time_machine.travel(EVERYWHERE_NEW_DAY, tick=False):
        sweep()
        assert breached() == {papua.id, bandung.id}


def test_inside_one_province_today_is_one_date():
    with time_machine.travel(PAPUA_NEW_DAY, tick=False):
        assert local_today_clause(Referral.village_code, "91.71") == date(2027, 3, 10)
        assert local_today_clause(Referral.village_code, "32.04") == date(2027, 3, 9)
    with time_machine.travel(EVERYWHERE_NEW_DAY, tick=False):
        assert local_today_clause(Referral.village_code) == date(2027, 3, 10)


def test_a_record_counts_in_the_month_of_its_own_offices_calendar(world):
    # 16.30 UTC on 30 November: 23.30 in Bandung, 00.30 on 1 December in Denpasar.
    moment = datetime(2025, 11, 30, 16, 30, tzinfo=UTC)
    bali = factories.make_referral(_case_in(BALI_VILLAGE), agency=world.agency)
    bandung = factories.make_referral(world.case_b, agency=world.agency)
    for referral in (bali, bandung):
        referral.created_at = referral.case.created_at = moment
    db.session.commit()
    refresh_villages([BALI_VILLAGE, bandung.village_code])
    db.session.commit()
    december, november = (
        Period(date(2025, 12, 1), date(2025, 12, 1)),
        Period(date(2025, 11, 1), date(2025, 11, 1)),
    )
    for period, expected in ((december, {bali.id}), (november, {bandung.id})):
        assert rollup(None, period).total.n("referral") == 1
        listed = sa.select(Referral.id).where(
            period.created_clause(Referral.created_at, Referral.village_code, None)
        )
        assert set(db.session.scalars(listed)) == expected  # the list behind the number
    assert rollup("51", december).total.n("referral") == 1
    assert rollup("32.04", november).total.n("referral") == 1


def test_a_letter_sent_after_midnight_wita_is_numbered_in_the_new_month(world, monkeypatch):
    from slrt.referrals import transitions

    case = _case_in(BALI_VILLAGE)
    referral = factories.make_referral(case, agency=world.agency, status=S.AWAITING_APPROVAL)
    coordinator = factories.make_user("koor.dps", "coordinator", office_code=case.office.code)
    db.session.commit()
    # 16.30 UTC on 31 March: 23.30 on 31 March in Jakarta, 00.30 on 1 April in Denpasar.
    monkeypatch.setattr(transitions, "utcnow", lambda: datetime(2027, 3, 31, 16, 30, tzinfo=UTC))
    transition(referral, "sent", coordinator)
    assert referral.letter_number.endswith("/IV/2027")


def test_a_family_moving_to_bali_is_recounted_in_the_month_of_each_villages_calendar(world):
    from slrt.reports import tally

    case = world.case_a
    case.created_at = datetime(2025, 11, 30, 16, 30, tzinfo=UTC)  # 23.30 WIB, 00.30 WITA next day
    db.session.flush()
    db.session.info.pop(tally.PENDING, None)
    tally._moved_cases([case.id], case.village_code, BALI_VILLAGE)
    pending = db.session.info.pop(tally.PENDING)
    assert ("month", (case.village_code, date(2025, 11, 1))) in pending
    assert ("month", (BALI_VILLAGE, date(2025, 12, 1))) in pending
