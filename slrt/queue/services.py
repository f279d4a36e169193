"""Handing out numbers, calling the next visitor, and ending a ticket. Plain Python over the
session: it only flushes (the request commits, slrt.core.transaction).

Two officers may press "Panggil berikutnya" at the same moment. The next ticket is chosen with
SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (the second officer skips the row the first
holds) and taken with a conditional UPDATE (... WHERE status = 'waiting'), which alone keeps
SQLite, or a row chosen before the other's commit, from being called twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, session
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from slrt.accounts.services import ValidationFailed
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.web import held, hold
from slrt.core.workdays import local_today
from slrt.directory.models import Office
from slrt.extensions import db
from slrt.intake.models import Case
from slrt.queue.models import FastTrackReason, QueueTicket, TicketStatus

S = TicketStatus
# One state change per move; calling is `call_next`, which takes the ticket it chooses.
ALLOWED = {
    S.WAITING: frozenset({S.CALLED, S.LEFT}),
    S.CALLED: frozenset({S.SERVED, S.LEFT}),
    S.SERVED: frozenset(),
    S.LEFT: frozenset(),
}
NAME_MAX = 120
COUNTER_MAX = 20
# A number handed out at the same moment by two desks of one office collides on the unique
# (office, day, number); the later one takes the next number.
ISSUE_ATTEMPTS = 5
# Session key: the ticket whose visitor's case is being opened (linked when the case is saved).
HELD_TICKET = "queue_ticket_for_case"


class TransitionRefused(Exception):
    """The ticket is not in a state that allows the move (someone else moved it first)."""


@dataclass(frozen=True)
class Queue:
    """One office's queue on one local day."""

    office: Office
    day: date


def today_queue(office: Office, now: datetime | None = None) -> Queue:
    """The office's queue of today, on the office's own clock (WIB, WITA or WIT), never UTC."""
    return Queue(office, local_today(office.region_code, now or utcnow()))


def number_text(fast_track: bool, seq: int) -> str:
    """P-01, P-02, ... for the fast track; 001, 002, ... for everyone else."""
    return f"P-{seq:02d}" if fast_track else f"{seq:03d}"


def in_calling_order(stmt: sa.Select) -> sa.Select:
    """Fast-track tickets before regular ones; within each, by number."""
    return stmt.order_by(QueueTicket.fast_track.desc(), QueueTicket.seq)


def _of(queue: Queue) -> list[sa.ColumnElement[bool]]:
    return [QueueTicket.office_id == queue.office.id, QueueTicket.day == queue.day]


