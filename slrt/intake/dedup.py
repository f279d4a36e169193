"""One person, one record: candidate duplicates with the evidence per field, the batch scan over a
region, and the merge that can be undone exactly.

Scoring is a weighted mean of field evidence (each 0 to 1) over the fields both records have; the
weights and the thresholds are the table below, not constants spread through the code. String
similarity comes from maintained libraries: rapidfuzz (Jaro-Winkler, token sort) for names,
jellyfish (Damerau-Levenshtein) for a NIK typed with two digits swapped.

Pairs come from blocking (same village, sound key of the first name word and birth year; same
No. KK; same phone; same birth date and first letter): only records sharing a block are compared,
so a scan stays linear in the region's size rather than quadratic. The scan reads the columns it
compares in one statement (not whole records), with the name keys stored on every person; the
intake check asks only for indexed blocks (NIK digest, No. KK, phone, birth date as typed or with
day and month swapped, the sound key within the birth year). Measured at 1,000,000 persons in
bench/dedup.py (bench/RESULTS.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from typing import Any, cast

import jellyfish
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler
from sqlalchemy.orm import selectinload

from slrt.accounts.models import User
from slrt.core.access import region_clause
from slrt.core.audit import audit
from slrt.core.crypto import nik_digest
from slrt.core.db import utcnow
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import names
from slrt.intake.search import live_persons, name_clause

# The weights of each kind of evidence and the thresholds: data, tuned together.
WEIGHTS: dict[str, float] = {
    "name": 0.40,
    "birth_date": 0.20,
    "nik": 0.25,
    "kk": 0.10,
    "village_rt": 0.05,
    "phone": 0.10,
}
# A field that differs counts with this weight instead of its own: a No. KK is re-issued when a
# household splits or moves, a phone number changes hands; their differing says little.
DISAGREEING_WEIGHTS: dict[str, float] = {"kk": 0.0, "phone": 0.0}
# A pair at or above this is proposed for review (and warned at intake). 0.86: at 0.80 the same
# one-word name and birth date in two villages (one without NIK) already qualified, and in a
# regency such coincidences outnumber real duplicates (bench/dedup.py, bench/RESULTS.md).
REVIEW_THRESHOLD = 0.86
MIN_NAME_SIMILARITY = 0.75  # names less alike than this are never the same person, whatever else
BIRTH_DATE_SWAPPED = 0.9  # 05-03 written for 03-05
BIRTH_DATE_CLOSE = 0.6  # within a month, or the same day a year apart, or only the year known alike
NIK_ONE_EDIT = 0.8  # two digits swapped or one digit wrong
SAME_VILLAGE_OTHER_RT = 0.5
MAX_BLOCK = 200  # a block bigger than this (a very common name) is compared within village only
INTAKE_CANDIDATES = 50

EVIDENCE_LABELS = {
    "name": _l("Kemiripan nama"),
    "birth_date": _l("Tanggal lahir"),
    "nik": _l("NIK"),
    "kk": _l("No. KK"),
    "village_rt": _l("Desa dan RT"),
    "phone": _l("Telepon"),
}


@dataclass(frozen=True)
class Record:
    """What the comparison needs of a person (or of the visitor typed at intake)."""

    id: int | None
    name: str
    birth_date: date | None = None
    nik: str | None = None
    kk_hash: str | None = None
    village_code: str | None = None
    rt: str | None = None
    phone: str | None = None
    # The spelling key and sound key of `name` (slrt.intake.names); worked out when not given.
    name_key: str = ""
    name_phonetic: str = ""

    def __post_init__(self) -> None:
        if not self.name_key and self.name:
            object.__setattr__(self, "name_key", names.name_key(self.name))
        if not self.name_phonetic and self.name:
            object.__setattr__(self, "name_phonetic", names.name_phonetic(self.name))

    @property
    def key(self) -> str:
        return self.name_key

    @classmethod
    def of(cls, person: m.Person) -> Record:
        household = person.household
        return cls(
            id=person.id,
            name=person.name,
            birth_date=person.birth_date,
            nik=person.nik,
            kk_hash=household.kk_hash if household else None,
            village_code=person.village_code,
            rt=household.rt if household else None,
            phone=person.phone,
            name_key=person.name_key,
            name_phonetic=person.name_phonetic,
        )


@dataclass
class Candidate:
    person_a: int | None
    person_b: int
    score: float
    evidence: dict[str, float] = field(default_factory=dict)  # field -> 0..1, only fields compared


def name_similarity(a: str, b: str) -> float:
    """How alike two names are after spelling folding: Jaro-Winkler, or the token-sorted ratio when
    the words come in another order ("Aminah Siti")."""
    return key_similarity(names.name_key(a), names.name_key(b))


def key_similarity(ka: str, kb: str) -> float:
    """`name_similarity` of two names' spelling keys."""
    if not ka or not kb:
        return 0.0
    return max(JaroWinkler.similarity(ka, kb), fuzz.token_sort_ratio(ka, kb) / 100)


