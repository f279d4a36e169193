"""Reads for the follow-up of needs (issue 16): the state of each need of a case, and the desk
home's "Tindak lanjut" list of services whose prerequisite is now met. The rules themselves are
plain Python in slrt.referrals.needs_state; this module only reads what they need.

The NIK services and the people's NIK are read only when a case has a prerequisite referral
(ADMINDUK), so the pages of every other case keep their statement counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from slrt.core.access import visible
from slrt.directory.models import Service
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus, Need, Person
from slrt.referrals.models import Referral, ReferralStatus
from slrt.referrals.needs_state import (
    PREREQUISITE_SERVICE,
    NeedFollowUp,
    NikServices,
    concerned_person_id,
    follow_up,
    has_prerequisite,
)

LIMIT = 20  # cases on the home list, as the other home lists


def nik_services() -> dict[str, list[str]]:
    """Service code -> the need categories it answers, of the active services needing a NIK."""
    rows = db.session.execute(
        sa.select(Service.code, Service.needs).where(Service.needs_nik.is_(True), Service.active.is_(True))
    ).all()
    return {code: list(needs or ()) for code, needs in rows}


def _has_nik(case: Case, person_ids: Iterable[int | None]) -> dict[int, bool]:
    """person id -> is a NIK recorded, from the people the case has loaded (reporter, needs)."""
    people: dict[int, Person] = {}
    if case.reporter is not None:
        people[case.reporter.id] = case.reporter
    for need in case.needs:
        if need.person is not None:
            people[need.person.id] = need.person
    return {pid: people[pid].nik_hash is not None for pid in person_ids if pid in people}


def case_follow_up(
    case: Case, referrals: Sequence[Referral], catalogue: NikServices | None = None
) -> dict[int, NeedFollowUp]:
    """Each need's follow-up for the case page and the case's own closing (one more statement,
    the NIK services, only when the case has a prerequisite referral)."""
    if not has_prerequisite(referrals):
        return follow_up(case, referrals)
    catalogue = nik_services() if catalogue is None else catalogue
    people = {concerned_person_id(case, n) for n in case.needs}
    return follow_up(case, referrals, catalogue, _has_nik(case, people))


@dataclass
class ReadyCase:
    """One line of "Tindak lanjut": a case whose prerequisite is met, and per person the
    services that waited for it and may now be referred on its route page."""

    case: Case
    person: Person | None
    services: list[str]


def ready_cases(user: Any, limit: int = LIMIT) -> list[ReadyCase]:
    """Open cases in `user`'s scope with a resolved prerequisite (ADMINDUK) for a person whose NIK
    is now recorded, and needs of that person whose NIK services are neither referred nor closed.

    One statement when there is nothing to list; four more when there is, whatever the number
    of cases (the cases with needs and people, their referrals, the NIK services).
    """
    candidates = db.session.scalars(
        visible(Referral, user)
        .with_only_columns(Referral.case_id)
        .join(Service, Service.id == Referral.service_id)
        .join(Person, Person.id == Referral.person_id)
        .join(Case, Case.id == Referral.case_id)
        .where(
            Service.code == PREREQUISITE_SERVICE,
            Referral.status == ReferralStatus.RESOLVED,
            Person.nik_hash.is_not(None),
            Case.status == CaseStatus.OPEN,
        )
        .group_by(Referral.case_id)
        .order_by(sa.func.max(Referral.closed_at).desc(), Referral.case_id)
        .limit(limit)
    ).all()
    if not candidates:
        return []
    cases = (
        db.session.scalars(
            sa.select(Case)
            .where(Case.id.in_(candidates))
            .options(sa.orm.joinedload(Case.reporter), selectinload(Case.needs).joinedload(Need.person))
        )
        .unique()
        .all()
    )
    referrals = db.session.scalars(
        sa.select(Referral).where(Referral.case_id.in_(candidates)).order_by(Referral.id)
    ).all()
    catalogue = nik_services()
    by_case: dict[int, list[Referral]] = {}
    for referral in referrals:
        by_case.setdefault(referral.case_id, []).append(referral)
    order = {case_id: i for i, case_id in enumerate(candidates)}
    out: list[ReadyCase] = []
    for case in sorted(cases, key=lambda c: order[c.id]):
        per_person: dict[int | None, list[str]] = {}
        for item in case_follow_up(case, by_case.get(case.id, []), catalogue).values():
            if item.ready:
                codes = per_person.setdefault(concerned_person_id(case, item.need), [])
                codes.extend(code for code in item.ready if code not in codes)
        people = {p.id: p for p in [case.reporter, *(n.person for n in case.needs)] if p is not None}
        for person_id, codes in per_person.items():
            out.append(ReadyCase(case, people.get(person_id) if person_id else None, codes))
    return out


def waiting_service_names(case_id: int) -> list[str]:
    """The names of the services of a case that wait for a prerequisite (the citizen's status
    page says "menunggu dokumen kependudukan" for each); read only for a case that has one."""
    case = db.session.get(Case, case_id)
    if case is None:
        return []
    referrals = db.session.scalars(sa.select(Referral).where(Referral.case_id == case_id)).all()
    codes: list[str] = []
    for item in case_follow_up(case, referrals).values():
        codes.extend(code for code in item.waiting if code not in codes)
    if not codes:
        return []
    rows = db.session.execute(sa.select(Service.code, Service.name).where(Service.code.in_(codes)))
    names = {code: name for code, name in rows}
    return [names.get(code, code) for code in codes]
