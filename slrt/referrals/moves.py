"""Referrals follow their case when a family moves to another village (slrt.intake.moves): the
receiving desk follows them from now on. Only the scope key changes: the agency, the status, the
due dates and pauses stay as they were, so a referral already with an agency keeps going and
its clock keeps running (the agency sees no difference but the desk that follows it)."""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake.moves import follows_move, rehome
from slrt.referrals.models import Referral


@follows_move("referrals")
def rehome_referrals(case_ids: list[int], _from_village: str, village: str) -> list[int]:
    """Every referral of the moved cases goes to `village` (closed ones too: a referral's village
    is always its case's). Returns their ids."""
    if not case_ids:
        return []
    ids = list(
        db.session.scalars(sa.select(Referral.id).where(Referral.case_id.in_(case_ids)).order_by(Referral.id))
    )
    rehome(cast(sa.Table, Referral.__table__), ids, village)
    return ids
