"""A queue ticket: one visitor's number at one office on one local day."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from slrt.core.access import region_clause, scope_rule
from slrt.core.db import enum_column, utcnow
from slrt.core.permissions import Role
from slrt.extensions import Model


class TicketStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVED = "served"
    LEFT = "left"  # called and not there, or gone before being called


TICKET_STATUS_LABELS = {
    TicketStatus.WAITING: _l("Menunggu"),
    TicketStatus.CALLED: _l("Dipanggil"),
    TicketStatus.SERVED: _l("Dilayani"),
    TicketStatus.LEFT: _l("Pergi"),
}


class FastTrackReason(enum.StrEnum):
    """Who gets a fast-track card (shared/DOMAIN.md: vulnerable visitors)."""

    ELDERLY = "lansia"
    DISABILITY = "disabilitas_berat"
    PREGNANT = "hamil"
    VIOLENCE = "korban_kekerasan"
    OTHER = "lainnya"


FAST_TRACK_REASON_LABELS = {
    FastTrackReason.ELDERLY: _l("Lanjut usia"),
    FastTrackReason.DISABILITY: _l("Disabilitas berat"),
    FastTrackReason.PREGNANT: _l("Ibu hamil"),
    FastTrackReason.VIOLENCE: _l("Korban kekerasan"),
    FastTrackReason.OTHER: _l("Alasan lain"),
}


class QueueTicket(Model):
    """A number handed to a visitor. Numbers restart each day on the office's own clock
    (`day`), in two runs: fast-track P-01, P-02, ... called before regular 001, 002, ..."""

    __tablename__ = "queue_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(sa.ForeignKey("offices.id"))
    # The office's region, copied: tickets are scoped by region like every other record.
    region_code: Mapped[str] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    day: Mapped[date]
    fast_track: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int]  # the place within the day's run of its kind
    number: Mapped[str] = mapped_column(sa.String(8))  # "P-01" or "001", as printed and called
    fast_track_reason: Mapped[FastTrackReason | None] = mapped_column(
        enum_column(FastTrackReason, "fast_track_reason")
    )
    # Typed by the officer to recognise the visitor; staff pages only, never the display.
    visitor_name: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus, "ticket_status"), default=TicketStatus.WAITING
    )
    counter: Mapped[str | None] = mapped_column(sa.String(20))  # the desk (loket) that called it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    called_at: Mapped[datetime | None]
    called_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    finished_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))

    office = relationship("Office")
    called_by = relationship("User", foreign_keys=[called_by_id])
    case = relationship("Case")

    __table_args__ = (
        sa.UniqueConstraint("office_id", "day", "number", name="uq_queue_tickets_office_day_number"),
        # Calling next reads the day's waiting tickets of one office in calling order.
        sa.Index("ix_queue_tickets_office_day_status", "office_id", "day", "status"),
    )

    @property
    def status_label(self) -> str:
        return str(TICKET_STATUS_LABELS[self.status])


@scope_rule(QueueTicket)
def _ticket_scope(model: type, user: Any) -> sa.ColumnElement[bool]:
    """The office's region, like a case's village; an agency officer sees no queue."""
    if user.role is Role.AGENCY:
        return sa.false()
    return region_clause(QueueTicket.region_code, user.scope_region_code)
