"""The referral state machine applied: `transition` checks the table (workflow.py), the actor and
the input, changes the state and writes the history; notes and 'citizen informed' beside it.
They only `flush()`: the caller commits."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import can_view
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.errors import Invalid, Stale
from slrt.core.permissions import Permission, has
from slrt.core.workdays import local_today
from slrt.directory.models import Agency
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus
from slrt.referrals import workflow
from slrt.referrals.deadlines import resume_clock, set_deadlines
from slrt.referrals.models import (
    CLOSED_STATUSES,
    OUTCOME_LABELS,
    REFERRAL_STATUS_LABELS,
    LetterCounter,
    NotGrantedReason,
    Outcome,
    Referral,
    ReferralEvent,
    RejectReason,
)
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.notices import notify
from slrt.referrals.queries import office_of, requires_approval

STALE_MESSAGE = _l("Rujukan ini baru saja diubah orang lain, muat ulang halaman.")
REOPEN_CONFLICT = _l(
    "Banding tidak dapat diajukan: warga ini sudah punya rujukan lain untuk layanan yang sama yang "
    "masih berjalan. Lanjutkan rujukan yang berjalan itu, atau tutup dulu sebelum membuka yang ini."
)
OPEN_INDEX = "uq_referrals_open_person_service"
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


UNSENT_STATES = (S.DRAFT, S.AWAITING_APPROVAL)


class TransitionNotAllowed(Invalid):
    """The move is not in the table, not for this user, or not in this state (422)."""


class StaleVersion(Stale):
    """Someone else changed the referral first (409)."""

    def __init__(self, message: str | None = None):
        super().__init__(message or str(STALE_MESSAGE))


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
        elif data.outcome == Outcome.NOT_GRANTED:
            if not data.note:
                errors.setdefault("note", []).append(_("Tuliskan alasan mengapa tidak dapat diberikan."))
            if data.reason not in {r.value for r in NotGrantedReason}:
                errors.setdefault("reason", []).append(_("Pilih alasan mengapa tidak dapat diberikan."))
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
    now = utcnow()
    # The office's own day (WIB, WITA or WIT): deadlines, the letter's number and its date.
    today = today or local_today(referral.village_code, now)
    data = _Input(_clean(note), _clean(message), _clean(reason), _clean(outcome), agency)
    _check_input(referral, rule, to, data)
    if rule.needs_agency and data.agency is not None:  # a missing agency was refused above
        from slrt.referrals.resending import check_resend_target

        check_resend_target(referral, data.agency, actor, data.note)
    if (current, to) in workflow.REOPENING and not workflow.within_reopen_window(referral.closed_at, today):
        raise TransitionNotAllowed(
            _(
                "Banding hanya dapat diajukan paling lambat %(n)d hari setelah rujukan ditutup.",
                n=workflow.REOPEN_DAYS,
            )
        )

    if (to in (S.SENT, S.AWAITING_APPROVAL) and current in UNSENT_STATES) or rule.needs_agency:
        from slrt.privacy.consent import consent_withdrawn

        # UU PDP: a withdrawn consent ends the sharing of the person's data with agencies.
        people = {referral.case.reporter_id, referral.need.person_id if referral.need else None}
        if any(consent_withdrawn(pid) for pid in people if pid is not None):
            raise TransitionNotAllowed(
                _(
                    "Warga sudah menarik persetujuan pemrosesan datanya: rujukan tidak dapat dikirim "
                    "ke lembaga. Catat persetujuan baru bila warga setuju lagi."
                )
            )

    reopening = (current, to) in workflow.REOPENING
    if reopening and _open_copy_exists(referral):
        raise TransitionNotAllowed(str(REOPEN_CONFLICT))

    # Queries below autoflush the changed row: a concurrent change surfaces as StaleDataError
    # anywhere from here on, and must read as 'someone else changed it'. A reopening runs in a
    # savepoint: an open copy made at the same moment trips the unique index of open referrals
    # per person and service, and then nothing of the attempt stays (as in slrt.referrals.drafts).
    try:
        with db.session.begin_nested() if reopening else contextlib.nullcontext():
            return _apply(referral, current, to, rule, data, actor, today, now)
    except StaleDataError as exc:
        raise StaleVersion() from exc
    except sa.exc.IntegrityError as exc:
        if not reopening or ("person_id" not in str(exc.orig) and OPEN_INDEX not in str(exc.orig)):
            raise
        raise TransitionNotAllowed(str(REOPEN_CONFLICT)) from exc


def _open_copy_exists(referral: Referral) -> bool:
    """Another open referral of the same person and service (in any case) than `referral`."""
    if referral.person_id is None:
        return False
    return (
        db.session.scalar(
            sa.select(Referral.id)
            .where(
                Referral.person_id == referral.person_id,
                Referral.service_id == referral.service_id,
                Referral.id != referral.id,
                Referral.status.not_in(CLOSED_STATUSES),
            )
            .limit(1)
        )
        is not None
    )


def _apply(
    referral: Referral,
    current: S,
    to: S,
    rule: workflow.Rule,
    data: _Input,
    actor: User,
    today: date,
    now: datetime,
) -> ReferralEvent:
    """The change itself, once `transition` has checked it; flushes."""
    previous_agency = referral.agency
    if rule.needs_agency and data.agency is not None:  # None was refused above
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
        referral.outcome_reason = data.reason if data.outcome == Outcome.NOT_GRANTED else None
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
    if rule.needs_agency and data.agency is not None:
        detail["agency_from"] = previous_agency.code if previous_agency else None
        detail["agency_to"] = data.agency.code
    if data.reason:
        detail["reason"] = data.reason
    if data.outcome:
        detail["outcome"] = data.outcome
    audit("referral.transition", referral, actor=actor, detail=detail)
    notify(referral, to, data.message)
    _sync_case(referral.case, now)
    db.session.flush()
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
    if not has(actor, Permission.WRITE_REFERRAL_NOTES):
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
    if not has(actor, Permission.INFORM_CITIZEN):
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


def _sync_case(case: Case, now: datetime, *, without_referrals: bool = False) -> None:
    """A case is open while one of its referrals is open, or one of its needs has no answer yet
    (slrt.referrals.needs_state: a need waiting for its prerequisite has none); closed with a
    summary when every need has one. `without_referrals`: a case none of whose needs was ever
    referred may close too (every need closed by the desk, slrt.referrals.closure)."""
    from slrt.referrals.followup import case_follow_up

    referrals = db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)).all()
    if not referrals and not without_referrals:
        return
    items = case_follow_up(case, referrals)
    if all(r.status in CLOSED_STATUSES for r in referrals) and all(i.closed for i in items.values()):
        lines = []
        for r in referrals:
            result = OUTCOME_LABELS[Outcome(r.outcome)] if r.outcome else REFERRAL_STATUS_LABELS[r.status]
            lines.append(f"{r.service.name}: {result}")
        for need in case.needs:
            if need.closed_at is not None:
                name, reason = need.category.name, need.closed_reason
                lines.append(_("%(need)s: ditutup desk, %(reason)s", need=name, reason=reason))
        case.status = CaseStatus.CLOSED
        case.outcome = "\n".join(lines)
        case.closed_at = case.closed_at or now
    else:
        case.status = CaseStatus.OPEN
        case.closed_at = None
