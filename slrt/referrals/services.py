"""Referral operations: the one transition function, notes, letter numbers, deadlines, the SLA
sweep. They only `flush()`; the caller (a view, the API, the CLI) commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from slrt.accounts.models import Role, User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import can_view
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.workdays import WorkCalendar, calendar_for, local_today
from slrt.directory.models import Agency, Office
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus
from slrt.notifications.models import NotificationChannel
from slrt.notifications.services import enqueue
from slrt.referrals import workflow
from slrt.referrals.models import (
    CLOSED_STATUSES,
    OUTCOME_LABELS,
    REFERRAL_STATUS_LABELS,
    RESOLVE_CLOCK,
    RESPOND_CLOCK,
    BreachKind,
    DeadlineStatus,
    LetterCounter,
    Outcome,
    Referral,
    ReferralBreach,
    ReferralEvent,
    RejectReason,
)
from slrt.referrals.models import ReferralStatus as S

STALE_MESSAGE = "Rujukan ini baru saja diubah orang lain, muat ulang halaman."
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
# Citizens hear about the answers that matter to them.
CITIZEN_TOLD = (S.ACCEPTED, S.REJECTED, S.RESOLVED)


UNSENT_STATES = (S.DRAFT, S.AWAITING_APPROVAL)


class TransitionNotAllowed(Exception):
    """The move is not in the table, not for this user, or not in this state (API: 422)."""


class StaleVersion(Exception):
    """Someone else changed the referral first (API: 409)."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _(STALE_MESSAGE))


def office_of(referral: Referral) -> Office | None:
    return referral.office or (referral.case.office if referral.case else None)


def requires_approval(referral: Referral) -> bool:
    office = office_of(referral)
    return bool(office and office.requires_approval)


# --- deadlines -------------------------------------------------------------------------------


def risk_from(calendar: WorkCalendar, start: date, due: date) -> date:
    """First day on which under 25% of the working days between `start` and `due` remain."""
    total = calendar.between(start, due)
    day = start
    while day < due and calendar.between(day, due) * 4 >= total:
        day += timedelta(days=1)
    return day


def set_deadlines(referral: Referral, today: date) -> None:
    """Both deadlines from the service's SLA, counted in working days from `today`."""
    calendar = calendar_for(referral.village_code)
    service = referral.service
    referral.respond_due = calendar.add(today, service.sla_respond_days)
    referral.resolve_due = calendar.add(today, service.sla_resolve_days)
    referral.respond_risk_from = risk_from(calendar, today, referral.respond_due)
    referral.resolve_risk_from = risk_from(calendar, today, referral.resolve_due)
    referral.paused_since = None


def resume_clock(referral: Referral, today: date) -> int:
    """Shifts the resolution deadline by the working days spent waiting for the citizen."""
    if referral.paused_since is None or referral.resolve_due is None:
        referral.paused_since = None
        return 0
    calendar = calendar_for(referral.village_code)
    paused = max(calendar.between(referral.paused_since, today), 0)
    if paused:
        referral.resolve_due = calendar.add(referral.resolve_due, paused)
        if referral.resolve_risk_from:
            referral.resolve_risk_from = calendar.add(referral.resolve_risk_from, paused)
    referral.paused_since = None
    return paused


def deadline_of(referral: Referral) -> tuple[date | None, date | None]:
    """(due, at-risk-from) of the clock that is running now, or (None, None)."""
    if referral.status in RESPOND_CLOCK:
        return referral.respond_due, referral.respond_risk_from
    if referral.status in RESOLVE_CLOCK:
        return referral.resolve_due, referral.resolve_risk_from
    return None, None


