"""A timestamp on the office's own clock: a letter's date and a register's day are those of
WIB, WITA or WIT by province, not Jakarta's. The zones themselves are written once, in
`slrt.core.workdays` (deadlines need them too)."""

from __future__ import annotations

from datetime import date, datetime

from slrt.core.workdays import JAKARTA as WIB
from slrt.core.workdays import JAYAPURA as WIT
from slrt.core.workdays import MAKASSAR as WITA
from slrt.core.workdays import ZONE_NAMES, zone_for, zone_name

__all__ = ["WIB", "WIT", "WITA", "ZONE_NAMES", "local_day", "local_moment", "zone_for", "zone_name"]


def local_moment(moment: datetime, region_code: str | None) -> datetime:
    """An aware UTC timestamp on the region's own clock."""
    return moment.astimezone(zone_for(region_code))


def local_day(moment: datetime, region_code: str | None) -> date:
    """The region's own calendar day of a timestamp (23.30 UTC is already tomorrow in WIB)."""
    return local_moment(moment, region_code).date()
