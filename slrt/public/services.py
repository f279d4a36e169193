"""The public side's work: what a citizen may see of a case, online reports, the survey.

Nothing here looks at the logged-in user: the tracking code is the citizen's only credential,
so these functions deliberately bypass `slrt.core.access` and instead select nothing but the
fields a citizen may see (never names, NIK, No. KK, address, phone, internal notes,
attachments or officer names). Services only flush(); the view commits.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import overload

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from slrt.accounts.services import ValidationFailed
from slrt.core import tracking
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.workdays import JAKARTA
from slrt.directory.models import Agency, NeedCategory, Office, OfficeKind, Service
from slrt.extensions import db
from slrt.intake import models as m
from slrt.public.models import RATING_MAX, RATING_MIN, SurveyResponse
from slrt.referrals.models import REFERRAL_STATUS_LABELS, Referral, ReferralEvent, ReferralStatus
from slrt.regions.models import LEVEL_VILLAGE, Region

# Still being written at the desk: not yet a decision the citizen should read about.
HIDDEN_STATUSES = frozenset({ReferralStatus.DRAFT})
OPEN_STATUSES = frozenset(
    {
        ReferralStatus.AWAITING_APPROVAL,
        ReferralStatus.SENT,
        ReferralStatus.ACCEPTED,
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.WAITING_CITIZEN,
        ReferralStatus.RETURNED,
    }
)

WAITING_LABEL = _l("Menunggu dokumen kependudukan")
PREREQUISITE_SERVICE = "ADMINDUK"  # as slrt.referrals.needs_state
ONLINE_NAME_MISSING = "Tanpa nama"  # stored: the desk sees this when only a contact was left
PHONE_RE = re.compile(r"^\+?[0-9][0-9 .-]{6,18}[0-9]$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@overload
def local_date(value: datetime) -> date: ...
@overload
def local_date(value: datetime | None) -> date | None: ...


def local_date(value: datetime | None) -> date | None:
    """The calendar day in Jakarta: a case received at 23:30 WIB belongs to that day."""
    return value.astimezone(JAKARTA).date() if value else None


# -- status lookup ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEvent:
    on: date
    status: ReferralStatus
    message: str | None

    @property
    def status_label(self) -> str:
        return str(REFERRAL_STATUS_LABELS[self.status])


@dataclass(frozen=True)
class PublicReferral:
    service: str
    agency: str | None
    status: ReferralStatus
    respond_due: date | None
    resolve_due: date | None
    closed_on: date | None
    events: list[PublicEvent] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return str(REFERRAL_STATUS_LABELS[self.status])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def outcome_message(self) -> str | None:
        """The last message officers wrote for the citizen once the referral closed."""
        if self.is_open:
            return None
        return next((e.message for e in reversed(self.events) if e.message), None)


@dataclass(frozen=True)
class PublicStatus:
    """Everything a citizen may see about a case. Built field by field, never from the case."""

    case_id: int
    code: str
    received_on: date
    closed: bool
    closed_on: date | None
    referrals: list[PublicReferral]
    survey_answered: bool
    # Services that wait for the citizen's identity documents (ADMINDUK) before they are referred.
    waiting: list[str] = field(default_factory=list)

    @property
    def survey_open(self) -> bool:
        return self.closed and not self.survey_answered

    def as_json(self) -> dict:
        """The JSON answer of the public API: the same facts as the page."""
        return {
            "code": tracking.display(self.code),
            "received_on": self.received_on.isoformat(),
            "status": "closed" if self.closed else "open",
            "status_label": str(
                m.CASE_STATUS_LABELS[m.CaseStatus.CLOSED if self.closed else m.CaseStatus.OPEN]
            ),
            "closed_on": _iso(self.closed_on),
            "referrals": [
                {
                    "service": r.service,
                    "agency": r.agency,
                    "status": r.status.value,
                    "status_label": r.status_label,
                    "respond_due": _iso(r.respond_due) if r.is_open else None,
                    "resolve_due": _iso(r.resolve_due) if r.is_open else None,
                    "closed_on": _iso(r.closed_on),
                    "outcome_message": r.outcome_message,
                    "events": [
                        {
                            "on": e.on.isoformat(),
                            "status": e.status.value,
                            "status_label": e.status_label,
                            "message": e.message,
                        }
                        for e in r.events
                    ],
                }
                for r in self.referrals
            ],
            "waiting": [
                {"service": name, "status": "waiting_documents", "status_label": str(WAITING_LABEL)}
                for name in self.waiting
            ],
            "survey_open": self.survey_open,
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@functools.cache
def _status_statement() -> sa.Select:
    """The status query, built once per process: composing the expression costs more than the
    indexed lookup itself on the busiest public endpoint. The code is a bound parameter."""
    answered = sa.select(SurveyResponse.id).where(SurveyResponse.case_id == m.Case.id).exists()
    return (
        sa.select(
            m.Case.id,
            m.Case.tracking_code,
            m.Case.created_at,
            m.Case.status,
            m.Case.closed_at,
            answered.label("answered"),
            Referral.id.label("referral_id"),
            Referral.status.label("referral_status"),
            Referral.respond_due,
            Referral.resolve_due,
            Referral.closed_at.label("referral_closed_at"),
            Referral.sent_at.label("referral_sent_at"),
            Referral.person_id.label("referral_person_id"),
            Service.code.label("service_code"),
            Service.name.label("service"),
            Agency.name.label("agency"),
            ReferralEvent.at.label("event_at"),
            ReferralEvent.to_status,
            # Only the public message: the event's note, actor and reason stay inside.
            ReferralEvent.public_message,
        )
        .select_from(m.Case)
        .outerjoin(Referral, sa.and_(Referral.case_id == m.Case.id, Referral.status.not_in(HIDDEN_STATUSES)))
        .outerjoin(Service, Service.id == Referral.service_id)
        .outerjoin(Agency, Agency.id == Referral.agency_id)
        .outerjoin(
            ReferralEvent,
            sa.and_(
                ReferralEvent.referral_id == Referral.id, ReferralEvent.to_status.not_in(HIDDEN_STATUSES)
            ),
        )
        .where(m.Case.tracking_code == sa.bindparam("code"), m.Case.confidential.is_(False))
        .order_by(Referral.id, ReferralEvent.at, ReferralEvent.id)
    )


def public_status(text: str) -> PublicStatus | None:
    """The public view of the case with tracking code `text`, or None (unknown or confidential).

    Raises `tracking.InvalidCode` before any database work when the check symbol is wrong.
    One query of named columns: it is the hot path of the public side (SMS gateways, chat bots),
    and naming each column keeps personal data out by construction. Confidential cases are
    filtered in the same query, so an unknown code and a confidential case cost the same work
    and give the same answer.
    """
    code = tracking.normalize(text)
    # A read-only autocommit connection, outside the request's session: no BEGIN and no
    # ROLLBACK round trips on the busiest public endpoint.
    with db.engine.connect() as conn:
        rows = (
            conn.execution_options(isolation_level="AUTOCOMMIT")
            .execute(_status_statement(), {"code": code})
            .all()
        )
    if not rows:
        return None
    first = rows[0]
    referrals: dict[int, PublicReferral] = {}
    hidden = _cancelled_copies(rows)
    for row in rows:
        if row.referral_id is None or row.referral_id in hidden:
            continue
        referral = referrals.get(row.referral_id)
        if referral is None:
            referral = referrals[row.referral_id] = PublicReferral(
                service=row.service,
                agency=row.agency,
                status=row.referral_status,
                respond_due=row.respond_due,
                resolve_due=row.resolve_due,
                closed_on=local_date(row.referral_closed_at),
            )
        if row.to_status is not None:
            message = (row.public_message or "").strip() or None
            referral.events.append(PublicEvent(local_date(row.event_at), row.to_status, message))
    closed = first.status is m.CaseStatus.CLOSED
    waiting: list[str] = []
    if not closed and any(row.service_code == PREREQUISITE_SERVICE for row in rows):
        # Only a case with a prerequisite referral reads further (the hot path stays one query).
        from slrt.referrals.followup import waiting_service_names

        waiting = waiting_service_names(first.id)
    return PublicStatus(
        case_id=first.id,
        code=first.tracking_code,
        received_on=local_date(first.created_at),
        closed=closed,
        closed_on=local_date(first.closed_at),
        referrals=list(referrals.values()),
        survey_answered=bool(first.answered),
        waiting=waiting,
    )


def _cancelled_copies(rows: Sequence[sa.Row]) -> set[int]:
    """Cancelled referrals the citizen should not read about: those never sent to an agency (a
    draft or a request for approval withdrawn at the desk), and copies of a service that the
    case still has for the same person (issue 16: three identical ADMINDUK drafts, two cancelled)."""
    kept = {
        (row.referral_person_id, row.service_code)
        for row in rows
        if row.referral_id is not None and row.referral_status != ReferralStatus.CANCELLED
    }
    return {
        row.referral_id
        for row in rows
        if row.referral_status == ReferralStatus.CANCELLED
        and (row.referral_sent_at is None or (row.referral_person_id, row.service_code) in kept)
    }


# -- online reports ---------------------------------------------------------------------------


@dataclass
class OnlineReport:
    category_code: str
    case_type: m.CaseType
    description: str
    village_code: str
    name: str = ""
    contact: str = ""
    consent: bool = False
    confidential: bool = False
    anonymous: bool = False
    idempotency_key: str | None = None


def village_office(village_code: str) -> Office | None:
    """The Puskesos desk of a village, if it has one (many villages have none yet)."""
    return db.session.scalar(
        sa.select(Office)
        .where(Office.kind == OfficeKind.PUSKESOS, Office.region_code == village_code)
        .order_by(Office.id)
        .limit(1)
    )


def _split_contact(contact: str) -> tuple[str | None, str | None]:
    """(phone, email) from what the reporter typed; raises ValueError when it is neither."""
    contact = contact.strip()
    if not contact:
        return None, None
    if EMAIL_RE.match(contact) and len(contact) <= 254:
        return None, contact.lower()
    if PHONE_RE.match(contact):
        digits = re.sub(r"[^0-9]", "", contact)
        if 8 <= len(digits) <= 15:
            return ("+" if contact.startswith("+") else "") + digits, None
    raise ValueError(contact)


def file_online_report(report: OnlineReport) -> m.Case:
    """Files a citizen's online report as a case in its village desk's queue.

    Every problem is collected and raised once (ValidationFailed, keyed by form field). A
    repeated submission with the same idempotency key returns the case already filed.
    """
    existing = case_for_key(report.idempotency_key)
    if existing is not None:
        return existing

    errors: dict[str | None, list[str]] = {}
    category = db.session.get(NeedCategory, report.category_code) if report.category_code else None
    if category is None or not category.active:
        errors.setdefault("category", []).append(str(_l("Pilih jenis kebutuhan dari daftar.")))
    village = db.session.get(Region, report.village_code) if report.village_code else None
    if village is None or village.level != LEVEL_VILLAGE:
        errors.setdefault("village_code", []).append(str(_l("Pilih desa/kelurahan dari daftar.")))
    description = (report.description or "").strip()
    if len(description) < 10:
        errors.setdefault("description", []).append(
            str(_l("Ceritakan kebutuhan atau keluhan Anda, paling sedikit 10 huruf."))
        )
    try:
        phone, email = _split_contact(report.contact or "")
    except ValueError:
        phone = email = None
        errors.setdefault("contact", []).append(
            str(_l("Tulis nomor HP (contoh 0812 3456 7890) atau alamat email yang benar."))
        )
    name = " ".join((report.name or "").split())
    identity_given = bool(name or report.contact.strip())
    if identity_given and not report.consent:
        errors.setdefault("consent", []).append(
            str(_l("Centang persetujuan bila Anda mencantumkan nama atau kontak, atau kosongkan keduanya."))
        )
    if errors or category is None or village is None:  # None is in errors already
        raise ValidationFailed(errors)

    now = utcnow()
    reporter = None
    if identity_given:
        reporter = m.Person(
            name=name or ONLINE_NAME_MISSING,
            phone=phone,
            email=email,
            village_code=village.code,
        )
        db.session.add(reporter)
    case = m.Case(
        tracking_code=_unused_code(),
        channel=m.Channel.ONLINE,
        type=report.case_type,
        office=village_office(village.code),
        village_code=village.code,
        reporter=reporter,
        summary=description[:200],
        urgent=category.fast_track,
        urgency_reason=f"Jalur cepat: {category.name}" if category.fast_track else None,
        consent_given=bool(report.consent and identity_given),
        consent_by=m.ConsentBy.SELF if report.consent and identity_given else None,
        consent_at=now if report.consent and identity_given else None,
        confidential=report.confidential,
        anonymous=report.anonymous,
        idempotency_key=report.idempotency_key,
        created_at=now,
    )
    db.session.add(case)
    # The agency's scope rules show a need's person even on anonymous cases, so an anonymous
    # reporter is never linked to the need: the reporter stays on the case, hidden.
    need_person = None if report.anonymous else reporter
    db.session.add(
        m.Need(case=case, category_code=category.code, description=description, person=need_person)
    )
    # Two copies of one form sent at the same moment: the unique idempotency key makes this
    # flush fail for the second; the view rolls back and answers with `case_for_key`.
    db.session.flush()
    audit("case.online_report", case, detail={"channel": "online", "category": category.code})
    if case.consent_given and reporter is not None:
        from slrt.privacy.consent import record_consent
        from slrt.privacy.consent_text import ONLINE_VERSION
        from slrt.privacy.models import ConsentMethod

        record_consent(reporter, case, m.ConsentBy.SELF, ConsentMethod.ONLINE, None, version=ONLINE_VERSION)
    if reporter is not None and not case.confidential:
        _send_code(case, reporter)
    return case


def _send_code(case: m.Case, reporter: m.Person) -> None:
    """The tracking code by SMS to the phone given (or by e-mail), so the citizen keeps it even
    if the confirmation page is lost. Never for a confidential report: a violence report's SMS
    could be read on a shared phone by the very person it is about."""
    from slrt.core.web import public_status_url
    from slrt.notifications.models import NotificationChannel
    from slrt.notifications.services import enqueue

    code = tracking.display(case.tracking_code)
    data = {"code": code, "url": public_status_url(code)}
    if reporter.phone:
        enqueue(reporter.phone, NotificationChannel.SMS, "report_received", data)
    elif reporter.email:
        enqueue(reporter.email, NotificationChannel.EMAIL, "report_received", data)


def find_filed_case(code: str) -> m.Case | None:
    """The case a reporter just filed (confidential ones too: it is their own confirmation)."""
    return db.session.scalar(sa.select(m.Case).where(m.Case.tracking_code == code))


def case_for_key(key: str | None) -> m.Case | None:
    """The case an earlier submission of the same form created, if any."""
    if not key:
        return None
    return db.session.scalar(sa.select(m.Case).where(m.Case.idempotency_key == key))


def _unused_code() -> str:
    while True:
        code = tracking.generate()
        if db.session.scalar(sa.select(m.Case.id).where(m.Case.tracking_code == code)) is None:
            return code


def new_idempotency_key() -> str:
    return "lapor-" + secrets.token_urlsafe(24)


# -- satisfaction survey ----------------------------------------------------------------------


class SurveyAlreadyAnswered(Exception):
    """The case has its answer already; a survey is answered once."""


def record_survey(status: PublicStatus, rating: int, comment: str | None) -> SurveyResponse:
    """Records the one survey answer of a closed case; raises SurveyAlreadyAnswered after that."""
    errors: dict[str | None, list[str]] = {}
    if not status.closed:
        errors.setdefault(None, []).append(str(_l("Penilaian dibuka setelah laporan selesai ditangani.")))
    if not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
        errors.setdefault("rating", []).append(str(_l("Pilih nilai 1 sampai 5.")))
    if errors:
        raise ValidationFailed(errors)
    if status.survey_answered:
        raise SurveyAlreadyAnswered
    village_code = db.session.scalar(sa.select(m.Case.village_code).where(m.Case.id == status.case_id))
    response = SurveyResponse(
        case_id=status.case_id,
        village_code=village_code,
        rating=rating,
        comment=(comment or "").strip()[:1000] or None,
        created_at=datetime.now(UTC),
    )
    db.session.add(response)
    db.session.flush()  # the unique case_id refuses a second answer sent at the same moment
    return response
