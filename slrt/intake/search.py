"""Desk search: finding people by NIK, name and birth date, their open cases, and the search box's
statements (tracking code, NIK, No. KK or name), all scoped to the user's region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from lokal import normalize_phone
from sqlalchemy.orm import aliased, selectinload

from slrt.accounts.models import User
from slrt.core import tracking
from slrt.core.access import visible
from slrt.core.crypto import nik_digest
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import names
from slrt.intake.models import normalize_name

MIN_NAME_SEARCH = 3  # a trigram index cannot help with fewer letters


MAX_NAME_MATCHES = 200


DIGITS16 = re.compile(r"^\d{16}$")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# pg_trgm's default similarity threshold: below it two names share too little to be offered.
SIMILAR = 0.3
SHORTEST_SOUND = 4  # a shorter sound key ("mt") is shared by too many names to search inside


def name_clause(text: str) -> sa.ColumnElement[bool]:
    """Persons whose name matches what was typed: a part of it as written, a part of its
    spelling key (Soekarni/Sukarni, Hj. ...), the same sound key, or a similar key (Sumarny)."""
    key = names.name_key(text)
    sound = names.name_phonetic(text)
    clauses: list[sa.ColumnElement[bool]] = [
        m.Person.name_search.like(f"%{_like_escape(normalize_name(text))}%", escape="\\")
    ]
    if key:
        clauses.append(m.Person.name_key.like(f"%{_like_escape(key)}%", escape="\\"))
        if db.session.get_bind().dialect.name == "postgresql":
            clauses.append(m.Person.name_key.op("%")(key))  # served by ix_persons_name_key_trgm
        else:
            clauses.append(sa.func.similarity(m.Person.name_key, key) >= SIMILAR)
    if len(sound.replace(" ", "")) >= SHORTEST_SOUND:
        clauses.append(m.Person.name_phonetic.like(f"%{_like_escape(sound)}%", escape="\\"))
    elif sound:
        clauses.append(m.Person.name_phonetic == sound)
    return sa.or_(*clauses)


RT_RW = re.compile(r"^\s*rt\.?\s*(\d{1,3})(?:\s*(?:/|rw\.?)\s*(\d{1,3}))?\s*(?:rw\.?\s*(\d{1,3}))?\s*$", re.I)


def _rt_rw(text: str) -> tuple[str, str | None] | None:
    """`RT 3 RW 5`, `rt 003/005`, `RT 3` -> ("003", "005"), ("003", None); else None."""
    found = RT_RW.match(text)
    if not found:
        return None
    rw = found.group(2) or found.group(3)
    return found.group(1).zfill(3), rw.zfill(3) if rw else None


def live_persons(user: User) -> sa.Select:
    """`visible(Person)` without the records merged into another (they live on as the survivor)."""
    return visible(m.Person, user).where(m.Person.merged_into_id.is_(None))


@dataclass
class SearchResult:
    kind: str  # "code", "nik", "phone", "name", "address", "short" (too few letters) or "" (nothing typed)
    persons: sa.Select | None = None
    cases: sa.Select | None = None


def search_statements(query: str, user: User) -> SearchResult:
    """Turns what an officer typed into scoped queries: a tracking code, a NIK or No. KK, a phone
    number, an RT/RW, or part of a name or street (ranked by how alike the names are). The caller
    paginates."""
    q = (query or "").strip()
    if len(q) < 2:
        return SearchResult("")
    if tracking.is_valid(q):
        code = tracking.normalize(q)
        return SearchResult("code", cases=visible(m.Case, user).where(m.Case.tracking_code == code))
    digits = re.sub(r"[\s.\-]", "", q)
    if DIGITS16.match(digits):
        persons = (
            visible(m.Person, user)
            .outerjoin(m.Household, m.Person.household_id == m.Household.id)
            .where(sa.or_(m.Person.nik_hash == nik_digest(digits), m.Household.kk_hash == nik_digest(digits)))
        )
        persons = persons.options(selectinload(m.Person.household))
        return SearchResult("nik", persons=persons.order_by(m.Person.name_search, m.Person.id))
    if re.match(r"^\+?[\d\s\-()]{8,}$", q):
        phone = normalize_phone(q)
        if phone:
            persons = visible(m.Person, user).where(m.Person.phone == phone)
            persons = persons.options(selectinload(m.Person.household))
            return SearchResult("phone", persons=persons.order_by(m.Person.name_search, m.Person.id))
    rt_rw = _rt_rw(q)
    if rt_rw:
        rt, rw = rt_rw
        persons = live_persons(user).join(m.Household, m.Person.household_id == m.Household.id)
        persons = persons.where(m.Household.rt == rt)
        if rw:
            persons = persons.where(m.Household.rw == rw)
        persons = persons.options(selectinload(m.Person.household))
        return SearchResult(
            "address", persons=persons.order_by(m.Person.name_search, m.Person.id).limit(MAX_NAME_MATCHES)
        )
    if len(normalize_name(q)) < MIN_NAME_SEARCH:
        return SearchResult("short")
    # Sorting every match of a common name ("asep" among a million) is what makes a search slow;
    # the first MAX_NAME_MATCHES matches are sorted, and the page asks to narrow the search.
    street = m.Household.street.ilike(f"%{_like_escape(q)}%", escape="\\")
    matches = (
        live_persons(user)
        .outerjoin(m.Household, m.Person.household_id == m.Household.id)
        .where(sa.or_(name_clause(q), street))
        .limit(MAX_NAME_MATCHES)
        .subquery()
    )
    person = aliased(m.Person, matches)
    likeness = sa.func.similarity(person.name_key, names.name_key(q))
    persons = sa.select(person).order_by(likeness.desc(), person.name_search, person.id)
    return SearchResult("name", persons=persons.options(selectinload(person.household)))


def find_people(user: User, nik: str = "", name: str = "", birth_date: date | None = None) -> list[m.Person]:
    """Candidates for the person at the desk: by NIK, or by name (and birth date when given)."""
    nik = re.sub(r"[\s.\-]", "", nik or "")
    if nik:
        return list(db.session.scalars(visible(m.Person, user).where(m.Person.nik_hash == nik_digest(nik))))
    if len(normalize_name(name)) < MIN_NAME_SEARCH:
        return []
    stmt = live_persons(user).where(name_clause(name))
    if birth_date:
        stmt = stmt.where(m.Person.birth_date == birth_date)
    likeness = sa.func.similarity(m.Person.name_key, names.name_key(name))
    return list(db.session.scalars(stmt.order_by(likeness.desc(), m.Person.name_search).limit(20)))


def open_cases_of(person: m.Person, user: User) -> list[m.Case]:
    """Open cases where the person is the reporter or the one a need is about."""
    concerned = sa.select(m.Need.case_id).where(m.Need.person_id == person.id)
    return list(
        db.session.scalars(
            visible(m.Case, user)
            .where(
                m.Case.status == m.CaseStatus.OPEN,
                sa.or_(m.Case.reporter_id == person.id, m.Case.id.in_(concerned)),
            )
            .order_by(m.Case.created_at.desc())
        )
    )
