"""Consent (UU 27/2022): recording it at intake, listing it, and its withdrawal.

Services validate, change and audit in the caller's transaction; they only `flush()`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy.consent_text import CURRENT_VERSION
from slrt.privacy.models import ConsentMethod, ConsentRecord


def method_for(channel: m.Channel) -> ConsentMethod:
    """How consent is given on each channel: online on the web form, by voice on the phone,
    otherwise on the paper or screen the desk officer shows."""
    return {
        m.Channel.ONLINE: ConsentMethod.ONLINE,
        m.Channel.PHONE: ConsentMethod.VERBAL,
    }.get(channel, ConsentMethod.WRITTEN)


def record_consent(
    person: m.Person,
    case: m.Case | None,
    given_by: m.ConsentBy,
    method: ConsentMethod,
    actor: User | None,
    guardian_name: str | None = None,
    guardian_relationship: str | None = None,
    version: str = CURRENT_VERSION,
) -> ConsentRecord:
    """Adds a consent record under purpose text `version` (audited)."""
    record = ConsentRecord(
        person=person,
        case=case,
        purpose_version=version,
        given_by=given_by,
        guardian_name=(guardian_name or "").strip()[:160] or None,
        guardian_relationship=(guardian_relationship or "").strip()[:60] or None,
        method=method,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    db.session.flush()
    audit("consent.give", record, actor=actor, detail={"person_id": person.id, "version": version})
    return record


def consents_of(person: m.Person) -> list[ConsentRecord]:
    return list(
        db.session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.person_id == person.id)
            .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        )
    )


def consent_withdrawn(person_id: int | None) -> bool:
    """True when the person's latest consent was withdrawn: their data may no longer be shared."""
    if person_id is None:
        return False
    latest = db.session.scalar(
        sa.select(ConsentRecord)
        .where(ConsentRecord.person_id == person_id)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )
    return latest is not None and latest.withdrawn_at is not None


def withdraw_consent(
    person: m.Person, consent_id: int | None, method: str, note: str, actor: User
) -> ConsentRecord:
    """Records the withdrawal of a consent of `person` (audited). From then on no referral of
    their cases can be sent to an agency (see referrals.transitions.transition)."""
    errors: dict[str | None, list[str]] = {}
    record = (
        db.session.scalar(
            sa.select(ConsentRecord).where(
                ConsentRecord.id == consent_id, ConsentRecord.person_id == person.id
            )
        )
        if consent_id
        else None
    )
    if record is None:
        errors.setdefault(None, []).append(_("Persetujuan ini tidak ditemukan."))
    elif record.withdrawn_at is not None:
        errors.setdefault(None, []).append(_("Persetujuan ini sudah ditarik sebelumnya."))
    try:
        how = ConsentMethod(method)
    except ValueError:
        errors.setdefault("method", []).append(_("Pilih cara warga menarik persetujuan."))
    if errors or record is None:  # a missing record is in errors already
        raise ValidationFailed(errors)
    record.withdrawn_at = utcnow()
    record.withdrawal_method = how
    record.withdrawal_note = " ".join((note or "").split())[:500] or None
    record.withdrawn_recorded_by_id = actor.id
    db.session.flush()
    audit("consent.withdraw", record, actor=actor, detail={"person_id": person.id, "method": how.value})
    return record
