"""Indonesia's three time zones by province (see shared DOMAIN notes): a letter's date and a
register's day are those of the office's own clock, not Jakarta's."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")
ZONE_NAMES = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}
# Two-digit Kemendagri province codes; every province not listed keeps WIB (Sumatra, Java,
# West and Central Kalimantan).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


def zone_for(region_code: str | None) -> ZoneInfo:
    """The time zone of the province a region code lies in (WIB when unknown)."""
    province = (region_code or "")[:2]
    if province in _WITA:
        return WITA
    if province in _WIT:
        return WIT
    return WIB


def zone_name(region_code: str | None) -> str:
    """WIB, WITA or WIT."""
    return ZONE_NAMES[zone_for(region_code)]


def local_moment(moment: datetime, region_code: str | None) -> datetime:
    """An aware UTC timestamp on the region's own clock."""
    return moment.astimezone(zone_for(region_code))


def local_day(moment: datetime, region_code: str | None) -> date:
    """The region's own calendar day of a timestamp (23.30 UTC is already tomorrow in WIB)."""
    return local_moment(moment, region_code).date()