def issue(
    queue: Queue,
    actor: Any,
    *,
    fast_track: bool = False,
    reason: str | None = None,
    visitor_name: str | None = None,
) -> QueueTicket:
    """Hands the visitor the next number of its kind. Raises ValidationFailed on bad input,
    having written nothing."""
    errors: dict[str | None, list[str]] = {}
    name = (visitor_name or "").strip() or None
    if name and len(name) > NAME_MAX:
        errors["visitor_name"] = [_("Nama paling panjang %(n)d huruf.", n=NAME_MAX)]
    code = None
    if reason:
        try:
            code = FastTrackReason(reason)
        except ValueError:
            errors["reason"] = [_("Pilih alasan jalur cepat dari daftar.")]
        if code is not None and not fast_track:
            errors["reason"] = [_("Alasan jalur cepat hanya diisi bila pengunjung masuk jalur cepat.")]
    if errors:
        raise ValidationFailed(errors)
    for _attempt in range(ISSUE_ATTEMPTS):
        last = db.session.scalar(
            sa.select(sa.func.max(QueueTicket.seq)).where(*_of(queue), QueueTicket.fast_track == fast_track)
        )
        seq = (last or 0) + 1
        ticket = QueueTicket(
            office_id=queue.office.id,
            region_code=queue.office.region_code,
            day=queue.day,
            fast_track=fast_track,
            seq=seq,
            number=number_text(fast_track, seq),
            fast_track_reason=code,
            visitor_name=name,
            created_by_id=getattr(actor, "id", None),
            created_at=utcnow(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(ticket)
        except IntegrityError:
            continue
        audit("queue.issue", ticket, actor=actor, detail={"number": ticket.number})
        return ticket
    raise ValidationFailed({None: [_("Nomor antrean sedang dibagikan di meja lain. Coba lagi.")]})


def waiting(queue: Queue, limit: int | None = None) -> list[QueueTicket]:
    """The day's waiting tickets, in calling order."""
    stmt = in_calling_order(sa.select(QueueTicket).where(*_of(queue), QueueTicket.status == S.WAITING))
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def waiting_count(queue: Queue) -> int:
    return (
        db.session.scalar(sa.select(sa.func.count()).where(*_of(queue), QueueTicket.status == S.WAITING)) or 0
    )


def called(queue: Queue, limit: int = 10) -> list[QueueTicket]:
    """The day's tickets called so far, the latest first (served and left ones included: the
    display shows what was called)."""
    return list(
        db.session.scalars(
            sa.select(QueueTicket)
            .where(*_of(queue), QueueTicket.called_at.is_not(None))
            .order_by(QueueTicket.called_at.desc(), QueueTicket.id.desc())
            .limit(limit)
        )
    )


def call_next(queue: Queue, actor: Any, counter: str | None = None) -> QueueTicket | None:
    """Calls the first waiting ticket (fast track first) to `counter`; None when nobody waits.
    Safe when several officers call at once: each gets a ticket of its own."""
    counter = (counter or "").strip()[:COUNTER_MAX] or None
    while True:
        candidate = db.session.scalar(
            in_calling_order(sa.select(QueueTicket.id).where(*_of(queue), QueueTicket.status == S.WAITING))
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        now = utcnow()
        taken = db.session.execute(
            sa.update(QueueTicket)
            .where(QueueTicket.id == candidate, QueueTicket.status == S.WAITING)
            .values(status=S.CALLED, called_at=now, called_by_id=getattr(actor, "id", None), counter=counter)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            ticket = db.session.scalars(
                sa.select(QueueTicket)
                .where(QueueTicket.id == candidate)
                .execution_options(populate_existing=True)
            ).one()
            audit("queue.call", ticket, actor=actor, detail={"number": ticket.number, "counter": counter})
            return ticket
        # Another officer took it between our read and our update: try the next one.


def transition(ticket: QueueTicket, to: TicketStatus, actor: Any) -> None:
    """Moves a ticket along ALLOWED (served, or left), with its audit row."""
    if to not in ALLOWED[ticket.status]:
        raise TransitionRefused(ticket.status, to)
    before = ticket.status
    ticket.status = to
    ticket.finished_at = utcnow()
    db.session.flush()
    audit("queue.status", ticket, actor=actor, detail={"from": before.value, "to": to.value})


def start_case(ticket: QueueTicket, actor: Any) -> None:
    """The visitor at the desk gets a case: the ticket is served, and the case the officer saves
    next (intake's new-case form) is linked to it (`_link_new_case`)."""
    if ticket.status is S.CALLED:
        transition(ticket, S.SERVED, actor)
    elif ticket.status is not S.SERVED or ticket.case_id is not None:
        raise TransitionRefused(ticket.status, S.SERVED)
    hold(HELD_TICKET, ticket.id)


@sa.event.listens_for(Session, "before_flush")
def _link_new_case(sess: Session, _context: Any, _instances: Any) -> None:
    # Intake sits below the queue and knows nothing of it; the queue listens for the new case
    # instead. Only a request that went through "Buka kasus" holds a ticket.
    if not has_request_context() or HELD_TICKET not in session:
        return
    new_cases = [obj for obj in sess.new if isinstance(obj, Case)]
    if not new_cases:
        return
    with sess.no_autoflush:
        ticket = sess.get(QueueTicket, held(HELD_TICKET))
        case = new_cases[0]
        office_id = case.office.id if case.office is not None else case.office_id
        # Kept in the session until then: a save refused (a likely duplicate shown first) and
        # sent again still links. A ticket links once, and only to a case of its own office.
        if ticket is not None and ticket.case_id is None and ticket.office_id == office_id:
            ticket.case = case


def ahead_of(ticket: QueueTicket) -> int:
    """How many waiting tickets are called before this one (0 once it was called)."""
    if ticket.status is not S.WAITING:
        return 0
    before = (
        sa.or_(QueueTicket.fast_track.is_(True), QueueTicket.seq < ticket.seq)
        if not ticket.fast_track
        else sa.and_(QueueTicket.fast_track.is_(True), QueueTicket.seq < ticket.seq)
    )
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                QueueTicket.office_id == ticket.office_id,
                QueueTicket.day == ticket.day,
                QueueTicket.status == S.WAITING,
                before,
            )
        )
        or 0
    )