def word_similarity(ka: str, kb: str) -> float:
    """How alike the least alike word of the shorter key is to its best match in the other:
    twins and namesakes share their father's name ("Oman Dedi", "Tatang Dedi"), not their own.
    A word only the longer key has (a father's name after "bin") does not count."""
    wa, wb = ka.split(), kb.split()
    if not wa or not wb:
        return 0.0
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return min(max(JaroWinkler.similarity(w, v) for v in long) for w in short)


def birth_date_evidence(a: date, b: date) -> float:
    if a == b:
        return 1.0
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return BIRTH_DATE_SWAPPED
    if abs((a - b).days) <= 31 or ((a.month, a.day) == (b.month, b.day) and abs(a.year - b.year) == 1):
        return BIRTH_DATE_CLOSE
    return 0.0


def nik_evidence(a: str, b: str) -> float:
    if a == b:
        return 1.0
    return NIK_ONE_EDIT if jellyfish.damerau_levenshtein_distance(a, b) == 1 else 0.0


def compare(a: Record, b: Record) -> Candidate:
    """The evidence for `a` and `b` being one person, field by field, and the weighted score."""
    # The whole names alike, and each word of the shorter one alike to one of the other's.
    evidence: dict[str, float] = {"name": min(key_similarity(a.key, b.key), word_similarity(a.key, b.key))}
    if a.birth_date and b.birth_date:
        evidence["birth_date"] = birth_date_evidence(a.birth_date, b.birth_date)
    if a.nik and b.nik:
        evidence["nik"] = nik_evidence(a.nik, b.nik)
    if a.kk_hash and b.kk_hash:
        evidence["kk"] = float(a.kk_hash == b.kk_hash)
    if a.village_code and b.village_code:
        same_village = a.village_code == b.village_code
        evidence["village_rt"] = (
            (1.0 if a.rt and a.rt == b.rt else SAME_VILLAGE_OTHER_RT) if same_village else 0.0
        )
    if a.phone and b.phone:
        evidence["phone"] = float(a.phone == b.phone)
    if evidence["name"] < MIN_NAME_SIMILARITY:
        score = 0.0
    else:
        weights = {
            k: WEIGHTS[k] if v else DISAGREEING_WEIGHTS.get(k, WEIGHTS[k]) for k, v in evidence.items()
        }
        score = sum(weights[k] * v for k, v in evidence.items()) / sum(weights.values())
    return Candidate(a.id, b.id or 0, round(score, 3), evidence)


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _swapped(day: date) -> date | None:
    """The date with day and month swapped, when that is another date."""
    if day.day > 12 or day.day == day.month:
        return None
    return date(day.year, day.day, day.month)


def _intake_blocks(visitor: Record) -> list[sa.ColumnElement[bool]]:
    """The blocks the intake check asks for, each served by an index: the NIK's digest, the
    phone, the No. KK's households, the birth date (or day and month swapped) with the first
    letter of the name, and the sound key within the birth year. Without a birth date, the
    forgiving name search instead."""
    blocks: list[sa.ColumnElement[bool]] = []
    if visitor.nik:
        blocks.append(m.Person.nik_hash == nik_digest(visitor.nik))
    if visitor.phone:
        blocks.append(m.Person.phone == visitor.phone)
    if visitor.kk_hash:
        households = sa.select(m.Household.id).where(m.Household.kk_hash == visitor.kk_hash)
        if db.session.get_bind().dialect.name == "postgresql":
            # = ANY(ARRAY(subquery)): an index condition PostgreSQL can OR with the others (a
            # plain IN (subquery) inside OR is a filter over every row).
            blocks.append(m.Person.household_id == sa.any_(sa.func.array(households.scalar_subquery())))
        else:
            blocks.append(m.Person.household_id.in_(households))
    born = visitor.birth_date
    if born is None:
        if visitor.key:
            blocks.append(name_clause(visitor.name))
        return blocks
    if visitor.key:
        days = [d for d in (born, _swapped(born)) if d is not None]
        blocks.append(sa.and_(m.Person.birth_date.in_(days), m.Person.name_key.startswith(visitor.key[0])))
    if visitor.name_phonetic:
        year = (date(born.year, 1, 1), date(born.year, 12, 31))
        blocks.append(
            sa.and_(m.Person.name_phonetic == visitor.name_phonetic, m.Person.birth_date.between(*year))
        )
    return blocks


