"""Demo privacy: a consent record behind every consented demo case, one NIK revealed with a
reason (audited), one withdrawn consent and one pending erasure request. Idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.audit import AuditEvent
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy import consent, erasure, revealing
from slrt.privacy.models import ConsentRecord, ErasureRequest

VILLAGE = "32.04.05.2001"


def seed(ctx: dict) -> None:
    desk = db.session.scalar(sa.select(User).where(User.username == "desk"))
    if desk is None:
        return
    _backfill_consents(desk)
    _reveal(desk)
    _withdrawal(desk)
    _erasure_request(desk)
    db.session.flush()


def _backfill_consents(desk: User) -> None:
    """The foundation's cases are made without the intake service: give each consented one its
    consent record, as the desk would have written it."""
    has_record = sa.select(ConsentRecord.case_id).where(ConsentRecord.case_id.is_not(None))
    cases = db.session.scalars(
        sa.select(m.Case).where(
            m.Case.consent_given.is_(True), m.Case.reporter_id.is_not(None), m.Case.id.not_in(has_record)
        )
    )
    for case in cases:
        consent.record_consent(
            case.reporter, case, case.consent_by or m.ConsentBy.SELF, consent.method_for(case.channel), desk
        )


def _village_people() -> list[m.Person]:
    return list(
        db.session.scalars(
            sa.select(m.Person)
            .where(m.Person.village_code == VILLAGE, m.Person.nik_hash.is_not(None))
            .order_by(m.Person.id)
        )
    )


def _reveal(desk: User) -> None:
    if db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "person.reveal_nik").limit(1)):
        return
    people = _village_people()
    if people:
        revealing.reveal(desk, people[0], "Mencocokkan NIK dengan KTP asli saat warga datang ke desk")


def _withdrawal(desk: User) -> None:
    if db.session.scalar(sa.select(ConsentRecord.id).where(ConsentRecord.withdrawn_at.is_not(None)).limit(1)):
        return
    # A closed case: withdrawing does not strand a referral the demo wants to show moving.
    record = db.session.scalar(
        sa.select(ConsentRecord)
        .join(m.Case, m.Case.id == ConsentRecord.case_id)
        .where(m.Case.status == m.CaseStatus.CLOSED, m.Case.village_code == VILLAGE)
        .order_by(ConsentRecord.id)
        .limit(1)
    )
    if record is not None:
        consent.withdraw_consent(
            record.person, record.id, "written", "Warga tidak ingin datanya dibagikan lagi", desk
        )


def _erasure_request(desk: User) -> None:
    if db.session.scalar(sa.select(ErasureRequest.id).limit(1)):
        return
    people = [p for p in _village_people()[1:] if not erasure.open_case_ids(p)]
    if people:
        reason = "Warga pindah ke luar kabupaten dan meminta datanya dihapus"
        erasure.request_erasure(people[0], reason, desk)
