"""Reminders and escalation: SLRT reminds an agency of a referral (from the overdue list, or the
sweep once when it becomes at risk) and, at breach, the sweep escalates once to the agency head.
Each is recorded on the referral's trail (a ReferralEvent note) and in the audit log; the
automatic ones carry the deadline they are about, and a unique index makes each happen once."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from slrt.core.audit import audit
from slrt.core.db import enum_column, utcnow
from slrt.core.workdays import Today
from slrt.extensions import Model, db
from slrt.notifications.models import NotificationChannel
from slrt.notifications.services import enqueue
from slrt.referrals.deadlines import at_risk_clause, deadline_of
from slrt.referrals.models import RESPOND_CLOCK, Referral, ReferralEvent
from slrt.referrals.notices import agency_recipients, referral_url


class ReminderKind(enum.StrEnum):
    MANUAL = "manual"  # sent by SLRT from the overdue list
    AT_RISK = "at_risk"  # by the sweep, once per deadline, when it becomes at risk
    ESCALATION = "escalation"  # by the sweep, once per breach, to the agency head


class ReferralReminder(Model):
    __tablename__ = "referral_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind, "reminder_kind"))
    due: Mapped[date | None]
    recipients: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        # The automatic ones once per deadline; SLRT may remind by hand as often as it must.
        sa.Index(
            "uq_referral_reminders_once",
            "referral_id",
            "kind",
            "due",
            unique=True,
            postgresql_where=sa.text("kind != 'manual'"),
            sqlite_where=sa.text("kind != 'manual'"),
        ),
    )


def _data(referral: Referral, due: date | None) -> dict[str, str]:
    return {
        "letter": referral.letter_number or f"#{referral.id}",
        "service": referral.service.name,
        "agency": referral.agency.name if referral.agency else "",
        "due": due.isoformat() if due else "",
        "url": referral_url(referral),
    }


def _agency_contacts(referral: Referral) -> list[tuple[int | None, str, NotificationChannel]]:
    agency = referral.agency
    if agency is None:
        return []
    contacts = [(uid, email, NotificationChannel.EMAIL) for uid, email in agency_recipients(agency)]
    if agency.phone:
        contacts.append((None, agency.phone, NotificationChannel.SMS))
    return contacts


def _head_contacts(referral: Referral) -> list[tuple[int | None, str, NotificationChannel]]:
    agency = referral.agency
    if agency is None:
        return []
    contacts: list[tuple[int | None, str, NotificationChannel]] = []
    if agency.head_email:
        contacts.append((None, agency.head_email, NotificationChannel.EMAIL))
    if agency.head_phone:
        contacts.append((None, agency.head_phone, NotificationChannel.SMS))
    return contacts


def _send(
    referral: Referral, kind: ReminderKind, due: date | None, contacts: list, actor_id: int | None
) -> ReferralReminder:
    template = "referral_escalation" if kind is ReminderKind.ESCALATION else "referral_reminder"
    data = _data(referral, due)
    for user_id, address, channel in contacts:
        enqueue(address, channel, template, data, user_id=user_id, referral_id=referral.id)
    sent_to = ", ".join(address for _uid, address, _ch in contacts)
    reminder = ReferralReminder(
        referral_id=referral.id, kind=kind, due=due, recipients=sent_to, actor_id=actor_id
    )
    db.session.add(reminder)
    notes = {
        ReminderKind.MANUAL: _("Pengingat dikirim ke lembaga: %(to)s.", to=sent_to or "–"),
        ReminderKind.AT_RISK: _(
            "Pengingat otomatis (hampir jatuh tempo) dikirim ke: %(to)s.", to=sent_to or "–"
        ),
        ReminderKind.ESCALATION: _("Eskalasi ke pimpinan lembaga dikirim ke: %(to)s.", to=sent_to or "–"),
    }
    db.session.add(
        ReferralEvent(
            referral_id=referral.id,
            from_status=referral.status,
            to_status=referral.status,
            actor_id=actor_id,
            note=notes[kind],
        )
    )
    action = {
        ReminderKind.MANUAL: "referral.remind",
        ReminderKind.AT_RISK: "referral.remind_auto",
        ReminderKind.ESCALATION: "referral.escalate",
    }[kind]
    audit(action, referral, detail={"due": data["due"], "to": len(contacts)})
    return reminder


class NoContact(Exception):
    """The agency has no e-mail or phone to remind."""


def remind(referral: Referral, actor) -> ReferralReminder:
    """A reminder SLRT sends by hand (the overdue list) to the agency's contacts."""
    contacts = _agency_contacts(referral)
    if not contacts:
        raise NoContact(_("Lembaga ini belum punya e-mail atau nomor telepon untuk diingatkan."))
    due, _risk = deadline_of(referral)
    return _send(referral, ReminderKind.MANUAL, due, contacts, actor.id)


def escalate(referral: Referral, due: date) -> bool:
    """At breach: once per missed deadline, to the agency head (when configured and known)."""
    if not current_app.config.get("ESCALATE_TO_AGENCY_HEAD", True):
        return False
    contacts = _head_contacts(referral)
    if not contacts or _already(referral.id, ReminderKind.ESCALATION, due):
        return False
    _send(referral, ReminderKind.ESCALATION, due, contacts, None)
    return True


def _already(referral_id: int, kind: ReminderKind, due: date) -> bool:
    return (
        db.session.scalar(
            sa.select(ReferralReminder.id).where(
                ReferralReminder.referral_id == referral_id,
                ReferralReminder.kind == kind,
                ReferralReminder.due == due,
            )
        )
        is not None
    )


def remind_at_risk(today: Today, batch: int = 1000) -> int:
    """The sweep's reminder: once per deadline, when a referral becomes at risk."""
    if not current_app.config.get("REMIND_AT_RISK", True):
        return 0
    running_due = sa.case(
        (Referral.status.in_(RESPOND_CLOCK), Referral.respond_due), else_=Referral.resolve_due
    )
    reminded = sa.exists().where(
        ReferralReminder.referral_id == Referral.id,
        ReferralReminder.kind == ReminderKind.AT_RISK,
        ReferralReminder.due == running_due,
    )
    sent = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            sa.select(Referral)
            .where(at_risk_clause(today), Referral.agency_id.is_not(None), ~reminded, Referral.id > last_id)
            .order_by(Referral.id)
            .limit(batch)
        ).all()
        if not rows:
            return sent
        for referral in rows:
            last_id = referral.id
            due, _risk = deadline_of(referral)
            if due is None:
                continue
            contacts = _agency_contacts(referral)
            if contacts:
                _send(referral, ReminderKind.AT_RISK, due, contacts, None)
                sent += 1
        db.session.commit()
