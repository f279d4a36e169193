"""Test helpers for referrals: a referral put straight into any state, with consistent dates."""

from __future__ import annotations

from datetime import date, timedelta

from slrt.core.db import utcnow
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.referrals.deadlines import set_deadlines
from slrt.referrals.models import ReferralStatus as S
from tests.factories import make_referral


def referral_in(world, status: S, *, case=None, service: str = "BPNT", today: date | None = None):
    """A referral of village A (to world.agency) already in `status`, as if it got there normally."""
    today = today or local_today()
    referral = make_referral(case or world.case_a, service, agency=world.agency, status=status)
    if status not in (S.DRAFT, S.AWAITING_APPROVAL):
        set_deadlines(referral, today)
        referral.sent_at = utcnow()
        referral.letter_number = f"{referral.id:03d}/TEST/I/2026"
    if status is S.WAITING_CITIZEN:
        referral.paused_since = today - timedelta(days=1)
    if status in (S.RESOLVED, S.REJECTED, S.CANCELLED):
        referral.closed_at = utcnow()
    if status is S.RESOLVED:
        referral.outcome = "granted"
    db.session.flush()
    return referral


def offer_service(agency, service_code: str = "BPNT", region: str = "32.04") -> None:
    """A routing rule: `agency` offers the service in `region` (a returned referral may be
    re-sent only to such an agency, slrt.referrals.resending)."""
    import sqlalchemy as sa

    from slrt.directory.models import RoutingRule, Service
    from slrt.extensions import db

    service = db.session.scalar(sa.select(Service).where(Service.code == service_code))
    db.session.add(RoutingRule(service_id=service.id, region_code=region, agency_id=agency.id))
    db.session.flush()