def candidates_for(visitor: Record, user: User) -> list[tuple[m.Person, Candidate]]:
    """Registered persons the visitor typed at intake may already be, best first: those in the
    user's scope sharing a block with the visitor and scoring at or above the review threshold."""
    blocks = _intake_blocks(visitor)
    if not blocks:
        return []
    persons = db.session.scalars(
        live_persons(user)
        .where(sa.or_(*blocks))
        .options(selectinload(m.Person.household))
        .limit(INTAKE_CANDIDATES)
    ).all()
    found = [(p, compare(visitor, Record.of(p))) for p in persons]
    found = [(p, c) for p, c in found if c.score >= REVIEW_THRESHOLD]
    return sorted(found, key=lambda pc: -pc[1].score)


def _blocks(records: list[Record]) -> Iterator[list[Record]]:
    by: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        sound = r.name_phonetic.split()
        if sound:
            by[("name", r.village_code, sound[0], r.birth_date.year if r.birth_date else None)].append(r)
        if r.kk_hash:
            by[("kk", r.kk_hash)].append(r)
        if r.phone:
            by[("phone", r.phone)].append(r)
        if r.birth_date and r.key:
            by[("born", r.birth_date, r.key[0])].append(r)
    for block in by.values():
        if 1 < len(block) <= MAX_BLOCK:
            yield block


def scan(region_code: str, threshold: float = REVIEW_THRESHOLD) -> list[Candidate]:
    """Every pair of live persons in the region at or above `threshold`, best first, leaving out
    the pairs judged "not the same person"."""
    if not region_code:
        return []  # a region, never the whole country (a batch job scans per regency)
    in_region = region_clause(m.Person.village_code, region_code)
    # The compared columns only, in one statement: a regency holds a million persons.
    rows = db.session.execute(
        sa.select(
            m.Person.id,
            m.Person.name,
            m.Person.birth_date,
            m.Person.nik,
            m.Household.kk_hash,
            m.Person.village_code,
            m.Household.rt,
            m.Person.phone,
            m.Person.name_key,
            m.Person.name_phonetic,
        )
        .outerjoin(m.Household, m.Person.household_id == m.Household.id)
        .where(m.Person.merged_into_id.is_(None), m.Person.anonymised_at.is_(None), in_region)
        .order_by(m.Person.id)
        .execution_options(yield_per=10_000)
    )
    records = [Record(*tuple(row)) for row in rows]  # the columns in Record's order
    decided = sa.select(m.PairDecision.person_a_id, m.PairDecision.person_b_id).join(
        m.Person, m.Person.id == m.PairDecision.person_a_id
    )
    distinct = {(a, b) for a, b in db.session.execute(decided.where(in_region))}
    seen: set[tuple[int, int]] = set()
    found: list[Candidate] = []
    for block in _blocks(records):
        for a, b in combinations(block, 2):
            pair = _ordered(a.id or 0, b.id or 0)
            if pair in seen or pair in distinct:
                continue
            seen.add(pair)
            candidate = compare(a, b)
            if candidate.score >= threshold:
                found.append(Candidate(pair[0], pair[1], candidate.score, candidate.evidence))
    return sorted(found, key=lambda c: (-c.score, c.person_a or 0, c.person_b))


def visitor_record(data: dict[str, Any]) -> Record:
    """The intake form's visitor as a Record (the NIK and No. KK as typed; phone normalised)."""
    from lokal import normalize_phone

    nik = "".join(ch for ch in (data.get("nik") or "") if ch.isdigit()) or None
    kk = data.get("kk_number") or ""
    birth = data.get("birth_date")
    if isinstance(birth, str):
        try:
            birth = date.fromisoformat(birth)
        except ValueError:
            birth = None
    rt = (data.get("rt") or "").strip()
    return Record(
        id=None,
        name=data.get("name") or "",
        birth_date=birth,
        nik=nik,
        kk_hash=nik_digest(kk) if kk.strip() else None,
        village_code=data.get("village_code") or None,
        rt=rt.zfill(3) if rt else None,
        phone=normalize_phone(data.get("phone") or "") or None,
    )


