"""Data quality per village (issue 18, item 4): what keeps a desk's register from being right,
counted per village of the user's scope and listed as a to-do with links.

The page counts live for the user's scope; the dashboards read the counts `flask quality
refresh` stores per village each night (QualityTally), summed per region like the rest.

Counted: persons without NIK (by the reason recorded), households whose DTSEN check is older than
the stale age, suspected duplicate pairs (slrt.intake.dedup), NIKs failing the structure check
(slrt.core.nik; they are encrypted, so this reads them one by one: a village or a regency, not a
province), and households without RT or RW. Reads only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.access import region_clause, visible
from slrt.core.db import utcnow
from slrt.core.nik import NikMissingReason, check_nik
from slrt.extensions import db
from slrt.intake import dedup
from slrt.intake import models as m
from slrt.intake.models import QualityTally
from slrt.intake.provenance import max_age
from slrt.intake.search import live_persons

LIST_LIMIT = 20  # per kind: the first ones to fix, the counts say how many in all
KINDS = ("no_nik", "stale_dtsen", "duplicates", "bad_nik", "no_rt_rw")


@dataclass
class VillageQuality:
    code: str
    name: str
    no_nik: Counter = field(default_factory=Counter)  # NikMissingReason value (or "") -> count
    stale_dtsen: int = 0
    duplicates: int = 0
    bad_nik: int = 0
    no_rt_rw: int = 0

    @property
    def no_nik_total(self) -> int:
        return sum(self.no_nik.values())

    def add(self, other: VillageQuality) -> None:
        self.no_nik.update(other.no_nik)
        self.stale_dtsen += other.stale_dtsen
        self.duplicates += other.duplicates
        self.bad_nik += other.bad_nik
        self.no_rt_rw += other.no_rt_rw


@dataclass
class Report:
    villages: list[VillageQuality]
    total: VillageQuality
    todo: dict[str, Sequence[Any]] = field(default_factory=dict)  # kind -> records (or pairs) to fix


class Villages(dict[str, VillageQuality]):
    """Counts by village code; a village not seen yet starts at zero."""

    def __missing__(self, code: str) -> VillageQuality:
        self[code] = VillageQuality(code, "")
        return self[code]


def _rows(stmt: sa.Select) -> list[Any]:
    return list(db.session.execute(stmt))


def _count(persons: sa.Select, households: sa.Select, today: date) -> tuple[Villages, list[m.Person]]:
    """The counts per village of these live persons and households (duplicates apart), with the
    persons whose NIK fails the structure check."""
    rows = Villages()

    people = persons.where(m.Person.anonymised_at.is_(None)).subquery()
    for code, reason, count in _rows(
        sa.select(people.c.village_code, people.c.nik_missing_reason, sa.func.count())
        .where(people.c.nik_hash.is_(None))
        .group_by(people.c.village_code, people.c.nik_missing_reason)
    ):
        rows[code].no_nik[getattr(reason, "value", reason or "")] += count
    homes = households.subquery()
    for code, count in _rows(
        sa.select(homes.c.village_code, sa.func.count())
        .where(homes.c.dtsen_checked_on < today - max_age())
        .group_by(homes.c.village_code)
    ):
        rows[code].stale_dtsen = count
    for code, count in _rows(
        sa.select(homes.c.village_code, sa.func.count())
        .where(sa.or_(homes.c.rt.is_(None), homes.c.rw.is_(None)))
        .group_by(homes.c.village_code)
    ):
        rows[code].no_rt_rw = count
    bad: list[m.Person] = []
    for person in db.session.scalars(persons.where(m.Person.nik_hash.is_not(None)).order_by(m.Person.id)):
        if not check_nik(person.nik or "", today).valid:
            rows[person.village_code].bad_nik += 1
            bad.append(person)
    return rows, bad


def _duplicates(persons: sa.Select, region_code: str | None) -> list[tuple[m.Person, m.Person, Any]]:
    """The suspected duplicate pairs of `region_code` (none without a region: a scan of the whole
    country is a batch job's, per regency) whose two persons are both among `persons`."""
    pairs = dedup.scan(region_code) if region_code else []
    ids = {p.person_a for p in pairs} | {p.person_b for p in pairs}
    paired = {p.id: p for p in db.session.scalars(persons.where(m.Person.id.in_(ids)))}
    return [
        (paired[p.person_a], paired[p.person_b], p)
        for p in pairs
        if p.person_a in paired and p.person_b in paired
    ]


def report(user: User, today: date) -> Report:
    """The counts per village in the user's scope, their total, and the to-do lists."""
    from slrt.regions.models import Region

    households = visible(m.Household, user)
    rows, bad = _count(live_persons(user), households, today)
    found = _duplicates(live_persons(user), user.scope_region_code)
    for first, _second, _pair in found:
        rows[first.village_code].duplicates += 1
    names = dict(db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(rows))).all())
    villages = sorted(rows.values(), key=lambda v: v.code)
    total = VillageQuality("", "")
    for village in villages:
        village.name = names.get(village.code, village.code)
        total.add(village)
    cutoff = today - max_age()
    todo = {
        "no_nik": db.session.scalars(
            live_persons(user)
            .where(m.Person.nik_hash.is_(None), m.Person.anonymised_at.is_(None))
            .order_by(m.Person.id)
            .limit(LIST_LIMIT)
        ).all(),
        "stale_dtsen": db.session.scalars(
            households.where(m.Household.dtsen_checked_on < cutoff)
            .order_by(m.Household.dtsen_checked_on, m.Household.id)
            .limit(LIST_LIMIT)
        ).all(),
        "duplicates": found[:LIST_LIMIT],
        "bad_nik": bad[:LIST_LIMIT],
        "no_rt_rw": db.session.scalars(
            households.where(sa.or_(m.Household.rt.is_(None), m.Household.rw.is_(None)))
            .order_by(m.Household.id)
            .limit(LIST_LIMIT)
        ).all(),
    }
    return Report(villages, total, todo)


