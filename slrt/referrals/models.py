from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from slrt.core.db import enum_column, utcnow
from slrt.extensions import db


class ReferralStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    SENT = "sent"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    WAITING_CITIZEN = "waiting_citizen"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    RETURNED = "returned"
    CANCELLED = "cancelled"


REFERRAL_STATUS_LABELS = {
    ReferralStatus.DRAFT: _l("Draf"),
    ReferralStatus.AWAITING_APPROVAL: _l("Menunggu persetujuan"),
    ReferralStatus.SENT: _l("Terkirim ke lembaga"),
    ReferralStatus.ACCEPTED: _l("Diterima lembaga"),
    ReferralStatus.IN_PROGRESS: _l("Sedang ditangani"),
    ReferralStatus.WAITING_CITIZEN: _l("Menunggu kelengkapan dari warga"),
    ReferralStatus.RESOLVED: _l("Selesai ditangani"),
    ReferralStatus.REJECTED: _l("Ditolak lembaga"),
    ReferralStatus.RETURNED: _l("Dikembalikan ke desk"),
    ReferralStatus.CANCELLED: _l("Dibatalkan"),
}

CLOSED_STATUSES = frozenset({ReferralStatus.RESOLVED, ReferralStatus.REJECTED, ReferralStatus.CANCELLED})


class Referral(db.Model):
    """One need sent to one service at one agency. `version` guards against lost updates."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offices.id"), index=True)
    # Denormalised from the case: the scope key, so list queries need no join.
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(
        enum_column(ReferralStatus, "referral_status"), default=ReferralStatus.DRAFT, index=True
    )
    urgent: Mapped[bool] = mapped_column(default=False)
    letter_number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why this service (engine reasons or manual)
    prerequisite_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"))
    respond_due: Mapped[date | None] = mapped_column(index=True)
    resolve_due: Mapped[date | None] = mapped_column(index=True)
    paused_since: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    case = relationship("Case", backref=sa.orm.backref("referrals", order_by="Referral.id"))
    need = relationship("Need", backref="referrals")
    service = relationship("Service", lazy="joined")
    agency = relationship("Agency", lazy="joined")
    office = relationship("Office")
    events = relationship("ReferralEvent", back_populates="referral", order_by="ReferralEvent.id")

    @property
    def status_label(self) -> str:
        return str(REFERRAL_STATUS_LABELS[self.status])


class ReferralEvent(db.Model):
    """One transition in a referral's history. Written in the same transaction as the change."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    from_status: Mapped[ReferralStatus | None] = mapped_column(enum_column(ReferralStatus, "from_status"))
    to_status: Mapped[ReferralStatus] = mapped_column(enum_column(ReferralStatus, "to_status"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(sa.Text)  # internal
    public_message: Mapped[str | None] = mapped_column(sa.Text)  # shown to the citizen
    reason: Mapped[str | None] = mapped_column(sa.String(32))

    referral = relationship(Referral, back_populates="events")
    actor = relationship("User")
