"""Referral deadlines: the SLA clocks, when a referral is at risk or overdue (one rule, in SQL
and in Python), pausing while the citizen is awaited. The sweep that records missed deadlines: breaches.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from slrt.core.workdays import WorkCalendar, calendar_for, local_today
from slrt.referrals.models import (
    RESOLVE_CLOCK,
    RESPOND_CLOCK,
    DeadlineStatus,
    Referral,
)
from slrt.referrals.models import ReferralStatus as S

# The running clocks: the statuses in which each runs, its due date and its at-risk-from date.
CLOCKS = (
    (RESPOND_CLOCK, Referral.respond_due, Referral.respond_risk_from),
    (RESOLVE_CLOCK, Referral.resolve_due, Referral.resolve_risk_from),
)


def past_due(due: Any, today: Any) -> Any:
    """THE overdue rule: a running clock is overdue from the day after its due date. Works on
    dates (a bool) and on columns (an SQL condition), so pages, reports and the sweep agree."""
    return due < today


def risk_reached(due: Any, risk: Any, today: Any) -> sa.ColumnElement[bool]:
    """SQL: the clock is at risk (from `risk` on) and not yet overdue."""
    return sa.and_(risk <= today, sa.not_(past_due(due, today)))


def risk_from(calendar: WorkCalendar, start: date, due: date) -> date:
    """First day on which under 25% of the working days between `start` and `due` remain."""
    total = calendar.between(start, due)
    day = start
    while day < due and calendar.between(day, due) * 4 >= total:
        day += timedelta(days=1)
    return day


def set_deadlines(referral: Referral, today: date) -> None:
    """Both deadlines from the service's SLA, counted in working days from `today`."""
    calendar = calendar_for(referral.village_code)
    service = referral.service
    referral.respond_due = calendar.add(today, service.sla_respond_days)
    referral.resolve_due = calendar.add(today, service.sla_resolve_days)
    referral.respond_risk_from = risk_from(calendar, today, referral.respond_due)
    referral.resolve_risk_from = risk_from(calendar, today, referral.resolve_due)
    referral.paused_since = None


def resume_clock(referral: Referral, today: date) -> int:
    """Shifts the resolution deadline by the working days spent waiting for the citizen."""
    if referral.paused_since is None or referral.resolve_due is None:
        referral.paused_since = None
        return 0
    calendar = calendar_for(referral.village_code)
    paused = max(calendar.between(referral.paused_since, today), 0)
    if paused:
        referral.resolve_due = calendar.add(referral.resolve_due, paused)
        if referral.resolve_risk_from:
            referral.resolve_risk_from = calendar.add(referral.resolve_risk_from, paused)
    referral.paused_since = None
    return paused


def deadline_of(referral: Referral) -> tuple[date | None, date | None]:
    """(due, at-risk-from) of the clock that is running now, or (None, None)."""
    if referral.status in RESPOND_CLOCK:
        return referral.respond_due, referral.respond_risk_from
    if referral.status in RESOLVE_CLOCK:
        return referral.resolve_due, referral.resolve_risk_from
    return None, None


def deadline_status(referral: Referral, today: date | None = None) -> DeadlineStatus | None:
    if referral.status is S.WAITING_CITIZEN:
        return DeadlineStatus.PAUSED
    due, risk = deadline_of(referral)
    if due is None:
        return None
    today = today or local_today()
    if past_due(due, today):
        return DeadlineStatus.OVERDUE
    if risk is not None and today >= risk:
        return DeadlineStatus.AT_RISK
    return DeadlineStatus.ON_TRACK


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(sa.and_(Referral.status.in_(statuses), past_due(due, today)) for statuses, due, _risk in CLOCKS)
    )


def at_risk_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            sa.and_(Referral.status.in_(statuses), risk_reached(due, risk, today))
            for statuses, due, risk in CLOCKS
        )
    )
