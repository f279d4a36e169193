"""Consent records and erasure requests (UU 27/2022 on personal data protection)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from slrt.core.db import enum_column, utcnow
from slrt.extensions import Model
from slrt.intake.models import ConsentBy


class ConsentMethod(enum.StrEnum):
    WRITTEN = "written"
    VERBAL = "verbal"
    ONLINE = "online"


CONSENT_METHOD_LABELS = {
    ConsentMethod.WRITTEN: _l("Tertulis"),
    ConsentMethod.VERBAL: _l("Lisan"),
    ConsentMethod.ONLINE: _l("Daring"),
}
CONSENT_BY_LABELS = {ConsentBy.SELF: _l("Warga sendiri"), ConsentBy.GUARDIAN: _l("Orang tua/wali")}


class ConsentRecord(Model):
    """One consent to the processing of a person's data, under a versioned purpose text, and its
    withdrawal. Never deleted: a withdrawn consent stays as proof of what was agreed and when."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    purpose_version: Mapped[str] = mapped_column(sa.String(20))
    given_by: Mapped[ConsentBy] = mapped_column(enum_column(ConsentBy, "consent_given_by"))
    guardian_name: Mapped[str | None] = mapped_column(sa.String(160))
    guardian_relationship: Mapped[str | None] = mapped_column(sa.String(60))
    method: Mapped[ConsentMethod] = mapped_column(enum_column(ConsentMethod, "consent_method"))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]
    withdrawal_method: Mapped[ConsentMethod | None] = mapped_column(
        enum_column(ConsentMethod, "withdrawal_method")
    )
    withdrawal_note: Mapped[str | None] = mapped_column(sa.String(500))
    withdrawn_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    person = relationship("Person")
    case = relationship("Case")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    withdrawn_recorded_by = relationship("User", foreign_keys=[withdrawn_recorded_by_id])


class ErasureStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    DONE = "done"


ERASURE_STATUS_LABELS = {
    ErasureStatus.PENDING: _l("Menunggu persetujuan"),
    ErasureStatus.APPROVED: _l("Disetujui, menunggu penghapusan"),
    ErasureStatus.REJECTED: _l("Ditolak"),
    ErasureStatus.DONE: _l("Sudah dianonimkan"),
}


class ErasureRequest(Model):
    """A person's request to erase their data: recorded at the desk, decided by the regency's
    SLRT, carried out by `flask retention run`."""

    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"), index=True)
    # The person's village when asked: the scope key (the person's name is gone once done).
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ErasureStatus] = mapped_column(
        enum_column(ErasureStatus, "erasure_status"), default=ErasureStatus.PENDING
    )
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))
    done_at: Mapped[datetime | None]

    person = relationship("Person")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
