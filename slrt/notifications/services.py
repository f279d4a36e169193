"""Writing to the outbox and delivering from it, with retries and exponential backoff.

Email goes over SMTP (MAIL_SERVER/MAIL_PORT); SMS and WhatsApp go through adapters. No gateway is
reachable from these machines, so the default adapter writes the message to the log; a real
gateway registers its own adapter with `register_adapter`.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from slrt.core.db import utcnow
from slrt.extensions import db
from slrt.notifications.models import Notification, NotificationChannel, NotificationStatus

log = logging.getLogger(__name__)

# 1, 2, 4, ... 32 minutes between attempts, then hourly: a message waits out a relay that is down
# for a day. (5 attempts, 15 minutes in all, gave up on every message of an hour-long outage:
# tests/test_faults.py.)
MAX_ATTEMPTS = 30
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)


@dataclass
class Message:
    subject: str
    body: str


def render(template: str, data: dict[str, Any]) -> Message:
    """The Indonesian text for a template and its data (rendered at delivery time)."""
    d = {k: ("" if v is None else v) for k, v in data.items()}
    if template == "referral_breach":
        kind = _("belum dijawab") if d.get("kind") == "respond" else _("belum selesai ditangani")
        return Message(
            _("Rujukan terlambat: %(service)s (%(code)s)", service=d.get("service"), code=d.get("letter")),
            _(
                "Rujukan %(letter)s untuk layanan %(service)s ke %(agency)s %(kind)s padahal tenggatnya "
                "%(due)s. Mohon segera ditindaklanjuti: %(url)s",
                letter=d.get("letter"),
                service=d.get("service"),
                agency=d.get("agency"),
                kind=kind,
                due=d.get("due"),
                url=d.get("url"),
            ),
        )
    if template in ("referral_reminder", "referral_escalation"):
        subject = (
            _(
                "Eskalasi rujukan terlambat: %(service)s (%(code)s)",
                service=d.get("service"),
                code=d.get("letter"),
            )
            if template == "referral_escalation"
            else _(
                "Pengingat rujukan: %(service)s (%(code)s)", service=d.get("service"), code=d.get("letter")
            )
        )
        return Message(
            subject,
            _(
                "Rujukan %(letter)s untuk layanan %(service)s ke %(agency)s bertenggat %(due)s. Mohon "
                "dijawab atau diselesaikan dan hasilnya dicatat: %(url)s",
                letter=d.get("letter"),
                service=d.get("service"),
                agency=d.get("agency"),
                due=d.get("due"),
                url=d.get("url"),
            ),
        )
    if template == "referral_new":
        return Message(
            _("Rujukan baru: %(service)s", service=d.get("service")),
            _(
                "Ada rujukan baru %(letter)s dari %(office)s untuk layanan %(service)s. Mohon dijawab "
                "paling lambat %(due)s: %(url)s",
                letter=d.get("letter"),
                office=d.get("office"),
                service=d.get("service"),
                due=d.get("due"),
                url=d.get("url"),
            ),
        )
    if template == "citizen_update":
        text = _(
            'SLRT: rujukan Anda untuk %(service)s kini berstatus "%(status)s". %(message)s '
            "Cek status dengan kode %(code)s di %(url)s",
            service=d.get("service"),
            status=d.get("status"),
            message=d.get("message"),
            code=d.get("code"),
            url=d.get("url"),
        )
        return Message(_("Kabar rujukan Anda"), " ".join(text.split()))
    if template == "report_received":
        return Message(
            _("Kode pelacakan laporan Anda: %(code)s", code=d.get("code")),
            _(
                "SLRT: laporan Anda sudah kami terima. Kode pelacakannya %(code)s. Simpan kode ini untuk "
                "mengecek status laporan di %(url)s",
                code=d.get("code"),
                url=d.get("url"),
            ),
        )
    raise LookupError(f"unknown notification template {template}")


def enqueue(
    recipient: str | None,
    channel: NotificationChannel,
    template: str,
    data: dict[str, Any],
    *,
    user_id: int | None = None,
    referral_id: int | None = None,
) -> Notification | None:
    """Adds a message to the outbox in the current transaction (nothing when there is no address)."""
    if not recipient:
        return None
    note = Notification(
        recipient=recipient,
        channel=channel,
        template=template,
        data=data,
        user_id=user_id,
        referral_id=referral_id,
        next_attempt_at=utcnow(),
    )
    db.session.add(note)
    return note


class Adapter(Protocol):
    def send(self, recipient: str, message: Message) -> None:
        """Delivers or raises."""


class LogAdapter:
    """Writes the message to the log: the default for SMS and WhatsApp."""

    def __init__(self, channel: str):
        self.channel = channel

    def send(self, recipient: str, message: Message) -> None:
        log.info("%s to %s: %s", self.channel, recipient, message.body)


class SmtpAdapter:
    def send(self, recipient: str, message: Message) -> None:
        config = current_app.config
        email = EmailMessage()
        email["From"] = config["MAIL_SENDER"]
        email["To"] = recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            smtp.send_message(email)


_ADAPTERS: dict[NotificationChannel, Adapter] = {
    NotificationChannel.EMAIL: SmtpAdapter(),
    NotificationChannel.SMS: LogAdapter("sms"),
    NotificationChannel.WHATSAPP: LogAdapter("whatsapp"),
}


def register_adapter(channel: NotificationChannel, adapter: Adapter) -> Adapter:
    """Replaces the adapter of a channel; returns the previous one."""
    previous = _ADAPTERS[channel]
    _ADAPTERS[channel] = adapter
    return previous


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def send_due(now: datetime | None = None, limit: int = 200) -> SendReport:
    """Delivers pending messages whose time has come; each is committed on its own, so one bad
    address never holds back the others."""
    now = now or utcnow()
    report = SendReport()
    ids = db.session.scalars(
        sa.select(Notification.id)
        .where(Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    ).all()
    for ident in ids:
        note = db.session.get(Notification, ident)
        if note is None or note.status is not NotificationStatus.PENDING:
            continue
        try:
            _ADAPTERS[note.channel].send(note.recipient, render(note.template, note.data))
        except Exception as exc:  # any delivery failure is retried later; keep the reason
            note.attempts += 1
            note.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if note.attempts >= MAX_ATTEMPTS:
                note.status = NotificationStatus.FAILED
                report.failed += 1
            else:
                note.next_attempt_at = now + min(BACKOFF_BASE * 2 ** (note.attempts - 1), BACKOFF_MAX)
                report.retried += 1
            log.warning("notification %s failed (attempt %s): %s", note.id, note.attempts, exc)
        else:
            note.attempts += 1
            note.status = NotificationStatus.SENT
            note.sent_at = utcnow()
            note.last_error = None
            report.sent += 1
        db.session.commit()
    return report
