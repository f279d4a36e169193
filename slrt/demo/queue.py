"""Demo step for the visitor queue: today's queue at the Cileunyi Kulon desk, with one number
called to counter 1, a fast-track visitor and three others waiting. Idempotent: nothing is
added when the desk already has numbers today (a seed run again the next day adds that day's)."""

from __future__ import annotations

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.directory.models import Office
from slrt.extensions import db
from slrt.queue import services as queue
from slrt.queue.models import QueueTicket

OFFICE = "PKS-3204052001"
# (fast track, reason, the name the front office typed)
VISITORS = [
    (False, None, "Ibu Kokom"),
    (False, None, "Pak Ujang"),
    (True, "lansia", "Mak Icih"),
    (False, None, None),
    (False, None, "Teh Lilis"),
]


def seed(ctx: dict) -> None:
    office = db.session.scalar(sa.select(Office).where(Office.code == OFFICE))
    desk = db.session.scalar(sa.select(User).where(User.username == "desk"))
    if office is None:
        return
    today = queue.today_queue(office)
    if db.session.scalar(
        sa.select(QueueTicket.id)
        .where(QueueTicket.office_id == office.id, QueueTicket.day == today.day)
        .limit(1)
    ):
        return
    queue.issue(today, desk, visitor_name=VISITORS[0][2])
    # Called before the fast-track visitor arrived: 001 is at the desk, P-01 is next.
    queue.call_next(today, desk, "1")
    for fast, reason, name in VISITORS[1:]:
        queue.issue(today, desk, fast_track=fast, reason=reason, visitor_name=name)
    db.session.flush()
    ctx["queue_display"] = f"/antrean/layar/{office.code}"
