"""Deadlines, pause and resume, the SLA sweep (once per breach) and the notification outbox,
with email received by a real SMTP server on loopback."""

from __future__ import annotations

import socket
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from slrt.core.db import utcnow
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.notifications import services as outbox
from slrt.notifications.models import Notification, NotificationChannel, NotificationStatus
from slrt.referrals.breaches import sweep
from slrt.referrals.deadlines import deadline_status
from slrt.referrals.models import DeadlineStatus, ReferralBreach
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.transitions import transition
from tests.referral_factories import referral_in

MON = date(2026, 11, 2)  # a plain week: no holidays until Christmas


def test_sending_sets_both_deadlines_in_working_days(world):
    referral = referral_in(world, S.DRAFT)
    transition(referral, "sent", world.users["desk_a"], today=date(2026, 3, 17))
    # BPNT: respond 3, resolve 20 working days; Nyepi, Lebaran and cuti bersama do not count.
    assert referral.respond_due == date(2026, 3, 27)
    assert referral.resolve_due == date(2026, 4, 22)  # 3 April (Good Friday) skipped too
    assert referral.letter_number.endswith("/PKS-A/III/2026")


def test_deadline_status_on_track_at_risk_overdue(world):
    referral = referral_in(world, S.DRAFT)
    transition(referral, "sent", world.users["desk_a"], today=MON)
    assert referral.respond_due == date(2026, 11, 5)
    assert deadline_status(referral, MON) is DeadlineStatus.ON_TRACK
    # At risk once at most 2 working days remain (issue 17: due tomorrow is not "on track").
    assert deadline_status(referral, date(2026, 11, 3)) is DeadlineStatus.AT_RISK  # 2 of 3 left
    assert deadline_status(referral, date(2026, 11, 4)) is DeadlineStatus.AT_RISK  # 1 of 3 left
    assert deadline_status(referral, date(2026, 11, 5)) is DeadlineStatus.AT_RISK  # under 25% left
    assert deadline_status(referral, date(2026, 11, 6)) is DeadlineStatus.OVERDUE
    transition(referral, "accepted", world.users["agency"], today=MON)
    # 20 working days to 30 Nov; at risk when fewer than 5 remain.
    assert referral.resolve_due == date(2026, 11, 30)
    assert deadline_status(referral, date(2026, 11, 23)) is DeadlineStatus.ON_TRACK
    assert deadline_status(referral, date(2026, 11, 24)) is DeadlineStatus.AT_RISK
    assert deadline_status(referral, date(2026, 12, 1)) is DeadlineStatus.OVERDUE


def test_waiting_for_the_citizen_pauses_the_clock_and_resuming_shifts_the_deadline(world):
    referral = referral_in(world, S.DRAFT)
    transition(referral, "sent", world.users["desk_a"], today=MON)
    transition(referral, "accepted", world.users["agency"], today=MON)
    due = referral.resolve_due
    transition(
        referral, "waiting_citizen", world.users["agency"], note="KK belum ada", today=date(2026, 11, 4)
    )
    assert referral.paused_since == date(2026, 11, 4)
    assert deadline_status(referral, date(2026, 12, 20)) is DeadlineStatus.PAUSED
    transition(referral, "in_progress", world.users["agency"], today=date(2026, 11, 11))
    # Paused Thu 5 .. Wed 11 November: 5 working days.
    assert referral.paused_since is None
    assert referral.resolve_due == date(2026, 12, 7) and due == date(2026, 11, 30)
    assert deadline_status(referral, date(2026, 12, 1)) is DeadlineStatus.AT_RISK


def _overdue_world(world):
    world.users["agency"].email = "dinsos@example.go.id"
    world.users["slrt"].email = "slrt@example.go.id"
    world.users["other_agency"].email = "dukcapil@example.go.id"
    # Dates derived from the office's today: the overdue page and a sweep without `today` use
    # the real clock, so fixed dates turn "on time" into "overdue" as the calendar moves on.
    today = local_today()
    late_answer = referral_in(world, S.SENT, today=today - timedelta(days=60))
    late_work = referral_in(world, S.ACCEPTED, today=today - timedelta(days=90))
    on_time = referral_in(world, S.SENT, today=today)
    db.session.commit()
    return late_answer, late_work, on_time


def test_sweep_marks_breaches_and_notifies_once_even_when_run_twice(world):
    late_answer, late_work, on_time = _overdue_world(world)
    today, tomorrow = local_today(), local_today() + timedelta(days=1)
    # The on-time referral's agency is reminded once, on the day it becomes at risk (issue 17);
    # which day that is depends on the weekday the suite runs on, so it is computed here.
    at_risk = [deadline_status(on_time, day) is DeadlineStatus.AT_RISK for day in (today, tomorrow)]
    first = sweep(today=today)
    assert first.reminders == int(at_risk[0])
    assert sorted(first.referral_ids) == sorted([late_answer.id, late_work.id])
    recipients = db.session.scalars(
        sa.select(Notification.recipient).where(Notification.template == "referral_breach")
    ).all()
    assert recipients.count("dinsos@example.go.id") == len(first.referral_ids)
    assert recipients.count("slrt@example.go.id") == len(first.referral_ids)
    assert "dukcapil@example.go.id" not in recipients
    kinds = dict(db.session.execute(sa.select(ReferralBreach.referral_id, ReferralBreach.kind)).all())
    assert kinds[late_answer.id] == "respond" and kinds[late_work.id] == "resolve"

    second = sweep(today=tomorrow)
    assert second.breaches == 0 and second.notifications == 0
    assert second.reminders == int(at_risk[1] and not at_risk[0])  # never twice
    reminders = first.reminders + second.reminders
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == len(recipients) + reminders


