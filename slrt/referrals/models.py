from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from slrt.core.db import enum_column, utcnow
from slrt.extensions import Model


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
OPEN_PREDICATE = "person_id IS NOT NULL AND status NOT IN ('resolved', 'rejected', 'cancelled')"
# Whose clock runs: the agency must answer while SENT, and finish while ACCEPTED or IN_PROGRESS.
RESPOND_CLOCK: tuple[ReferralStatus, ...] = (ReferralStatus.SENT,)
RESOLVE_CLOCK: tuple[ReferralStatus, ...] = (ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS)


class RejectReason(enum.StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    NOT_RESPONSIBLE = "not_responsible"
    DUPLICATE = "duplicate"
    INCOMPLETE_DOCUMENTS = "incomplete_documents"
    OTHER = "other"


REJECT_REASON_LABELS = {
    RejectReason.NOT_ELIGIBLE: _l("Tidak memenuhi syarat"),
    RejectReason.NOT_RESPONSIBLE: _l("Bukan wewenang lembaga kami"),
    RejectReason.DUPLICATE: _l("Rujukan ganda"),
    RejectReason.INCOMPLETE_DOCUMENTS: _l("Dokumen tidak lengkap"),
    RejectReason.OTHER: _l("Alasan lain"),
}


class Outcome(enum.StrEnum):
    GRANTED = "granted"
    SERVICE_DELIVERED = "service_delivered"
    PARTLY_DELIVERED = "partly_delivered"
    NOT_GRANTED = "not_granted"


OUTCOME_LABELS = {
    Outcome.GRANTED: _l("Bantuan disetujui"),
    Outcome.SERVICE_DELIVERED: _l("Layanan sudah diberikan"),
    Outcome.PARTLY_DELIVERED: _l("Sebagian sudah diberikan"),
    Outcome.NOT_GRANTED: _l("Tidak dapat diberikan"),
}


class NotGrantedReason(enum.StrEnum):
    """Why a resolved referral was "not granted", as codes the reports count."""

    NOT_ELIGIBLE = "not_eligible"
    QUOTA_FULL = "quota_full"
    DOCUMENTS_INCOMPLETE = "documents_incomplete"
    CITIZEN_UNREACHABLE = "citizen_unreachable"
    DUPLICATE = "duplicate"


NOT_GRANTED_REASON_LABELS = {
    NotGrantedReason.NOT_ELIGIBLE: _l("Tidak memenuhi syarat"),
    NotGrantedReason.QUOTA_FULL: _l("Kuota sudah penuh"),
    NotGrantedReason.DOCUMENTS_INCOMPLETE: _l("Dokumen tidak lengkap"),
    NotGrantedReason.CITIZEN_UNREACHABLE: _l("Warga tidak dapat dihubungi"),
    NotGrantedReason.DUPLICATE: _l("Ganda: sudah menerima atau sudah dirujuk"),
}


class DeadlineStatus(enum.StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    PAUSED = "paused"


DEADLINE_LABELS = {
    DeadlineStatus.ON_TRACK: _l("Sesuai jadwal"),
    DeadlineStatus.AT_RISK: _l("Hampir jatuh tempo"),
    DeadlineStatus.OVERDUE: _l("Terlambat"),
    DeadlineStatus.PAUSED: _l("Tenggat dijeda"),
}


# How a draft's stored reason starts when routing said "Perlu data tambahan" (the reasons are
# stored in Indonesian: slrt.routing.reasons.summary; tests/test_agency_loop.py ties the two).
NEEDS_DATA_PREFIX = "Perlu data tambahan."


def needs_more_data(reason: str | None) -> bool:
    """Routing could not settle this referral's eligibility: a fact was still unknown."""
    return (reason or "").startswith(NEEDS_DATA_PREFIX)


# The moves a desk writes its note on ("Lansia tanpa NIK, mohon diprioritaskan"), shown to the
# approver and to the agency.
DESK_NOTE_STATUSES = (ReferralStatus.SENT, ReferralStatus.AWAITING_APPROVAL)


class Referral(Model):
    """One need sent to one service at one agency. `version` guards against lost updates."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id"), index=True)
    # The person the referral concerns (the need's person, else the case's reporter), kept by
    # the before_insert hook below: one open referral per person and service, in any case.
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("persons.id"), index=True)
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
    # First day the deadline counts as "at risk" (under 25% of the working days left); stored so
    # lists can filter on it in SQL.
    respond_risk_from: Mapped[date | None]
    resolve_risk_from: Mapped[date | None]
    # When the desk told the citizen the outcome (the desk home lists what is still to tell).
    citizen_informed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(32))
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    # With outcome "not_granted": a NotGrantedReason code.
    outcome_reason: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # The SLA sweep reads only due rows: partial indexes on the running clocks.
        sa.Index(
            "ix_referrals_respond_clock",
            "respond_due",
            postgresql_where=sa.text("status = 'sent'"),
            sqlite_where=sa.text("status = 'sent'"),
        ),
        sa.Index(
            "ix_referrals_resolve_clock",
            "resolve_due",
            postgresql_where=sa.text("status IN ('accepted', 'in_progress')"),
            sqlite_where=sa.text("status IN ('accepted', 'in_progress')"),
        ),
        # "At risk" lists and counts, likewise only over running clocks.
        sa.Index(
            "ix_referrals_respond_risk",
            "respond_risk_from",
            postgresql_where=sa.text("status = 'sent'"),
            sqlite_where=sa.text("status = 'sent'"),
        ),
        sa.Index(
            "ix_referrals_resolve_risk",
            "resolve_risk_from",
            postgresql_where=sa.text("status IN ('accepted', 'in_progress')"),
            sqlite_where=sa.text("status IN ('accepted', 'in_progress')"),
        ),
        # The agency inbox in its display order (urgent first, then most recently changed): the
        # first page is read straight off this index, whatever the agency's volume.
        sa.Index("ix_referrals_agency_inbox", "agency_id", "urgent", "updated_at", "id"),
        # Never twice: one open referral per person and service (issue 16), so two submits of
        # the same route page at once make one. Closed statuses as in CLOSED_STATUSES.
        sa.Index(
            "uq_referrals_open_person_service",
            "person_id",
            "service_id",
            unique=True,
            postgresql_where=sa.text(OPEN_PREDICATE),
            sqlite_where=sa.text(OPEN_PREDICATE),
        ),
        # Scope filters (village or village prefix) on PostgreSQL; see intake.models.Household.
        sa.Index(
            "ix_referrals_village_prefix",
            "village_code",
            postgresql_ops={"village_code": "varchar_pattern_ops"},
        ),
    )

    case = relationship("Case", backref=sa.orm.backref("referrals", order_by="Referral.id"))
    need = relationship("Need", backref="referrals")
    service = relationship("Service", lazy="joined")
    agency = relationship("Agency", lazy="joined")
    office = relationship("Office")
    events = relationship("ReferralEvent", back_populates="referral", order_by="ReferralEvent.id")

    @property
    def status_label(self) -> str:
        return str(REFERRAL_STATUS_LABELS[self.status])


class ReferralEvent(Model):
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


class LetterCounter(Model):
    """The last letter number used per office and year; the row is locked while it is incremented."""

    __tablename__ = "letter_counters"

    office_code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class IssuedLetter(Model):
    """A referral letter as it was first printed: the PDF, its SHA-256 digest and the
    unguessable code its QR carries to the public verification page (/verifikasi/<code>), so
    an agency can tell a genuine letter from a forged or altered one. One per letter number: a
    referral sent again to another agency gets a new number and a new letter."""

    __tablename__ = "issued_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)  # a tracking-style code
    # The addressee as printed: a referral sent on to another agency gets a new letter.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    dated: Mapped[date | None]  # the date printed, on the office's own clock
    hides_reporter: Mapped[bool] = mapped_column(default=False)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    referral = relationship(Referral)
    agency = relationship("Agency")


class BreachKind(enum.StrEnum):
    RESPOND = "respond"
    RESOLVE = "resolve"


BREACH_KIND_LABELS = {
    BreachKind.RESPOND: _l("Belum dijawab lembaga"),
    BreachKind.RESOLVE: _l("Belum selesai ditangani"),
}


class ReferralBreach(Model):
    """One missed deadline, recorded once by the SLA sweep (so it is notified once)."""

    __tablename__ = "referral_breaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    kind: Mapped[BreachKind] = mapped_column(enum_column(BreachKind, "breach_kind"))
    due: Mapped[date]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)

    referral = relationship(Referral)

    __table_args__ = (sa.UniqueConstraint("referral_id", "kind", "due", name="uq_referral_breaches_once"),)


@sa.event.listens_for(Referral, "before_insert")
def _keep_person_id(_mapper: Any, connection: Any, referral: Referral) -> None:
    """Every writer of a referral records whom it concerns (as Person keeps name_search)."""
    if referral.person_id is not None:
        return
    need = referral.__dict__.get("need")
    if need is not None and need.person_id is not None:
        referral.person_id = need.person_id
        return
    need_id = referral.need_id if referral.need_id is not None else getattr(need, "id", None)
    if need_id is None:
        return
    from slrt.intake.models import Case, Need

    referral.person_id = connection.scalar(
        sa.select(sa.func.coalesce(Need.person_id, Case.reporter_id))
        .join(Case, Need.case_id == Case.id)
        .where(Need.id == need_id)
    )
