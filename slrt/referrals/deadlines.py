"""Referral deadlines: the SLA clocks, when a referral is at risk or overdue (one rule, in SQL
and in Python), pausing while the citizen is awaited. The sweep that records missed deadlines: breaches.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context

from slrt.core.workdays import Today, WorkCalendar, calendar_for, local_today
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


AT_RISK_WORKING_DAYS = 2  # default of config.AT_RISK_WORKING_DAYS


def at_risk_days() -> int:
    """Working days before the due date from which a clock counts as at risk (config.py)."""
    if has_app_context():
        return int(current_app.config.get("AT_RISK_WORKING_DAYS", AT_RISK_WORKING_DAYS))
    return AT_RISK_WORKING_DAYS


def risk_from(calendar: WorkCalendar, start: date, due: date, within: int | None = None) -> date:
    """First day on which under 25% of the working days between `start` and `due` remain, or
    at most `within` (AT_RISK_WORKING_DAYS) remain, whichever comes first: a 3-day answer
    clock is at risk the day before it is due, not only on the day itself (issue 17)."""
    within = at_risk_days() if within is None else within
    total = calendar.between(start, due)
    day = start
    while day < due and calendar.between(day, due) * 4 >= total and calendar.between(day, due) > within:
        day += timedelta(days=1)
    return day


def working_days_left(referral: Referral, today: date | None = None) -> int | None:
    """Working days from the office's today to the running clock's due date: positive while time
    remains (0 on the due day), negative once overdue ("terlambat 4 hari kerja"). None when no
    clock runs or it is paused."""
    due, _risk = deadline_of(referral)
    if due is None or referral.status is S.WAITING_CITIZEN:
        return None
    today = today or local_today(referral.village_code)
    return calendar_for(referral.village_code).between(today, due)


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
    today = today or local_today(referral.village_code)
    if past_due(due, today):
        return DeadlineStatus.OVERDUE
    if risk is not None and today >= risk:
        return DeadlineStatus.AT_RISK
    return DeadlineStatus.ON_TRACK


def order_by_deadline(query: sa.Select, today: Today) -> sa.Select:
    """Overdue first, then by the running clock's due date (soonest first), then the rest."""
    due = sa.case(
        *((Referral.status.in_(statuses), due_col) for statuses, due_col, _risk in CLOCKS), else_=None
    )
    return query.order_by(
        sa.case((overdue_clause(today), 0), else_=1), due.is_(None), due, Referral.id.desc()
    )


def overdue_clause(today: Today) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(sa.and_(Referral.status.in_(statuses), past_due(due, today)) for statuses, due, _risk in CLOCKS)
    )


def at_risk_clause(today: Today) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(
            sa.and_(Referral.status.in_(statuses), risk_reached(due, risk, today))
            for statuses, due, risk in CLOCKS
        )
    )


def deadline_words(referral: Referral, today: date | None = None) -> str | None:
    """The clock in working days, as every list and referral page says it: "sisa 3 hari kerja ·
    batas 7 Des", "jatuh tempo hari ini", "terlambat 4 hari kerja · batas 3 Des"."""
    from flask_babel import format_date, ngettext
    from flask_babel import gettext as _

    left = working_days_left(referral, today)
    due, _risk = deadline_of(referral)
    if left is None or due is None:
        return None
    today = today or local_today(referral.village_code)
    due_text = _("batas %(d)s", d=format_date(due, "d MMM"))
    if past_due(due, today):
        if left == 0:  # due on Friday, read on Saturday: late, but no working day lost yet
            return _("lewat tenggat") + " · " + due_text
        return (
            ngettext("terlambat %(num)s hari kerja", "terlambat %(num)s hari kerja", -left) + " · " + due_text
        )
    if due == today:
        return _("jatuh tempo hari ini") + " · " + due_text
    return ngettext("sisa %(num)s hari kerja", "sisa %(num)s hari kerja", left) + " · " + due_text