def test_overdue_page_lists_breaches_for_the_supervisor_and_the_sending_desk(client, auth, world):
    late_answer, late_work, on_time = _overdue_world(world)
    sweep()
    for user in ("slrt.bdg", "desk.a"):
        auth.login(user)
        html = client.get("/referrals/overdue").get_data(as_text=True)
        assert f"/referrals/{late_answer.id}" in html and f"/referrals/{late_work.id}" in html
        assert f'/referrals/{on_time.id}"' not in html
        assert "Terlambat" in html and "Belum dijawab lembaga" in html
        client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("desk.b")
    assert f"/referrals/{late_answer.id}" not in client.get("/referrals/overdue").get_data(as_text=True)


def test_the_citizen_with_a_phone_is_told_when_accepted_rejected_or_resolved(world):
    world.case_a.reporter.phone = "+6281234567890"
    world.case_a.anonymous = True  # hidden from the agency, still told
    referral = world.referral_a
    transition(referral, "accepted", world.users["agency"], message="Silakan datang hari Senin.")
    transition(referral, "in_progress", world.users["agency"])
    transition(referral, "resolved", world.users["agency"], outcome="granted")
    texts = db.session.scalars(
        sa.select(Notification)
        .where(Notification.channel == NotificationChannel.SMS)
        .order_by(Notification.id)
    ).all()
    assert [n.recipient for n in texts] == ["+6281234567890"] * 2
    bodies = [outbox.render(n.template, n.data).body for n in texts]
    assert "Diterima lembaga" in bodies[0] and "Silakan datang hari Senin." in bodies[0]
    assert "Bantuan disetujui" in bodies[1] and world.case_a.tracking_code in bodies[1]


@pytest.fixture()
def smtp_server(app):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    old = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield received
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = old
    controller.stop()


def test_an_email_is_received_by_a_real_smtp_server(world, smtp_server, runner):
    _overdue_world(world)
    sweep()
    db.session.commit()
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0 and "sent" in result.output
    to_slrt = [m for m in smtp_server if m["To"] == "slrt@example.go.id"]
    assert to_slrt, [m["To"] for m in smtp_server]
    message = to_slrt[0]
    assert " ".join(message["Subject"].split()).startswith("Rujukan terlambat: Bantuan Pangan")
    body = message.get_payload(decode=True).decode("utf-8")
    assert "Mohon segera ditindaklanjuti" in body
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(Notification.status != NotificationStatus.SENT)
        )
        == 0
    )


def test_failed_delivery_is_retried_with_backoff_then_given_up(app, world):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]  # nothing listens here once the socket closes
    app.config["MAIL_PORT"], old = closed_port, app.config["MAIL_PORT"]
    try:
        note = outbox.enqueue(
            "x@example.go.id", NotificationChannel.EMAIL, "referral_new", {"service": "PKH"}
        )
        db.session.commit()
        now = utcnow()
        report = outbox.send_due(now=now)
        assert report.retried == 1 and note.attempts == 1 and note.status is NotificationStatus.PENDING
        assert note.next_attempt_at - now == timedelta(minutes=1) and "Error" in note.last_error
        assert outbox.send_due(now=now).retried == 0  # not due yet
        waits = []
        for _ in range(outbox.MAX_ATTEMPTS - 1):
            waits.append(note.next_attempt_at - now)
            now = note.next_attempt_at
            outbox.send_due(now=now)
        assert waits[:7] == [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]
        assert waits[7:] == [outbox.BACKOFF_MAX] * (outbox.MAX_ATTEMPTS - 8)
        assert note.status is NotificationStatus.FAILED and note.attempts == outbox.MAX_ATTEMPTS
    finally:
        app.config["MAIL_PORT"] = old


def test_sms_goes_through_the_log_adapter_by_default(world, caplog, monkeypatch):
    # Alembic's logging config (run by the session fixture) disables loggers that existed before.
    monkeypatch.setattr(outbox.log, "disabled", False)
    outbox.enqueue(
        "+628111",
        NotificationChannel.SMS,
        "citizen_update",
        {"service": "PKH", "status": "Diterima", "code": "ABC", "url": "http://x/status"},
    )
    db.session.commit()
    with caplog.at_level("INFO", logger="slrt.notifications.services"):
        assert outbox.send_due().sent == 1
    assert "sms to +628111" in caplog.text and "Kabar" not in caplog.text and "PKH" in caplog.text
