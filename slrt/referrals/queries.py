"""Reads about referrals that pages, reports and templates share: the sending office, whether
sending needs approval, capped counts and the agency inbox counts."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.access import visible
from slrt.core.workdays import Today, local_today_clause
from slrt.directory.models import Office
from slrt.extensions import db
from slrt.referrals.deadlines import at_risk_clause, overdue_clause
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S


def office_of(referral: Referral) -> Office | None:
    return referral.office or (referral.case.office if referral.case else None)


def requires_approval(referral: Referral) -> bool:
    office = office_of(referral)
    return bool(office and office.requires_approval)


# Counting every row of a busy agency costs more than the page itself; past this, say "1.000+".
COUNT_CAP = 1000


def capped_count(query: sa.Select) -> int:
    """The number of rows, counted up to COUNT_CAP + 1 (read off an index, not the whole table)."""
    limited = query.order_by(None).with_only_columns(sa.literal(1)).limit(COUNT_CAP + 1).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0


def capped_counts(*queries: sa.Select) -> list[int]:
    """`capped_count` of each query, all read in one statement (the desk home shows three)."""
    subqueries = [
        sa.select(sa.func.count())
        .select_from(q.order_by(None).with_only_columns(sa.literal(1)).limit(COUNT_CAP + 1).subquery())
        .scalar_subquery()
        for q in queries
    ]
    row = db.session.execute(sa.select(*subqueries)).one()
    return [n or 0 for n in row]


def count_label(n: int) -> str:
    from flask_babel import format_number

    return format_number(n) if n <= COUNT_CAP else format_number(COUNT_CAP) + "+"


INBOX_STATUSES = (S.SENT, S.ACCEPTED, S.IN_PROGRESS, S.WAITING_CITIZEN, S.RESOLVED, S.REJECTED, S.RETURNED)


def user_today(user: User) -> Today:
    """'Today' for a user's lists, as SQL: each referral's own day in its village's time zone
    (WIB, WITA or WIT), as on the referral's page (deadlines.deadline_status)."""
    return local_today_clause(Referral.village_code, getattr(user, "scope_region_code", None))


def inbox_counts(user: User) -> dict[str, int]:
    today = user_today(user)
    base = visible(Referral, user)
    # One statement for the four figures (the inbox and the agency home show them all).
    new, working, overdue, at_risk = capped_counts(
        base.where(Referral.status == S.SENT),
        base.where(Referral.status.in_((S.ACCEPTED, S.IN_PROGRESS, S.WAITING_CITIZEN))),
        base.where(overdue_clause(today)),
        base.where(at_risk_clause(today)),
    )
    return {"new": new, "working": working, "overdue": overdue, "at_risk": at_risk}
