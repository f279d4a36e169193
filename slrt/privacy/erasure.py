"""Erasure requests: asking, deciding (refused while a case is open) and the reviewers' list.

Services validate, change and audit in the caller's transaction; they only `flush()`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import region_clause
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.permissions import Permission, has
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy.models import ErasureRequest, ErasureStatus
from slrt.privacy.revealing import MIN_REASON


def open_case_ids(person: m.Person) -> list[int]:
    """Open cases the person reported or is concerned by: while one is open, their data is
    still being used to serve them (and others in the case), so it cannot be erased."""
    concerned = sa.select(m.Need.case_id).where(m.Need.person_id == person.id)
    return list(
        db.session.scalars(
            sa.select(m.Case.id).where(
                m.Case.status == m.CaseStatus.OPEN,
                sa.or_(m.Case.reporter_id == person.id, m.Case.id.in_(concerned)),
            )
        )
    )


def request_erasure(person: m.Person, reason: str, actor: User) -> ErasureRequest:
    """Records a person's request to erase their data, for the regency's SLRT to decide."""
    errors: dict[str | None, list[str]] = {}
    reason = " ".join((reason or "").split())[:2000]
    if len(reason) < MIN_REASON:
        errors.setdefault("reason", []).append(_("Tuliskan alasan permintaan (minimal 10 huruf)."))
    if person.anonymised_at is not None:
        errors.setdefault(None, []).append(_("Data warga ini sudah dianonimkan."))
    pending = db.session.scalar(
        sa.select(ErasureRequest.id).where(
            ErasureRequest.person_id == person.id,
            ErasureRequest.status.in_((ErasureStatus.PENDING, ErasureStatus.APPROVED)),
        )
    )
    if pending is not None:
        errors.setdefault(None, []).append(_("Sudah ada permintaan penghapusan yang belum selesai."))
    if errors:
        raise ValidationFailed(errors)
    item = ErasureRequest(
        person=person, village_code=person.village_code, reason=reason, requested_by_id=actor.id
    )
    db.session.add(item)
    db.session.flush()
    audit("erasure.request", item, actor=actor, detail={"person_id": person.id})
    return item


def pending_request(person: m.Person) -> ErasureRequest | None:
    return db.session.scalar(
        sa.select(ErasureRequest)
        .where(ErasureRequest.person_id == person.id)
        .order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc())
        .limit(1)
    )


def decide_erasure(person: m.Person, approve: bool, note: str, actor: User) -> ErasureRequest:
    """The regency's SLRT approves or rejects the person's pending request (audited). An approved
    request is carried out by the next `flask retention run`."""
    errors: dict[str | None, list[str]] = {}
    item = pending_request(person)
    if not has(actor, Permission.DECIDE_ERASURE):
        errors.setdefault(None, []).append(_("Hanya SLRT kabupaten/kota yang memutuskan penghapusan."))
    if item is None or item.status is not ErasureStatus.PENDING:
        errors.setdefault(None, []).append(_("Tidak ada permintaan penghapusan yang menunggu keputusan."))
    note = " ".join((note or "").split())[:500]
    if not approve and len(note) < MIN_REASON:
        errors.setdefault("note", []).append(_("Tuliskan alasan penolakan untuk warga (minimal 10 huruf)."))
    if approve and open_case_ids(person):
        errors.setdefault(None, []).append(
            _("Warga ini masih punya kasus terbuka. Tutup kasusnya dulu, baru penghapusan dapat disetujui.")
        )
    if errors or item is None:  # a missing request is in errors already
        raise ValidationFailed(errors)
    item.status = ErasureStatus.APPROVED if approve else ErasureStatus.REJECTED
    item.decided_by_id, item.decided_at, item.decision_note = actor.id, utcnow(), note or None
    db.session.flush()
    audit(
        "erasure.approve" if approve else "erasure.reject", item, actor=actor, detail={"person_id": person.id}
    )
    return item


def erasure_requests_for(user: User, status: ErasureStatus | None = None) -> sa.Select:
    """Erasure requests in the user's scope, newest first."""
    if not has(user, Permission.HANDLE_PRIVACY_REQUESTS):
        return sa.select(ErasureRequest).where(sa.false())
    stmt = sa.select(ErasureRequest).where(region_clause(ErasureRequest.village_code, user.scope_region_code))
    if status is not None:
        stmt = stmt.where(ErasureRequest.status == status)
    return stmt.order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc())
