"""Retention: anonymising closed cases and their people once the retention period has passed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy.models import ErasureRequest, ErasureStatus
from slrt.privacy.subject_export import cases_about
from slrt.referrals.models import Referral, ReferralEvent

ANONYMOUS_NAME = "[dianonimkan]"


@dataclass
class RetentionReport:
    cases: int = 0
    persons: int = 0
    households: int = 0
    attachments: int = 0
    requests_done: int = 0
    kept_open: list[int] = field(default_factory=list)  # persons skipped: still in an open case


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _anonymise_person(person: m.Person, now: datetime) -> None:
    person.name = ANONYMOUS_NAME
    person.nik = None
    person.phone = None
    person.email = None
    person.birth_date = person.birth_date.replace(month=1, day=1) if person.birth_date else None
    person.anonymised_at = now


def _anonymise_household(household: m.Household) -> None:
    household.kk_number = None
    household.street = None
    household.rt = household.rw = None


def _anonymise_case(case: m.Case, now: datetime, report: RetentionReport) -> None:
    case.summary = case.answer = case.outcome = case.urgency_reason = case.duplicate_reason = None
    for need in case.needs:
        need.description = None
    folder = Path(current_app.config["UPLOAD_DIR"])
    for item in list(case.attachments):
        (folder / item.stored_name).unlink(missing_ok=True)
        db.session.delete(item)
        report.attachments += 1
    for referral in db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)):
        referral.reason = referral.outcome_note = None
        for event in db.session.scalars(
            sa.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
        ):
            event.note = event.public_message = None
    case.anonymised_at = now
    report.cases += 1


def _in_open_case(person_id: int) -> bool:
    concerned = sa.select(m.Need.case_id).where(m.Need.person_id == person_id)
    return (
        db.session.scalar(
            sa.select(m.Case.id)
            .where(
                m.Case.status == m.CaseStatus.OPEN,
                sa.or_(m.Case.reporter_id == person_id, m.Case.id.in_(concerned)),
            )
            .limit(1)
        )
        is not None
    )


def run_retention(now: datetime | None = None, years: int | None = None) -> RetentionReport:
    """Anonymises closed cases closed more than `years` ago (default RETENTION_YEARS) and persons
    with an approved erasure request: names become a neutral marker; NIK, No. KK, phone, address,
    free-text notes and attachments go; counts, states, dates, regions and categories stay, so
    dashboards and reports do not change. A person (and household) still part of an open case is
    left alone. Idempotent; audited once per anonymised record."""
    # Long on purpose: expired cases, then approved erasures, then the households left with no
    # identifiable member: three passes over the same set of persons, in the order the law gives them.
    now = now or utcnow()
    years = current_app.config["RETENTION_YEARS"] if years is None else years
    report = RetentionReport()
    cutoff = _years_before(now, years)
    expired = list(
        db.session.scalars(
            sa.select(m.Case).where(
                m.Case.status == m.CaseStatus.CLOSED,
                m.Case.closed_at < cutoff,
                m.Case.anonymised_at.is_(None),
            )
        )
    )
    persons: dict[int, m.Person] = {}
    for case in expired:
        _anonymise_case(case, now, report)
        audit("case.anonymise", case, detail={"why": "retention", "years": years})
        for person in [case.reporter, *(n.person for n in case.needs)]:
            if person is not None:
                persons[person.id] = person
    approved = list(
        db.session.scalars(sa.select(ErasureRequest).where(ErasureRequest.status == ErasureStatus.APPROVED))
    )
    for item in approved:
        persons[item.person_id] = item.person
    erased_ids = {item.person_id for item in approved}
    for person in persons.values():
        if person.anonymised_at is not None:
            continue
        if _in_open_case(person.id):
            report.kept_open.append(person.id)
            continue
        if person.id in erased_ids:
            # Erasure covers the person's own closed cases too, whatever their age.
            for case in cases_about(person):
                if case.anonymised_at is None and case.status is m.CaseStatus.CLOSED:
                    _anonymise_case(case, now, report)
                    audit("case.anonymise", case, detail={"why": "erasure"})
        _anonymise_person(person, now)
        report.persons += 1
        audit(
            "person.anonymise", person, detail={"why": "erasure" if person.id in erased_ids else "retention"}
        )
        household = person.household
        # The household's number and address go with its last identifiable member.
        if household is not None and all(member.anonymised_at for member in household.members):
            _anonymise_household(household)
            report.households += 1
            audit("household.anonymise", household)
    for item in approved:
        if item.person.anonymised_at is not None:
            item.status, item.done_at = ErasureStatus.DONE, now
            report.requests_done += 1
            audit("erasure.done", item, detail={"person_id": item.person_id})
    db.session.flush()
    return report
