"""Figures of a region and of each of its child regions, summed from the village tallies.

Plain Python over one grouped read: every child row and the total come from the same rows, so
the children add up to the total exactly, at every level. Overdue and at-risk counts change with
the calendar rather than with writes, so they are counted live (off the partial indexes on the
running clocks), grouped the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from slrt.core.access import region_clause
from slrt.core.workdays import local_today_clause
from slrt.extensions import db
from slrt.referrals.deadlines import CLOCKS, past_due, risk_reached
from slrt.referrals.models import Referral
from slrt.regions.models import Region, region_level
from slrt.reports.models import RegionTally, ReportTally, ReportVillage
from slrt.reports.tally import (
    CASE,
    CODE_WIDTH,
    REFERRAL,
    REGION_LEVELS,
    SURVEY,
    created_between,
    local_date,
    month_start,
    next_month,
)


@dataclass(frozen=True)
class Period:
    """Whole months, each record in its own region's calendar; None leaves that end open."""

    first: date | None = None
    last: date | None = None

    def months_clause(self, column: sa.SQLColumnExpression[date]) -> sa.ColumnElement[bool]:
        clauses = []
        if self.first:
            clauses.append(column >= self.first)
        if self.last:
            clauses.append(column <= self.last)
        return sa.and_(sa.true(), *clauses)

    def created_clause(
        self,
        column: sa.SQLColumnExpression[datetime],
        region_column: sa.SQLColumnExpression[str],
        region_code: str | None,
    ) -> sa.ColumnElement[bool]:
        """Records created in these months, each by the calendar of its own region (as tallied)."""
        end = next_month(self.last) if self.last else None
        return created_between(column, region_column, region_code, self.first, end)


