"""Indonesian working days: Monday to Friday, minus national holidays and cuti bersama (from the
maintained `holidays` package) and local holidays an administrator adds (LocalHoliday).

The arithmetic (`WorkCalendar`) is plain Python; `calendar_for(region)` builds one with the local
holidays that apply to a region. Deadlines are dates in the office's own time zone: WIB, WITA or
WIT by province (`zone_for`), so a desk in Bali or Papua starts its day when its clock does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from slrt.core.access import in_region
from slrt.core.db import utcnow
from slrt.extensions import Model, db

JAKARTA = ZoneInfo("Asia/Jakarta")
MAKASSAR = ZoneInfo("Asia/Makassar")
JAYAPURA = ZoneInfo("Asia/Jayapura")
# Province codes (the first two digits of a region code) outside WIB (shared/DOMAIN.md, round 2).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}
ZONE_NAMES = {JAKARTA: "WIB", MAKASSAR: "WITA", JAYAPURA: "WIT"}


def zone_for(region_code: str | None) -> ZoneInfo:
    """The time zone of a region (any level) by its province; WIB when unknown or national."""
    province = (region_code or "")[:2]
    if province in _WITA:
        return MAKASSAR
    if province in _WIT:
        return JAYAPURA
    return JAKARTA


def zone_name(region_code: str | None) -> str:
    """WIB, WITA or WIT."""
    return ZONE_NAMES[zone_for(region_code)]


def _signed_in_region() -> str | None:
    """The region of the user signed in to this request, if any: whose office's day it is."""
    if not has_request_context():
        return None
    return getattr(current_user, "scope_region_code", None)


def local_now(region_code: str | None = None, now: datetime | None = None) -> datetime:
    """The wall clock of the office in `region_code`; when none is given, of the office of the
    user signed in to this request, else Jakarta's. `now` (an aware instant) instead of the
    real clock."""
    zone = zone_for(region_code or _signed_in_region())
    return now.astimezone(zone) if now is not None else datetime.now(zone)


def local_today(region_code: str | None = None, now: datetime | None = None) -> date:
    """The desk's 'today': the date in the time zone of `region_code` (as `local_now`)."""
    return local_now(region_code, now).date()


ZONES = (JAKARTA, MAKASSAR, JAYAPURA)
# "Today" for SQL: one date, or per row by its region's zone (local_today_clause).
Today = date | sa.ColumnElement[date]


def zones_of(region_code: str | None) -> tuple[ZoneInfo, ...]:
    """The time zones a region's records can be in: its province's, or all three for the country."""
    return (zone_for(region_code),) if region_code else ZONES


def in_zone(zone: ZoneInfo, region_column: sa.SQLColumnExpression[str]) -> sa.ColumnElement[bool]:
    """SQL: the row's region code (any level) lies in a province of `zone`, as `zone_for` decides."""
    province = sa.func.substr(region_column, 1, 2)
    if zone is MAKASSAR:
        return province.in_(sorted(_WITA))
    if zone is JAYAPURA:
        return province.in_(sorted(_WIT))
    return province.not_in(sorted(_WITA | _WIT))


def local_today_clause(region_column: sa.SQLColumnExpression[str], region_code: str | None = None) -> Today:
    """Each row's 'today', in the time zone of its own region, for rows inside `region_code`.

    A plain date when every zone those rows can be in has the same date, as for most of the day
    (and always inside one province); between 15.00 and 17.00 UTC, when Papua and then Bali have
    begun the next day and Jakarta has not, an SQL CASE on the row's province."""
    days = {zone: datetime.now(zone).date() for zone in zones_of(region_code)}
    if len(set(days.values())) == 1:
        return next(iter(days.values()))
    others = [(in_zone(zone, region_column), sa.literal(day, sa.Date)) for zone, day in days.items()]
    return sa.case(*others[1:], else_=others[0][1])


@lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    """National holidays and cuti bersama (government category) for one year."""
    days = holidays.country_holidays("ID", categories=("public", "government"), language="id", years=year)
    return frozenset(days)


def national_holiday_names(year: int) -> dict[date, str]:
    days = holidays.country_holidays("ID", categories=("public", "government"), language="id", years=year)
    return dict(days)


class WorkCalendar:
    """Working-day arithmetic with an optional set of extra (local) holidays."""

    def __init__(self, extra_holidays: Iterable[date] = ()):
        self.extra = frozenset(extra_holidays)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.extra and day not in national_holidays(day.year)

    def add(self, start: date, days: int) -> date:
        """The `days`-th working day after `start` (`start` itself when days is 0)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (negative when end is before start)."""
        if end < start:
            return -self.between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


class LocalHoliday(Model):
    """A holiday declared locally (e.g. a regency's anniversary); region None means everywhere."""

    __tablename__ = "local_holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(sa.String(160))
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("day", "region_code", name="uq_local_holidays_day_region"),)


def _local_holiday_rows() -> list[tuple[date, str | None]]:
    # A list page labels every row with its working days left: read the (short) table once per
    # request, not once per row. Outside a request (sweep, CLI, tests) always fresh.
    if has_request_context():
        if "slrt_local_holidays" not in g:
            g.slrt_local_holidays = _read_local_holidays()
        return g.slrt_local_holidays
    return _read_local_holidays()


def _read_local_holidays() -> list[tuple[date, str | None]]:
    return [
        (day, region)
        for day, region in db.session.execute(sa.select(LocalHoliday.day, LocalHoliday.region_code))
    ]


def local_holidays_for(region_code: str | None) -> set[date]:
    """Local holidays that apply to a village (or any region): its own or an enclosing region's."""
    days = set()
    for day, code in _local_holiday_rows():
        if in_region(region_code, code):  # a holiday without a region is national
            days.add(day)
    return days


def calendar_for(region_code: str | None) -> WorkCalendar:
    return WorkCalendar(local_holidays_for(region_code))


def add_working_days(start: date, days: int, region_code: str | None = None) -> date:
    """`start` plus `days` working days for `region_code` (national and local holidays)."""
    return calendar_for(region_code).add(start, days)


def working_days_between(start: date, end: date, region_code: str | None = None) -> int:
    """Working days after `start` up to and including `end` for `region_code`."""
    return calendar_for(region_code).between(start, end)
