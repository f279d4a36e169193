"""Where a fact comes from and how old it is: "Desil 3 · cek DTSEN (SIKS-NG) 12 Nov 2026 · Budi".

The DTSEN facts (in DTSEN, desil, programmes) come from the household's latest DTSEN check,
kept on the household row; a check older than DTSEN_CHECK_MAX_AGE_DAYS is stale ("perlu dicek
ulang"). Other facts come from the latest change of the field in the change trail, or from
registration. Reads only: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from slrt.core.workdays import JAKARTA, local_today
from slrt.intake import models as m

# Facts the DTSEN check records (the routing facts derived from them share their provenance).
DTSEN_FACTS = frozenset(
    {
        "in_dtsen",
        "desil",
        "programmes",
        "programme_count",
        "receives_pkh",
        "receives_bpnt",
        "receives_pbi_jk",
        "receives_pip",
    }
)
REGISTERED = _l("dicatat saat pendaftaran")
CORRECTED = _l("diubah petugas")
IMPORTED = _l("impor data DTSEN")
DTSEN_CHECK = _l("cek DTSEN")


@dataclass(frozen=True)
class Provenance:
    """Where a fact was recorded (`source`, a label), on which local date, by whom; `stale`
    when it is a DTSEN check older than the configured age."""

    source: str
    on: date | None
    by: str | None = None
    stale: bool = False


def _local(moment: datetime | None) -> date | None:
    return moment.astimezone(JAKARTA).date() if moment is not None else None


def max_age() -> timedelta:
    return timedelta(days=int(current_app.config.get("DTSEN_CHECK_MAX_AGE_DAYS", 183)))


def is_stale(checked_on: date | None, today: date | None = None) -> bool:
    """Is a DTSEN check of `checked_on` too old to rely on (today: the office's date)?"""
    return checked_on is not None and (today or local_today()) - checked_on > max_age()


def dtsen(household: m.Household | None, today: date | None = None) -> Provenance | None:
    """Where the household's DTSEN facts come from; None when it was never checked at all."""
    if household is None or (household.in_dtsen is None and household.dtsen_source is None):
        return None
    if household.dtsen_source is None:  # asked at registration, before checks were recorded
        return Provenance(str(REGISTERED), _local(household.created_at), stale=True)
    source = m.DTSEN_SOURCE_LABELS[household.dtsen_source]
    label = IMPORTED if household.dtsen_source is m.DtsenSource.IMPORT else DTSEN_CHECK
    by = household.dtsen_checked_by.name if household.dtsen_checked_by is not None else None
    text = str(label) if household.dtsen_source is m.DtsenSource.IMPORT else f"{label} ({source})"
    return Provenance(text, household.dtsen_checked_on, by, is_stale(household.dtsen_checked_on, today))


def of_fields(obj: m.Person | m.Household, changes: list[m.RecordChange]) -> dict[str, Provenance]:
    """Field -> where its current value comes from, from the change trail already loaded
    (`changes`, newest first); fields never changed come from registration."""
    out: dict[str, Provenance] = {}
    for change in changes:
        if change.field in out:
            continue
        by = change.changed_by.name if change.changed_by is not None else None
        source = CORRECTED if change.changed_by_id is not None else IMPORTED
        out[change.field] = Provenance(str(source), _local(change.changed_at), by)
    registered = Provenance(str(REGISTERED), _local(obj.created_at))
    return _Registered(out, registered)


class _Registered(dict):
    """A dict whose missing keys read as "recorded at registration"."""

    def __init__(self, known: dict[str, Provenance], registered: Provenance):
        super().__init__(known)
        self.registered = registered

    def __missing__(self, key: str) -> Provenance:
        return self.registered