# --- the dashboards' counts: stored per village by a nightly job, summed per region -------------


def _stored_rows(village: VillageQuality) -> list[tuple[str, str, int]]:
    """(kind, key, count) of one village, for the stored tallies; zeros left out."""
    out = [("no_nik", reason, n) for reason, n in village.no_nik.items() if n]
    out += [(kind, "", getattr(village, kind)) for kind in KINDS[1:] if getattr(village, kind)]
    return out


def refresh(region_code: str | None, today: date) -> int:
    """Recounts every village under `region_code` (None: the whole country) into QualityTally, in
    the caller's transaction. Duplicates are scanned per regency: a pair across two regencies is
    found by the scan of neither (the batch `flask dedup scan` reads one region too).
    Returns the number of villages with something to fix."""
    persons = sa.select(m.Person).where(
        m.Person.merged_into_id.is_(None), region_clause(m.Person.village_code, region_code)
    )
    households = sa.select(m.Household).where(region_clause(m.Household.village_code, region_code))
    rows, _bad = _count(persons, households, today)
    if region_code and len(region_code) > 5:
        scans = [region_code]  # a district or a village
    else:
        scans = sorted(
            db.session.scalars(
                sa.select(sa.func.substr(m.Person.village_code, 1, 5))
                .where(region_clause(m.Person.village_code, region_code))
                .distinct()
            )
        )
    for scan_region in scans:
        for first, _second, _pair in _duplicates(persons, scan_region):
            rows[first.village_code].duplicates += 1
    now = utcnow()
    db.session.execute(sa.delete(QualityTally).where(region_clause(QualityTally.village_code, region_code)))
    values = [
        {"village_code": code, "kind": kind, "key": key, "count": n, "computed_at": now}
        for code, village in rows.items()
        for kind, key, n in _stored_rows(village)
    ]
    if values:
        db.session.execute(sa.insert(QualityTally), values)
    return len({v["village_code"] for v in values})


def summed(region_code: str | None, width: int) -> tuple[dict[str, VillageQuality], datetime | None]:
    """The stored counts under `region_code` summed per child region (code prefixes `width`
    long), and when they were last computed (None: never)."""
    child = sa.func.substr(QualityTally.village_code, 1, width, type_=sa.String)
    inside = region_clause(QualityTally.village_code, region_code)
    out = Villages()
    for code, kind, key, n in _rows(
        sa.select(child, QualityTally.kind, QualityTally.key, sa.func.sum(QualityTally.count))
        .where(inside)
        .group_by(child, QualityTally.kind, QualityTally.key)
    ):
        village = out[code]
        if kind == "no_nik":
            village.no_nik[key] += int(n)
        elif kind in KINDS:
            setattr(village, kind, getattr(village, kind) + int(n))
    computed = db.session.scalar(sa.select(sa.func.max(QualityTally.computed_at)).where(inside))
    return out, computed


NO_NIK_REASONS = ["", *(r.value for r in NikMissingReason)]