def median_of(histogram: dict[int, int]) -> float | None:
    """The median of the values a histogram {value: how many} describes (as statistics.median)."""
    n = sum(histogram.values())
    if not n:
        return None
    wanted = [(n - 1) // 2, n // 2]  # the middle position(s), 0-based
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return (found[0] + found[1]) / 2


@dataclass
class Figures:
    """The figures of one region (or of one region in one month)."""

    counts: Counter = field(default_factory=Counter)  # (subject, figure, key) -> n
    overdue: int = 0
    at_risk: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(self.counts + other.counts, self.overdue + other.overdue, self.at_risk + other.at_risk)

    def n(self, subject: str, figure: str = "total", key: str = "") -> int:
        return self.counts.get((subject, figure, key), 0)

    def breakdown(self, subject: str, figure: str) -> list[tuple[str, int]]:
        """(key, count) of one figure, largest first."""
        rows = [(k, n) for (s, f, k), n in self.counts.items() if s == subject and f == figure and n]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    def histogram(self, figure: str) -> dict[int, int]:
        return {int(k): n for k, n in self.breakdown(REFERRAL, figure)}

    def median_days(self, figure: str) -> float | None:
        return median_of(self.histogram(figure))

    def mean_days(self, figure: str) -> float | None:
        hist = self.histogram(figure)
        total = sum(hist.values())
        return sum(k * n for k, n in hist.items()) / total if total else None

    @property
    def rating(self) -> float | None:
        ratings = {int(k): n for k, n in self.breakdown(SURVEY, "rating")}
        total = sum(ratings.values())
        return sum(k * n for k, n in ratings.items()) / total if total else None

    @property
    def ratings(self) -> int:
        return sum(n for _k, n in self.breakdown(SURVEY, "rating"))

    @property
    def desk_share(self) -> float | None:
        cases = self.n(CASE)
        return self.n(CASE, "desk_resolved") / cases if cases else None

    @property
    def open_referrals(self) -> int:
        return self.n(REFERRAL, "outcome", "open")

    @property
    def empty(self) -> bool:
        """Nothing happened here: no case, referral or rating, nothing late or due."""
        return not (any(self.counts.values()) or self.overdue or self.at_risk)


@dataclass
class Rollup:
    region: Region | None  # None: the whole country
    children: list[tuple[Region, Figures]]
    total: Figures
    refreshed_at: datetime | None


def child_level(region_code: str | None) -> int:
    return 1 if not region_code else min(region_level(region_code) + 1, 4)


def _children(region_code: str | None) -> list[Region]:
    if region_code and region_level(region_code) == 4:
        return []
    query = sa.select(Region).order_by(Region.code)
    if region_code:
        return list(db.session.scalars(query.where(Region.parent_code == region_code)))
    return list(db.session.scalars(query.where(Region.level == 1)))


# Read by the monthly report only; the dashboard leaves these rows (a fifth of them) unread.
REPORT_ONLY = ("service_outcome",)


def _grouped(region_code: str | None, period: Period, by_month: bool) -> dict[tuple, Figures]:
    """Figures keyed by (child code,) or (month, child code), from one read of the tallies."""
    level = child_level(region_code)
    width = CODE_WIDTH[level]
    # Children above village level are read from their own sums, villages from their tallies.
    table: type[RegionTally] | type[ReportTally]
    if level in REGION_LEVELS:
        table, child = RegionTally, RegionTally.region_code
        in_region = sa.and_(RegionTally.level == level, region_clause(RegionTally.region_code, region_code))
    else:
        table, child = ReportTally, ReportTally.village_code
        in_region = region_clause(ReportTally.village_code, region_code)
    cols: list[sa.SQLColumnExpression[Any]] = [child, table.subject, table.figure, table.key]
    if by_month:
        cols.insert(0, table.month)
    query = (
        sa.select(*cols, sa.func.sum(table.count))
        .where(in_region, period.months_clause(table.month))
        .where(sa.true() if by_month else table.figure.not_in(REPORT_ONLY))
        .group_by(*cols)
    )
    out: dict[tuple, Figures] = {}
    # Rows of any length (the month column is optional): typed so, they unpack without `object`.
    tallies: Iterable[tuple[Any, ...]] = db.session.execute(query)
    for row in tallies:
        *group, subject, figure, key, n = row
        out.setdefault(tuple(group), Figures()).counts[(subject, figure, key)] += int(n)

    # Live, per running clock: only referrals whose clock runs are read, off the covering
    # partial indexes of models.py. The rules are those of referrals/deadlines.py.
    today = local_today_clause(Referral.village_code, region_code)
    for statuses, due, risk in CLOCKS:
        code = sa.func.substr(Referral.village_code, 1, width, type_=sa.String)  # typed, for mypy
        is_overdue = past_due(due, today)
        is_at_risk = risk_reached(due, risk, today)
        where = (
            Referral.status.in_(statuses),
            sa.or_(is_overdue, is_at_risk),
            region_clause(Referral.village_code, region_code),
            period.created_clause(Referral.created_at, Referral.village_code, region_code),
        )
        if by_month:
            rows: Iterable[tuple[Any, ...]] = db.session.execute(
                sa.select(code, Referral.created_at, is_overdue).where(*where)
            )
            for child_code, created, late in rows:
                month = month_start(local_date(created, child_code))
                figures = out.setdefault((month, child_code), Figures())
                figures.overdue += bool(late)
                figures.at_risk += not late
            continue
        counted = sa.select(
            code,
            sa.func.sum(sa.case((is_overdue, 1), else_=0)),
            sa.func.sum(sa.case((is_overdue, 0), else_=1)),
        ).where(*where)
        sums: Iterable[tuple[Any, ...]] = db.session.execute(counted.group_by(code))  # untyped sums
        for child_code, late, risky in sums:
            figures = out.setdefault((child_code,), Figures())
            figures.overdue += int(late or 0)
            figures.at_risk += int(risky or 0)
    return out


def rollup(region_code: str | None, period: Period = Period()) -> Rollup:
    """The figures of `region_code` (None: the country) and of each child region."""
    grouped = _grouped(region_code, period, by_month=False)
    children = _children(region_code)
    if children:
        rows = [(r, grouped.get((r.code,), Figures())) for r in children]
    else:
        # A village, or the country before any region is loaded (no row then).
        village = db.session.get(Region, region_code) if region_code else None
        rows = [(village, grouped.get((village.code,), Figures()))] if village else []
    total = sum((f for _r, f in rows), Figures())
    refreshed = db.session.scalar(
        sa.select(sa.func.max(ReportVillage.refreshed_at)).where(
            region_clause(ReportVillage.village_code, region_code)
        )
    )
    region = db.session.get(Region, region_code) if region_code else None
    return Rollup(region, rows, total, refreshed)


def monthly(region_code: str | None, period: Period) -> list[tuple[date, Region, Figures]]:
    """Figures per month and child region (the monthly SLRT report), months in order."""
    grouped = _grouped(region_code, period, by_month=True)
    children = _children(region_code)
    if not children and region_code:
        village = db.session.get(Region, region_code)
        children = [village] if village else []
    months = sorted({month for month, _code in grouped})
    return [(m, r, grouped.get((m, r.code), Figures())) for m in months for r in children]