# --- decisions and merges -------------------------------------------------------------------


def mark_distinct(a: m.Person, b: m.Person, user: User) -> None:
    """Records that `a` and `b` are two people: the pair is not proposed again."""
    low, high = _ordered(a.id, b.id)
    exists = db.session.scalar(
        sa.select(m.PairDecision.id).where(
            m.PairDecision.person_a_id == low, m.PairDecision.person_b_id == high
        )
    )
    if exists is None:
        db.session.add(m.PairDecision(person_a_id=low, person_b_id=high, decided_by_id=user.id))
    audit("person.not_duplicate", a, actor=user, detail={"other": b.id})
    db.session.flush()


def _unchanged_stamp(table: sa.Table) -> dict[str, Any]:
    # Core updates run the columns' onupdate: keep updated_at as it was, so the undo is exact.
    return {"updated_at": table.c.updated_at} if "updated_at" in table.c else {}


def person_references() -> list[tuple[sa.Table, sa.Column]]:
    """Every column in the schema pointing at persons.id, except the merge bookkeeping itself: what
    follows the survivor. Read from the metadata, so a new table referring to persons follows too."""
    skip = {"person_merges", "person_pair_decisions", "persons"}
    found = []
    for table in db.metadata.sorted_tables:
        if table.name in skip:
            continue
        for column in table.columns:
            if any(fk.column.table.name == "persons" for fk in column.foreign_keys):
                found.append((table, column))
    return found


def merge(survivor: m.Person, merged: m.Person, user: User, score: float | None = None) -> m.PersonMerge:
    """Moves everything of `merged` to `survivor` (cases, needs, referrals, consents, the change
    trail) and marks `merged` as merged into it. What moved is recorded for `undo`."""
    if survivor.id == merged.id or merged.merged_into_id or survivor.merged_into_id:
        raise ValueError("these records cannot be merged")
    moved: dict[str, list[int]] = {}
    for table, column in person_references():
        ids: list[int] = list(
            db.session.scalars(sa.select(table.c.id).where(column == merged.id).order_by(table.c.id))
        )
        if ids:
            db.session.execute(
                sa.update(table)
                .where(table.c.id.in_(ids))
                .values({column.name: survivor.id, **_unchanged_stamp(table)})
            )
            moved[f"{table.name}.{column.name}"] = ids
    trail = cast(sa.Table, m.RecordChange.__table__)
    ids = list(
        db.session.scalars(
            sa.select(trail.c.id).where(trail.c.object_type == "person", trail.c.object_id == merged.id)
        )
    )
    if ids:
        db.session.execute(sa.update(trail).where(trail.c.id.in_(ids)).values(object_id=survivor.id))
        moved["record_changes.object_id"] = ids
    persons = cast(sa.Table, m.Person.__table__)
    # Core, not the ORM: the merged row's updated_at stays as it was, so the undo is exact.
    db.session.execute(
        sa.update(persons)
        .where(persons.c.id == merged.id)
        .values(merged_into_id=survivor.id, updated_at=persons.c.updated_at)
    )
    record = m.PersonMerge(
        survivor_id=survivor.id, merged_id=merged.id, moved=moved, score=score, merged_by_id=user.id
    )
    db.session.add(record)
    db.session.flush()
    db.session.expire_all()
    audit("person.merge", survivor, actor=user, detail={"merged": merged.id, "merge": record.id})
    return record


def undo(record: m.PersonMerge, user: User) -> None:
    """Puts back exactly what `merge` moved, and the merged record as it was."""
    if record.undone_at is not None:
        raise ValueError("this merge was already undone")
    tables = {t.name: t for t in db.metadata.sorted_tables}
    for key, ids in record.moved.items():
        table_name, column = key.split(".")
        table = tables[table_name]
        db.session.execute(
            sa.update(table)
            .where(table.c.id.in_(ids))
            .values({column: record.merged_id, **_unchanged_stamp(table)})
        )
    persons = cast(sa.Table, m.Person.__table__)
    db.session.execute(
        sa.update(persons)
        .where(persons.c.id == record.merged_id)
        .values(merged_into_id=None, updated_at=persons.c.updated_at)
    )
    record.undone_at = utcnow()
    record.undone_by_id = user.id
    db.session.flush()
    db.session.expire_all()
    audit(
        "person.merge_undo",
        record.survivor,
        actor=user,
        detail={"merged": record.merged_id, "merge": record.id},
    )