def deadline_status(referral: Referral, today: date | None = None) -> DeadlineStatus | None:
    if referral.status is S.WAITING_CITIZEN:
        return DeadlineStatus.PAUSED
    due, risk = deadline_of(referral)
    if due is None:
        return None
    today = today or local_today()
    if today > due:
        return DeadlineStatus.OVERDUE
    if risk is not None and today >= risk:
        return DeadlineStatus.AT_RISK
    return DeadlineStatus.ON_TRACK


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(Referral.status.in_(RESPOND_CLOCK), Referral.respond_due < today),
        sa.and_(Referral.status.in_(RESOLVE_CLOCK), Referral.resolve_due < today),
    )


def at_risk_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(
            Referral.status.in_(RESPOND_CLOCK),
            Referral.respond_risk_from <= today,
            Referral.respond_due >= today,
        ),
        sa.and_(
            Referral.status.in_(RESOLVE_CLOCK),
            Referral.resolve_risk_from <= today,
            Referral.resolve_due >= today,
        ),
    )


# --- letters ---------------------------------------------------------------------------------


def next_letter_number(office_code: str, day: date) -> str:
    """012/PKS-3204052001/XI/2026: a sequence per office and year. The counter row is updated in
    the caller's transaction, so a concurrent sender waits for it (PostgreSQL row lock) and the
    unique letter_number catches anything else."""
    bump = (
        sa.update(LetterCounter)
        .where(LetterCounter.office_code == office_code, LetterCounter.year == day.year)
        .values(last=LetterCounter.last + 1)
        .returning(LetterCounter.last)
    )
    number = db.session.execute(bump).scalar()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.add(LetterCounter(office_code=office_code, year=day.year, last=1))
            number = 1
        except sa.exc.IntegrityError:  # another sender created the row first
            number = db.session.execute(bump).scalar()
    return f"{number:03d}/{office_code}/{ROMAN[day.month - 1]}/{day.year}"


# --- the transition function -----------------------------------------------------------------


@dataclass
class _Input:
    note: str | None
    message: str | None
    reason: str | None
    outcome: str | None
    agency: Agency | None


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _check_input(referral: Referral, rule: workflow.Rule, to: S, data: _Input) -> None:
    errors: dict[str | None, list[str]] = {}
    if rule.needs_note and not data.note:
        errors.setdefault("note", []).append(_("Tuliskan catatan atau alasannya."))
    if rule.needs_reason:
        if data.reason not in {r.value for r in RejectReason}:
            errors.setdefault("reason", []).append(_("Pilih alasan penolakan."))
        elif data.reason == RejectReason.OTHER and not data.note:
            errors.setdefault("note", []).append(_("Jelaskan alasan lain penolakan di catatan."))
    if rule.needs_outcome:
        if data.outcome not in {o.value for o in Outcome}:
            errors.setdefault("outcome", []).append(_("Pilih hasil penanganan."))
        elif data.outcome == Outcome.NOT_GRANTED and not data.note:
            errors.setdefault("note", []).append(_("Tuliskan alasan mengapa tidak dapat diberikan."))
    if rule.needs_agency:
        if data.agency is None or not data.agency.active:
            errors.setdefault("agency_id", []).append(_("Pilih lembaga penerima yang baru."))
        elif data.agency.id == referral.agency_id:
            errors.setdefault("agency_id", []).append(
                _("Pilih lembaga lain: lembaga ini sudah mengembalikan rujukan.")
            )
    if to in (S.SENT, S.AWAITING_APPROVAL) and not rule.needs_agency and referral.agency_id is None:
        errors.setdefault("agency_id", []).append(_("Tentukan dulu lembaga penerima rujukan ini."))
    if errors:
        raise ValidationFailed(errors)


