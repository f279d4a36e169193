"""DTSEN rows the import could not apply on its own: they wait for a coordinator's decision."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from slrt.core.crypto import EncryptedString, nik_digest
from slrt.core.db import enum_column, utcnow
from slrt.extensions import Model
from slrt.intake.models import Sex


class ConflictKind(enum.StrEnum):
    SEVERAL = "several"  # the row fits several registered persons
    NIK_HELD = "nik_held"  # the row's NIK belongs to a person whose name or birth date differ


class ConflictStatus(enum.StrEnum):
    OPEN = "open"
    APPLIED = "applied"
    DISMISSED = "dismissed"


CONFLICT_KIND_LABELS = {
    ConflictKind.SEVERAL: _l("Cocok dengan lebih dari satu warga"),
    ConflictKind.NIK_HELD: _l("NIK sudah tercatat pada warga dengan nama atau tanggal lahir lain"),
}
CONFLICT_STATUS_LABELS = {
    ConflictStatus.OPEN: _l("Menunggu keputusan"),
    ConflictStatus.APPLIED: _l("Diterapkan"),
    ConflictStatus.DISMISSED: _l("Diabaikan"),
}


class DtsenConflict(Model):
    """One DTSEN row with the persons it may be (`candidate_ids`), kept as the file gave it until
    a coordinator applies it to one of them or dismisses it with a reason. Scoped by the row's
    village. NIK and No. KK are encrypted at rest like everywhere else."""

    __tablename__ = "dtsen_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ConflictKind] = mapped_column(enum_column(ConflictKind, "dtsen_conflict_kind"))
    status: Mapped[ConflictStatus] = mapped_column(
        enum_column(ConflictStatus, "dtsen_conflict_status"), default=ConflictStatus.OPEN, index=True
    )
    line: Mapped[int]
    nik: Mapped[str] = mapped_column("nik_encrypted", EncryptedString)
    nik_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    kk_number: Mapped[str] = mapped_column("kk_encrypted", EncryptedString)
    name: Mapped[str] = mapped_column(sa.String(160))
    birth_date: Mapped[date]
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    desil: Mapped[int] = mapped_column(sa.SmallInteger)
    programmes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    candidate_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"))  # applied to
    dismiss_reason: Mapped[str | None] = mapped_column(sa.Text)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]

    village = relationship("Region", lazy="joined")
    resolved_by = relationship("User")

    @validates("nik")
    def _keep_nik_hash(self, _key: str, nik: str) -> str:
        self.nik_hash = nik_digest(nik)
        return nik
