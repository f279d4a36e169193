"""DTSEN rows that are not the import's to decide (issue 18): a row that fits several registered
persons, or whose NIK a person with another name or birth date already holds. Such a row is not
applied and not only rejected: it waits in a review queue with the row's values and each
candidate person side by side, and a coordinator or the SLRT applies it to one of them, or
dismisses it with a reason (Permission.MERGE_PERSONS: deciding which record is whose).

`find` is called by the import for each batch; `apply` and `dismiss` are the two decisions, each
allowed once (the status moves from open by a guarded UPDATE, so two clicks apply once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult

from slrt.accounts.models import User
from slrt.core.audit import audit
from slrt.core.crypto import nik_digest
from slrt.core.db import utcnow
from slrt.dtsen.models import ConflictKind, ConflictStatus, DtsenConflict
from slrt.dtsen.rows import DtsenRow
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import names
from slrt.intake.dedup import MIN_NAME_SIMILARITY, birth_date_evidence, name_similarity


@dataclass(frozen=True)
class Found:
    kind: ConflictKind
    candidate_ids: list[int]


class AlreadyDecided(ValueError):
    """The conflict was applied or dismissed before (perhaps a moment ago, in another tab)."""


def same_person(row_name: str, row_born: date, name: str, born: date | None) -> bool:
    """The person holding the row's NIK is the row's person: names alike (spelling forgiven,
    as the duplicate check judges them) and birth dates equal or close."""
    if name_similarity(row_name, name) < MIN_NAME_SIMILARITY:
        return False
    return born is None or birth_date_evidence(row_born, born) > 0


def _without_nik(rows: Iterable[DtsenRow]) -> dict[tuple[str, date], list[int]]:
    """Registered persons without a NIK, by (name key, birth date), for the rows' keys."""
    keys = {(names.name_key(r.name), r.birth_date) for r in rows}
    if not keys:
        return {}
    found: dict[tuple[str, date], list[int]] = defaultdict(list)
    query = (
        sa.select(m.Person.id, m.Person.name_key, m.Person.birth_date)
        .where(
            m.Person.nik_hash.is_(None),
            m.Person.merged_into_id.is_(None),
            m.Person.anonymised_at.is_(None),
            m.Person.name_key.in_(sorted({k for k, _ in keys})),
        )
        .order_by(m.Person.id)
    )
    for person_id, key, born in db.session.execute(query):
        if born is not None and (key, born) in keys:
            found[(key, born)].append(person_id)
    return found


def find(rows: list[DtsenRow], by_nik: dict[str, Any]) -> dict[int, Found]:
    """The rows (by line) the import must not apply itself, with their candidate persons.

    `by_nik` is the import's prefetch (NIK -> the person holding it, with name and birth date).
    A NIK held by the row's own person is the ordinary update; a NIK nobody holds is a new
    person, unless two or more persons without a NIK share the row's name and birth date.
    """
    nameless = _without_nik(rows)
    found: dict[int, Found] = {}
    for row in rows:
        alike = nameless.get((names.name_key(row.name), row.birth_date), [])
        holder = by_nik.get(row.nik)
        if holder is not None:
            if not same_person(row.name, row.birth_date, holder.name, holder.birth_date):
                found[row.line] = Found(ConflictKind.NIK_HELD, [holder.id, *alike])
        elif len(alike) >= 2:
            found[row.line] = Found(ConflictKind.SEVERAL, alike)
    return found


def queue(rows: list[DtsenRow], found: dict[int, Found]) -> int:
    """Adds the conflicting rows to the review queue; a row already waiting there (the same NIK
    and the same candidates, from an earlier run of the same file) is not queued twice."""
    waiting = {
        (nik_hash, tuple(ids))
        for nik_hash, ids in db.session.execute(
            sa.select(DtsenConflict.nik_hash, DtsenConflict.candidate_ids).where(
                DtsenConflict.status == ConflictStatus.OPEN,
                DtsenConflict.nik_hash.in_([nik_digest(r.nik) for r in rows if r.line in found]),
            )
        )
    }
    added = 0
    for row in rows:
        hit = found.get(row.line)
        if hit is None or (nik_digest(row.nik), tuple(hit.candidate_ids)) in waiting:
            continue
        db.session.add(
            DtsenConflict(
                kind=hit.kind,
                line=row.line,
                nik=row.nik,
                kk_number=row.kk,
                name=row.name,
                birth_date=row.birth_date,
                sex=row.sex,
                village_code=row.village_code,
                desil=row.desil,
                programmes=row.programmes,
                candidate_ids=hit.candidate_ids,
            )
        )
        added += 1
    db.session.flush()
    return added


def as_row(conflict: DtsenConflict) -> DtsenRow:
    return DtsenRow(
        conflict.line,
        conflict.nik,
        conflict.kk_number,
        conflict.name,
        conflict.birth_date,
        conflict.sex,
        conflict.village_code,
        conflict.desil,
        list(conflict.programmes or []),
        first_of_kk=True,
    )


def _decide(conflict: DtsenConflict, status: ConflictStatus, user: User, **values: Any) -> None:
    """Moves the conflict out of the queue, once: a second decision raises AlreadyDecided."""
    moved: CursorResult = db.session.execute(  # type: ignore[assignment]  # an UPDATE's result
        sa.update(DtsenConflict)
        .where(DtsenConflict.id == conflict.id, DtsenConflict.status == ConflictStatus.OPEN)
        .values(status=status, resolved_by_id=user.id, resolved_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise AlreadyDecided(conflict.id)
    db.session.refresh(conflict)


def apply(conflict: DtsenConflict, person: m.Person, user: User) -> None:
    """Applies the row to `person` (one of the candidates): the person gets the row's NIK when
    they have none, then the import's own upsert writes the row's values with the usual trail.
    Refused (ValueError) when the NIK is still held by another person: merge those two first."""
    from slrt.dtsen.matching import import_batch

    if person.id not in (conflict.candidate_ids or []) or person.merged_into_id is not None:
        raise ValueError("not a candidate")
    holder = db.session.scalar(sa.select(m.Person.id).where(m.Person.nik_hash == nik_digest(conflict.nik)))
    if holder is not None and holder != person.id:
        raise ValueError("NIK held by another person")
    if person.nik and person.nik != conflict.nik:
        raise ValueError("person has another NIK")
    _decide(conflict, ConflictStatus.APPLIED, user, person_id=person.id)
    if holder is None:
        person.nik = conflict.nik
        person.nik_missing_reason = None
        db.session.flush()
    import_batch([as_row(conflict)], check_conflicts=False)
    audit("dtsen.conflict.apply", person, actor=user, detail={"conflict": conflict.id, "line": conflict.line})


def dismiss(conflict: DtsenConflict, reason: str, user: User) -> None:
    """Leaves every person as they are; the reason is kept with the conflict."""
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required")
    _decide(conflict, ConflictStatus.DISMISSED, user, dismiss_reason=reason)
    audit(
        "dtsen.conflict.dismiss",
        conflict,
        actor=user,
        detail={"conflict": conflict.id, "line": conflict.line},
    )