def transition(
    referral: Referral,
    to: S | str,
    actor: User,
    *,
    note: str | None = None,
    message: str | None = None,
    reason: str | None = None,
    outcome: str | None = None,
    agency: Agency | None = None,
    expected_version: int | None = None,
    today: date | None = None,
) -> ReferralEvent:
    """Moves `referral` to `to` for `actor`, or raises and changes nothing.

    Checks the table and the actor's role and scope, the version the actor saw, and the input
    (note, reason, outcome, new agency); sets deadlines and dates; writes a ReferralEvent, an
    AuditEvent and the notifications; keeps the case's status in step. Only flushes.
    Raises TransitionNotAllowed, StaleVersion or ValidationFailed.
    """
    try:
        to = S(to)
    except ValueError as exc:
        raise TransitionNotAllowed(_("Status tujuan %(to)s tidak dikenal.", to=str(to))) from exc
    if not can_view(actor, referral):
        # Outside the actor's scope the referral does not exist for them (views answer 404).
        raise LookupError("referral outside the actor's scope")
    if expected_version is not None and int(expected_version) != referral.version:
        raise StaleVersion()
    current = referral.status
    approval = requires_approval(referral)
    to = workflow.resolve_target(current, to, actor.role, approval)
    rule = workflow.rule_for(current, to, actor.role, approval)
    if rule is None:
        raise TransitionNotAllowed(
            _(
                'Rujukan berstatus "%(current)s" tidak dapat diubah menjadi "%(to)s" oleh %(role)s.',
                current=REFERRAL_STATUS_LABELS[current],
                to=REFERRAL_STATUS_LABELS[to],
                role=actor.role_label,
            )
        )
    today = today or local_today()
    now = utcnow()
    data = _Input(_clean(note), _clean(message), _clean(reason), _clean(outcome), agency)
    _check_input(referral, rule, to, data)
    if (current, to) in workflow.REOPENING:
        closed = referral.closed_at.date() if referral.closed_at else None
        if closed is None or (today - closed).days > workflow.REOPEN_DAYS:
            raise TransitionNotAllowed(
                _(
                    "Banding hanya dapat diajukan paling lambat %(n)d hari setelah rujukan ditutup.",
                    n=workflow.REOPEN_DAYS,
                )
            )

    if (to in (S.SENT, S.AWAITING_APPROVAL) and current in UNSENT_STATES) or rule.needs_agency:
        from slrt.privacy.services import consent_withdrawn

        # UU PDP: a withdrawn consent ends the sharing of the person's data with agencies.
        people = {referral.case.reporter_id, referral.need.person_id if referral.need else None}
        if any(consent_withdrawn(pid) for pid in people if pid is not None):
            raise TransitionNotAllowed(
                _(
                    "Warga sudah menarik persetujuan pemrosesan datanya: rujukan tidak dapat dikirim "
                    "ke lembaga. Catat persetujuan baru bila warga setuju lagi."
                )
            )

    # Queries below autoflush the changed row: a concurrent change surfaces as StaleDataError
    # anywhere from here on, and must read as 'someone else changed it'.
    try:
        previous_agency = referral.agency
        if rule.needs_agency:
            referral.agency = data.agency
            referral.agency_id = data.agency.id
        if current is S.WAITING_CITIZEN:
            resume_clock(referral, today)
        if to is S.SENT:
            set_deadlines(referral, today)
            referral.sent_at = now
            referral.closed_at = None
            if referral.letter_number is None or rule.needs_agency:
                office = office_of(referral)
                referral.letter_number = next_letter_number(office.code if office else "SLRT", today)
        if to is S.WAITING_CITIZEN:
            referral.paused_since = today
        if to is S.REJECTED:
            referral.outcome = None
            referral.outcome_note = data.note
        if to is S.RESOLVED:
            referral.outcome = data.outcome
            referral.outcome_note = data.note
        if to in CLOSED_STATUSES:
            referral.closed_at = now
            referral.citizen_informed_at = None
        if (current, to) in workflow.REOPENING:
            referral.citizen_informed_at = None
        referral.status = to
        referral.updated_at = now

        event = ReferralEvent(
            referral=referral,
            from_status=current,
            to_status=to,
            actor_id=actor.id,
            at=now,
            note=data.note,
            public_message=data.message,
            reason=data.reason if rule.needs_reason else (data.outcome if rule.needs_outcome else None),
        )
        db.session.add(event)
        detail: dict[str, Any] = {"from": current.value, "to": to.value}
        if rule.needs_agency:
            detail["agency_from"] = previous_agency.code if previous_agency else None
            detail["agency_to"] = data.agency.code
        if data.reason:
            detail["reason"] = data.reason
        if data.outcome:
            detail["outcome"] = data.outcome
        audit("referral.transition", referral, actor=actor, detail=detail)
        _notify(referral, to, data.message)
        _sync_case(referral.case, now)
        db.session.flush()
    except StaleDataError as exc:
        raise StaleVersion() from exc
    return event


