"""`flask demo seed` shows issue 16's hard cases in states that show follow-up."""

import sqlalchemy as sa

from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import Referral, ReferralStatus


def case(key: str) -> m.Case:
    return db.session.scalar(sa.select(m.Case).where(m.Case.idempotency_key == key))


def referrals(c: m.Case) -> dict[str, ReferralStatus]:
    return {
        r.service.code: r.status
        for r in db.session.scalars(sa.select(Referral).where(Referral.case_id == c.id))
    }


def test_demo_has_the_widow_the_family_that_moved_and_the_violence_victim(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "Hard cases" in result.output

    widow = case("demo-hard-widow")
    her = widow.reporter
    assert her.nik is None and her.nik_missing_reason is not None
    assert her.birth_precision is m.BirthPrecision.YEAR and her.birth_date.year == local_today().year - 74
    assert [n.category_code for n in widow.needs] == ["pangan", "kesehatan.jaminan", "rumah", "adminduk"]
    grandson = next(p for p in widow.household.members if p.id != her.id)
    assert grandson.relationship_to_head is m.Relationship.GRANDCHILD
    assert grandson.schooling is m.Schooling.IN_SCHOOL
    assert widow.urgent and widow.status is m.CaseStatus.OPEN
    assert referrals(widow) == {"ADMINDUK": ReferralStatus.ACCEPTED}

    moved = case("demo-hard-moved")
    assert referrals(moved) == {"ADMINDUK": ReferralStatus.RESOLVED}
    assert moved.reporter.nik and moved.household.kk_number  # recorded after the referral
    assert moved.status is m.CaseStatus.OPEN  # food and school needs still to refer

    victim = case("demo-hard-violence")
    assert victim.urgent and victim.confidential
    assert referrals(victim) == {"UPTD-PPA": ReferralStatus.SENT}
