"""The SLA sweep: records each newly missed deadline once (a ReferralBreach row) and notifies the
agency and the SLRT supervisors; escalates it once to the agency head, and reminds the agency once
of each deadline that became at risk (reminders.py). When a referral counts as overdue is decided
in deadlines.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from slrt.core.audit import audit
from slrt.core.workdays import Today, local_today_clause
from slrt.extensions import db
from slrt.notifications.models import NotificationChannel
from slrt.notifications.services import enqueue
from slrt.referrals import reminders
from slrt.referrals.deadlines import past_due
from slrt.referrals.models import RESOLVE_CLOCK, RESPOND_CLOCK, BreachKind, Referral, ReferralBreach
from slrt.referrals.notices import agency_recipients, referral_url, supervisor_recipients


@dataclass
class SweepReport:
    breaches: int = 0
    notifications: int = 0
    escalations: int = 0
    reminders: int = 0
    referral_ids: list[int] = field(default_factory=list)


def sweep(today: date | None = None, batch: int = 1000) -> SweepReport:
    """Records each newly missed deadline once and notifies the agency and the SLRT supervisors.

    Reads only due rows (partial indexes on the running clocks) that have no breach yet for the
    same deadline; commits per batch, so it is safe to run every few minutes and to interrupt.
    """
    # Long on purpose: one loop per clock kind, each reading due rows in batches, recording a breach,
    # queueing its notices and committing the batch; the batch boundary is the point and stays visible in
    # one place.
    # Each referral's own day: a Papua deadline is missed when Papua's day ends, not Jakarta's.
    day: Today = local_today_clause(Referral.village_code) if today is None else today
    report = SweepReport()
    supervisors: dict[str, list[tuple[int, str]]] = {}
    agencies: dict[int | None, list[tuple[int | None, str]]] = {}
    for kind, statuses, due_col in (
        (BreachKind.RESPOND, RESPOND_CLOCK, Referral.respond_due),
        (BreachKind.RESOLVE, RESOLVE_CLOCK, Referral.resolve_due),
    ):
        already = sa.exists().where(
            ReferralBreach.referral_id == Referral.id,
            ReferralBreach.kind == kind,
            ReferralBreach.due == due_col,
        )
        last_id = 0
        while True:
            rows = db.session.scalars(
                sa.select(Referral)
                .where(Referral.status.in_(statuses), past_due(due_col, day), ~already, Referral.id > last_id)
                .order_by(Referral.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            for referral in rows:
                last_id = referral.id
                due = referral.respond_due if kind is BreachKind.RESPOND else referral.resolve_due
                if due is None:  # not read: the query takes only referrals whose due date passed
                    continue
                db.session.add(ReferralBreach(referral_id=referral.id, kind=kind, due=due))
                data = {
                    "kind": kind.value,
                    "letter": referral.letter_number or f"#{referral.id}",
                    "service": referral.service.name,
                    "agency": referral.agency.name if referral.agency else "",
                    "due": due.isoformat(),
                    "url": referral_url(referral),
                }
                recipients: list[tuple[int | None, str]] = []
                if referral.agency is not None:
                    if referral.agency_id not in agencies:
                        agencies[referral.agency_id] = agency_recipients(referral.agency)
                    recipients += agencies[referral.agency_id]
                if referral.village_code not in supervisors:
                    supervisors[referral.village_code] = supervisor_recipients(referral.village_code)
                recipients += supervisors[referral.village_code]
                for user_id, email in dict.fromkeys(recipients):
                    enqueue(
                        email,
                        NotificationChannel.EMAIL,
                        "referral_breach",
                        data,
                        user_id=user_id,
                        referral_id=referral.id,
                    )
                    report.notifications += 1
                audit("referral.breach", referral, detail={"kind": kind.value, "due": due.isoformat()})
                if reminders.escalate(referral, due):
                    report.escalations += 1
                report.breaches += 1
                report.referral_ids.append(referral.id)
            db.session.commit()
    report.reminders = reminders.remind_at_risk(day, batch)
    return report