def add_note(
    referral: Referral,
    actor: User,
    note: str | None,
    *,
    message: str | None = None,
    expected_version: int | None = None,
) -> ReferralEvent:
    """A progress note without a change of state (an event from == to). Bumps the version, so a
    note and a transition made at once from two screens cannot silently cross."""
    if not can_view(actor, referral):
        raise LookupError("referral outside the actor's scope")
    if actor.role is Role.ADMIN:
        raise TransitionNotAllowed(_("Administrator tidak menulis catatan pada rujukan."))
    if expected_version is not None and int(expected_version) != referral.version:
        raise StaleVersion()
    note, message = _clean(note), _clean(message)
    if not note and not message:
        raise ValidationFailed({"note": [_("Tuliskan catatan perkembangan.")]})
    now = utcnow()
    referral.updated_at = now
    event = ReferralEvent(
        referral=referral,
        from_status=referral.status,
        to_status=referral.status,
        actor_id=actor.id,
        at=now,
        note=note,
        public_message=message,
    )
    db.session.add(event)
    audit("referral.note", referral, actor=actor)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleVersion() from exc
    return event


def mark_citizen_informed(referral: Referral, actor: User, expected_version: int | None = None) -> None:
    """The desk has told the citizen the outcome of a closed referral."""
    if not can_view(actor, referral):
        raise LookupError("referral outside the actor's scope")
    if actor.role not in workflow.DESK_SIDE:
        raise TransitionNotAllowed(_("Hanya petugas desk yang mencatat bahwa warga sudah diberi tahu."))
    if referral.status not in (S.RESOLVED, S.REJECTED):
        raise TransitionNotAllowed(_("Warga diberi tahu setelah rujukan selesai atau ditolak."))
    if expected_version is not None and int(expected_version) != referral.version:
        raise StaleVersion()
    referral.citizen_informed_at = utcnow()
    audit("referral.citizen_informed", referral, actor=actor)
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleVersion() from exc


def _sync_case(case: Case, now: datetime) -> None:
    """A case is open while one of its referrals is open, or one of its needs has no answer yet
    (slrt.referrals.needs_state); closed with a summary when every need has one."""
    from slrt.referrals.needs_state import every_need_answered

    referrals = db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)).all()
    if not referrals:
        return
    if all(r.status in CLOSED_STATUSES for r in referrals) and every_need_answered(case, referrals):
        lines = []
        for r in referrals:
            result = OUTCOME_LABELS[Outcome(r.outcome)] if r.outcome else REFERRAL_STATUS_LABELS[r.status]
            lines.append(f"{r.service.name}: {result}")
        case.status = CaseStatus.CLOSED
        case.outcome = "\n".join(lines)
        case.closed_at = case.closed_at or now
    else:
        case.status = CaseStatus.OPEN
        case.closed_at = None


def public_status_url(case: Case) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/status?code={case.tracking_code}"


def _referral_url(referral: Referral) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/referrals/{referral.id}"


