"""What the desk home shows about referrals, per role, always through `visible()`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask_login import current_user
from sqlalchemy.orm import joinedload

from slrt.core.access import visible
from slrt.core.permissions import Permission, has
from slrt.extensions import db
from slrt.intake import moves
from slrt.intake.models import Case
from slrt.referrals import deadlines
from slrt.referrals.followup import ready_cases
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.queries import capped_count, capped_counts, inbox_counts, user_today

LIMIT = 20


def _count(query: sa.Select) -> int:
    return capped_count(query)


def _rows(query: sa.Select) -> list[Referral]:
    return list(
        db.session.scalars(
            query.options(joinedload(Referral.case).joinedload(Case.reporter)).limit(LIMIT)
        ).all()
    )


def referral_home_data() -> dict[str, Any]:
    """Counts and short lists for the home page of the logged-in user; read once per request
    (the figures at the top of the home page and its sections below both show them)."""
    if "referral_home_data" not in g:
        g.referral_home_data = _home_data()
    return g.referral_home_data


def _home_data() -> dict[str, Any]:
    user = current_user
    if not user.is_authenticated or not any(
        has(user, p)
        for p in (Permission.RECEIVE_REFERRALS, Permission.SEND_REFERRALS, Permission.APPROVE_REFERRALS)
    ):
        return {}  # an administrator's home is the accounts it runs (slrt/accounts/home.py)
    today = user_today(user)
    base = visible(Referral, user)
    data: dict[str, Any] = {"role": user.role}
    if has(user, Permission.RECEIVE_REFERRALS):
        data["inbox"] = inbox_counts(user)
        data["overdue"] = _rows(
            deadlines.order_by_deadline(base.where(deadlines.overdue_clause(today)), today)
        )
        return data
    waiting = base.where(
        sa.or_(
            Referral.status == S.RETURNED,
            sa.and_(Referral.status.in_((S.RESOLVED, S.REJECTED)), Referral.citizen_informed_at.is_(None)),
        )
    ).order_by(Referral.updated_at.desc())
    overdue = deadlines.order_by_deadline(base.where(deadlines.overdue_clause(today)), today)
    data["waiting"] = _rows(waiting)
    data["overdue"] = _rows(overdue)
    # One statement for the figures (so "Tindak lanjut" below costs the home nothing), the
    # families waiting to be accepted from another village among them (slrt.intake.moves).
    figures = [waiting, overdue, base.where(Referral.status == S.DRAFT)]
    if has(user, Permission.MOVE_HOUSEHOLDS):
        figures.append(moves.incoming(user))
    counts = capped_counts(*figures)
    data["waiting_count"], data["overdue_count"], data["drafts_count"] = counts[:3]
    if has(user, Permission.MOVE_HOUSEHOLDS):
        data["incoming_moves_count"] = counts[3]
    if has(user, Permission.ROUTE_CASES):
        # Services whose prerequisite is now met, to refer in the same case (issue 16).
        data["follow_up"] = ready_cases(user)
    if has(user, Permission.SEE_APPROVALS):
        approvals = base.where(Referral.status == S.AWAITING_APPROVAL).order_by(Referral.updated_at)
        data["approvals"] = _rows(approvals)
        data["approvals_count"] = _count(approvals)
    return data
