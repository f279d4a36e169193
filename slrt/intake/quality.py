"""Data quality per village (issue 18, item 4): what keeps a desk's register from being right,
counted per village of the user's scope and listed as a to-do with links.

Counted: persons without NIK (by the reason recorded), households whose DTSEN check is older than
the stale age, suspected duplicate pairs (slrt.intake.dedup), NIKs failing the structure check
(slrt.core.nik; they are encrypted, so this reads them one by one: a village or a regency, not a
province), and households without RT or RW. Reads only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.access import visible
from slrt.core.nik import NikMissingReason, check_nik
from slrt.extensions import db
from slrt.intake import dedup
from slrt.intake import models as m
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


def _rows(stmt: sa.Select) -> list[Any]:
    return list(db.session.execute(stmt))


def report(user: User, today: date) -> Report:
    """The counts per village in the user's scope, their total, and the to-do lists."""
    from slrt.regions.models import Region

    rows: dict[str, VillageQuality] = {}

    def row(code: str) -> VillageQuality:
        if code not in rows:
            rows[code] = VillageQuality(code, "")
        return rows[code]

    persons = live_persons(user).where(m.Person.anonymised_at.is_(None)).subquery()
    for code, reason, count in _rows(
        sa.select(persons.c.village_code, persons.c.nik_missing_reason, sa.func.count())
        .where(persons.c.nik_hash.is_(None))
        .group_by(persons.c.village_code, persons.c.nik_missing_reason)
    ):
        row(code).no_nik[getattr(reason, "value", reason or "")] += count
    cutoff = today - max_age()
    households = visible(m.Household, user).subquery()
    for code, count in _rows(
        sa.select(households.c.village_code, sa.func.count())
        .where(households.c.dtsen_checked_on < cutoff)
        .group_by(households.c.village_code)
    ):
        row(code).stale_dtsen = count
    for code, count in _rows(
        sa.select(households.c.village_code, sa.func.count())
        .where(sa.or_(households.c.rt.is_(None), households.c.rw.is_(None)))
        .group_by(households.c.village_code)
    ):
        row(code).no_rt_rw = count
    bad: list[m.Person] = []
    for person in db.session.scalars(
        live_persons(user).where(m.Person.nik_hash.is_not(None)).order_by(m.Person.id)
    ):
        if not check_nik(person.nik or "", today).valid:
            row(person.village_code).bad_nik += 1
            bad.append(person)
    pairs = dedup.scan(user.scope_region_code or "") if user.scope_region_code else []
    ids = {p.person_a for p in pairs} | {p.person_b for p in pairs}
    paired = {p.id: p for p in db.session.scalars(visible(m.Person, user).where(m.Person.id.in_(ids)))}
    found = [
        (paired[p.person_a], paired[p.person_b], p)
        for p in pairs
        if p.person_a in paired and p.person_b in paired
    ]
    for first, _second, _pair in found:
        row(first.village_code).duplicates += 1
    names = dict(db.session.execute(sa.select(Region.code, Region.name).where(Region.code.in_(rows))).all())
    villages = sorted(rows.values(), key=lambda v: v.code)
    total = VillageQuality("", "")
    for village in villages:
        village.name = names.get(village.code, village.code)
        total.add(village)
    todo = {
        "no_nik": db.session.scalars(
            live_persons(user)
            .where(m.Person.nik_hash.is_(None), m.Person.anonymised_at.is_(None))
            .order_by(m.Person.id)
            .limit(LIST_LIMIT)
        ).all(),
        "stale_dtsen": db.session.scalars(
            visible(m.Household, user)
            .where(m.Household.dtsen_checked_on < cutoff)
            .order_by(m.Household.dtsen_checked_on, m.Household.id)
            .limit(LIST_LIMIT)
        ).all(),
        "duplicates": found[:LIST_LIMIT],
        "bad_nik": bad[:LIST_LIMIT],
        "no_rt_rw": db.session.scalars(
            visible(m.Household, user)
            .where(sa.or_(m.Household.rt.is_(None), m.Household.rw.is_(None)))
            .order_by(m.Household.id)
            .limit(LIST_LIMIT)
        ).all(),
    }
    return Report(villages, total, todo)


NO_NIK_REASONS = ["", *(r.value for r in NikMissingReason)]