def _notify(referral: Referral, to: S, message: str | None) -> None:
    """Outbox rows for the agency (a new referral) and the citizen (accepted/rejected/resolved)."""
    if to is S.SENT and referral.agency is not None:
        data = {
            "letter": referral.letter_number,
            "service": referral.service.name,
            "office": office_of(referral).name if office_of(referral) else "",
            "due": referral.respond_due.isoformat() if referral.respond_due else "",
            "url": _referral_url(referral),
        }
        for user_id, email in _agency_recipients(referral.agency):
            enqueue(
                email,
                NotificationChannel.EMAIL,
                "referral_new",
                data,
                user_id=user_id,
                referral_id=referral.id,
            )
    if to in CITIZEN_TOLD:
        reporter = referral.case.reporter
        # Anonymity hides the reporter from the agency; the citizen is still told.
        if reporter is not None and reporter.phone:
            status = (
                OUTCOME_LABELS[Outcome(referral.outcome)]
                if to is S.RESOLVED and referral.outcome
                else REFERRAL_STATUS_LABELS[to]
            )
            enqueue(
                reporter.phone,
                NotificationChannel.SMS,
                "citizen_update",
                {
                    "service": referral.service.name,
                    "status": str(status),
                    "message": message or "",
                    "code": referral.case.tracking_code,
                    "url": public_status_url(referral.case),
                },
                referral_id=referral.id,
            )


def _agency_recipients(agency: Agency) -> list[tuple[int | None, str]]:
    users = db.session.execute(
        sa.select(User.id, User.email).where(
            User.agency_id == agency.id, User.active.is_(True), User.email.is_not(None)
        )
    ).all()
    if users:
        return [(u.id, u.email) for u in users]
    return [(None, agency.email)] if agency.email else []


def _supervisor_recipients(village_code: str) -> list[tuple[int, str]]:
    """SLRT users whose regency covers the village."""
    rows = db.session.execute(
        sa.select(User.id, User.email, User.scope_region_code).where(
            User.role == Role.SLRT, User.active.is_(True), User.email.is_not(None)
        )
    ).all()
    return [
        (r.id, r.email)
        for r in rows
        if r.scope_region_code
        and (village_code == r.scope_region_code or village_code.startswith(r.scope_region_code + "."))
    ]


# --- the SLA sweep ---------------------------------------------------------------------------


@dataclass
class SweepReport:
    breaches: int = 0
    notifications: int = 0
    referral_ids: list[int] = field(default_factory=list)


def sweep(today: date | None = None, batch: int = 1000) -> SweepReport:
    """Records each newly missed deadline once and notifies the agency and the SLRT supervisors.

    Reads only due rows (partial indexes on the running clocks) that have no breach yet for the
    same deadline; commits per batch, so it is safe to run every few minutes and to interrupt.
    """
    today = today or local_today()
    report = SweepReport()
    supervisors: dict[str, list[tuple[int, str]]] = {}
    agencies: dict[int, list[tuple[int | None, str]]] = {}
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
                .where(Referral.status.in_(statuses), due_col < today, ~already, Referral.id > last_id)
                .order_by(Referral.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            for referral in rows:
                last_id = referral.id
                due = referral.respond_due if kind is BreachKind.RESPOND else referral.resolve_due
                db.session.add(ReferralBreach(referral_id=referral.id, kind=kind, due=due))
                data = {
                    "kind": kind.value,
                    "letter": referral.letter_number or f"#{referral.id}",
                    "service": referral.service.name,
                    "agency": referral.agency.name if referral.agency else "",
                    "due": due.isoformat(),
                    "url": _referral_url(referral),
                }
                recipients: list[tuple[int | None, str]] = []
                if referral.agency is not None:
                    if referral.agency_id not in agencies:
                        agencies[referral.agency_id] = _agency_recipients(referral.agency)
                    recipients += agencies[referral.agency_id]
                if referral.village_code not in supervisors:
                    supervisors[referral.village_code] = _supervisor_recipients(referral.village_code)
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
                report.breaches += 1
                report.referral_ids.append(referral.id)
            db.session.commit()
    return report
