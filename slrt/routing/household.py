"""The household side of the route page: open referrals per person and service ("never
twice"), the referrals this case has already closed, and the Need row a household-screening
find is referred under."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from slrt.directory.models import Service
from slrt.extensions import db
from slrt.intake.models import Case, Need, Person
from slrt.referrals.models import CLOSED_STATUSES, Referral


def open_referrals(person_ids: Iterable[int]) -> dict[tuple[int, str], Referral]:
    """The open referral of each (person, service code) among `person_ids`, in any case."""
    ids = [i for i in person_ids if i is not None]
    if not ids:
        return {}
    rows: Iterable[tuple[Any, ...]] = db.session.execute(
        sa.select(Referral.person_id, Service.code, Referral)
        .join(Service, Referral.service_id == Service.id)
        .where(Referral.person_id.in_(ids), Referral.status.not_in(CLOSED_STATUSES))
        .order_by(Referral.id)
    ).all()
    out: dict[tuple[int, str], Referral] = {}
    for person_id, code, referral in rows:
        out.setdefault((person_id, code), referral)
    return out


def answered_referrals(case_id: int) -> dict[tuple[int, str], Referral]:
    """The latest closed referral of each (person, service code) in this case: the service has
    had its answer here (ADMINDUK resolved, say), so the route page shows that and does not tick
    it again when the desk comes back for the services that waited for it."""
    rows: Iterable[tuple[Any, ...]] = db.session.execute(
        sa.select(Referral.person_id, Service.code, Referral)
        .join(Service, Referral.service_id == Service.id)
        .where(Referral.case_id == case_id, Referral.status.in_(CLOSED_STATUSES))
        .order_by(Referral.id.desc())
    ).all()
    out: dict[tuple[int, str], Referral] = {}
    for person_id, code, referral in rows:
        out.setdefault((person_id, code), referral)
    return out


def need_for_find(case: Case, person: Person | None, service_needs: Iterable[str]) -> Need:
    """The Need a household find is referred under: the case's need of that person and one of
    the service's categories when there is one, else a new one (the desk found the need)."""
    codes = list(service_needs)
    person_id = person.id if person is not None else None
    for need in case.needs:
        concerned = need.person_id or case.reporter_id
        if need.category_code in codes and concerned == person_id:
            return need
    need = Need(case=case, category_code=codes[0], person=person)
    db.session.add(need)
    db.session.flush()
    return need
