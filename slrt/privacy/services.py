"""Privacy operations (UU 27/2022): revealing a protected number, consent and its withdrawal,
the data-subject export, erasure requests, retention (anonymisation) and key rotation.

Services validate, change and audit in the caller's transaction; they only `flush()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core import crypto
from slrt.core.access import region_clause
from slrt.core.audit import AuditEvent, audit
from slrt.core.db import utcnow
from slrt.core.permissions import Permission, has
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy.consent_text import CURRENT_VERSION
from slrt.privacy.models import ConsentMethod, ConsentRecord, ErasureRequest, ErasureStatus
from slrt.referrals.access import can_reveal_identity
from slrt.referrals.models import Referral, ReferralEvent

ANONYMOUS_NAME = "[dianonimkan]"
MIN_REASON = 10


class RevealRefused(Exception):
    """The user's role or scope does not allow revealing this number."""


# --- revealing a protected number ---------------------------------------------------------------


def reveal(user: User, obj: m.Person | m.Household, reason: str) -> str:
    """Audits that `user` revealed the NIK (person) or No. KK (household) of `obj` and why, and
    returns the number. Raises RevealRefused or ValidationFailed (no reason)."""
    if not can_reveal_identity(user, obj):
        raise RevealRefused()
    reason = " ".join((reason or "").split())[:500]
    if len(reason) < MIN_REASON:
        raise ValidationFailed({"reason": [_("Tuliskan alasan membuka nomor ini (minimal 10 huruf).")]})
    number = obj.nik if isinstance(obj, m.Person) else obj.kk_number
    if not number:
        raise ValidationFailed({"reason": [_("Tidak ada nomor yang dapat ditampilkan.")]})
    field_name = "nik" if isinstance(obj, m.Person) else "kk_number"
    audit(f"{obj.__tablename__[:-1]}.reveal_{field_name}", obj, actor=user, detail={"reason": reason})
    db.session.flush()
    return number


# --- consent ------------------------------------------------------------------------------------


def method_for(channel: m.Channel) -> ConsentMethod:
    """How consent is given on each channel: online on the web form, by voice on the phone,
    otherwise on the paper or screen the desk officer shows."""
    return {
        m.Channel.ONLINE: ConsentMethod.ONLINE,
        m.Channel.PHONE: ConsentMethod.VERBAL,
    }.get(channel, ConsentMethod.WRITTEN)


def record_consent(
    person: m.Person,
    case: m.Case | None,
    given_by: m.ConsentBy,
    method: ConsentMethod,
    actor: User | None,
    guardian_name: str | None = None,
    guardian_relationship: str | None = None,
    version: str = CURRENT_VERSION,
) -> ConsentRecord:
    """Adds a consent record under purpose text `version` (audited)."""
    record = ConsentRecord(
        person=person,
        case=case,
        purpose_version=version,
        given_by=given_by,
        guardian_name=(guardian_name or "").strip()[:160] or None,
        guardian_relationship=(guardian_relationship or "").strip()[:60] or None,
        method=method,
        recorded_by_id=getattr(actor, "id", None),
    )
    db.session.add(record)
    db.session.flush()
    audit("consent.give", record, actor=actor, detail={"person_id": person.id, "version": version})
    return record


def consents_of(person: m.Person) -> list[ConsentRecord]:
    return list(
        db.session.scalars(
            sa.select(ConsentRecord)
            .where(ConsentRecord.person_id == person.id)
            .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        )
    )


def consent_withdrawn(person_id: int | None) -> bool:
    """True when the person's latest consent was withdrawn: their data may no longer be shared."""
    if person_id is None:
        return False
    latest = db.session.scalar(
        sa.select(ConsentRecord)
        .where(ConsentRecord.person_id == person_id)
        .order_by(ConsentRecord.given_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )
    return latest is not None and latest.withdrawn_at is not None


def withdraw_consent(
    person: m.Person, consent_id: int | None, method: str, note: str, actor: User
) -> ConsentRecord:
    """Records the withdrawal of a consent of `person` (audited). From then on no referral of
    their cases can be sent to an agency (see referrals.transitions.transition)."""
    errors: dict[str | None, list[str]] = {}
    record = (
        db.session.scalar(
            sa.select(ConsentRecord).where(
                ConsentRecord.id == consent_id, ConsentRecord.person_id == person.id
            )
        )
        if consent_id
        else None
    )
    if record is None:
        errors.setdefault(None, []).append(_("Persetujuan ini tidak ditemukan."))
    elif record.withdrawn_at is not None:
        errors.setdefault(None, []).append(_("Persetujuan ini sudah ditarik sebelumnya."))
    try:
        how = ConsentMethod(method)
    except ValueError:
        errors.setdefault("method", []).append(_("Pilih cara warga menarik persetujuan."))
    if errors or record is None:  # a missing record is in errors already
        raise ValidationFailed(errors)
    record.withdrawn_at = utcnow()
    record.withdrawal_method = how
    record.withdrawal_note = " ".join((note or "").split())[:500] or None
    record.withdrawn_recorded_by_id = actor.id
    db.session.flush()
    audit("consent.withdraw", record, actor=actor, detail={"person_id": person.id, "method": how.value})
    return record


# --- the data-subject export --------------------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    return value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: _iso(getattr(obj, f)) for f in fields}


PERSON_FIELDS = (
    "id",
    "nik",
    "nik_missing_reason",
    "name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "disability",
    "pregnant",
    "schooling",
    "relationship_to_head",
    "village_code",
    "created_at",
    "updated_at",
)
HOUSEHOLD_FIELDS = (
    "id",
    "kk_number",
    "village_code",
    "rt",
    "rw",
    "street",
    "in_dtsen",
    "desil",
    "programmes",
    "house_uninhabitable",
    "created_at",
    "updated_at",
)
CASE_FIELDS = (
    "id",
    "tracking_code",
    "channel",
    "type",
    "status",
    "village_code",
    "summary",
    "urgent",
    "urgency_reason",
    "consent_given",
    "consent_by",
    "consent_at",
    "confidential",
    "anonymous",
    "answer",
    "outcome",
    "created_at",
    "closed_at",
)
REFERRAL_FIELDS = (
    "id",
    "status",
    "letter_number",
    "reason",
    "respond_due",
    "resolve_due",
    "outcome",
    "outcome_note",
    "sent_at",
    "closed_at",
    "created_at",
)
CONSENT_FIELDS = (
    "id",
    "case_id",
    "purpose_version",
    "given_by",
    "guardian_name",
    "guardian_relationship",
    "method",
    "given_at",
    "withdrawn_at",
    "withdrawal_method",
    "withdrawal_note",
)


def cases_about(person: m.Person) -> list[m.Case]:
    """Every case the person reported or a need of which concerns them (whatever the scope: the
    export is everything held, and only SLRT and coordinators of their region make it)."""
    concerned = sa.select(m.Need.case_id).where(m.Need.person_id == person.id)
    return list(
        db.session.scalars(
            sa.select(m.Case)
            .where(sa.or_(m.Case.reporter_id == person.id, m.Case.id.in_(concerned)))
            .order_by(m.Case.created_at, m.Case.id)
        )
    )


def processing_trail(person: m.Person, cases: list[m.Case]) -> list[AuditEvent]:
    """Audit events about the person, their household, their cases and those cases' referrals,
    consents and attachments: who viewed or changed what, when, from which IP address."""
    case_ids = [c.id for c in cases]
    referral_ids = list(db.session.scalars(sa.select(Referral.id).where(Referral.case_id.in_(case_ids))))
    consent_ids = list(
        db.session.scalars(sa.select(ConsentRecord.id).where(ConsentRecord.person_id == person.id))
    )
    attachment_ids = list(
        db.session.scalars(sa.select(m.Attachment.id).where(m.Attachment.case_id.in_(case_ids)))
    )
    wanted = [
        ("persons", [person.id]),
        ("households", [person.household_id] if person.household_id else []),
        ("cases", case_ids),
        ("referrals", referral_ids),
        ("consent_records", consent_ids),
        ("attachments", attachment_ids),
    ]
    clauses = [
        sa.and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_([str(i) for i in ids]))
        for kind, ids in wanted
        if ids
    ]
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(sa.or_(*clauses)).order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def subject_export(person: m.Person, actor: User) -> dict[str, Any]:
    """Everything held about `person` and the trail of its processing, as plain data (JSON-able).
    Audited: the export itself appears in the next export's trail."""
    cases = cases_about(person)
    audit("person.subject_export", person, actor=actor, detail={"cases": len(cases)})
    db.session.flush()
    users: dict[int | None, User] = {u.id: u for u in db.session.scalars(sa.select(User))}

    def who(user_id: int | None) -> str | None:
        user = users.get(user_id)
        return f"{user.name} ({user.username}, {user.role.value})" if user else None

    referrals = list(
        db.session.scalars(
            sa.select(Referral).where(Referral.case_id.in_([c.id for c in cases])).order_by(Referral.id)
        )
    )
    events: dict[int, list[ReferralEvent]] = {}
    for event in db.session.scalars(
        sa.select(ReferralEvent)
        .where(ReferralEvent.referral_id.in_([r.id for r in referrals]))
        .order_by(ReferralEvent.id)
    ):
        events.setdefault(event.referral_id, []).append(event)
    household = person.household
    return {
        "generated_at": utcnow().isoformat(),
        "generated_by": who(actor.id),
        "person": _row(person, PERSON_FIELDS),
        "household": _row(household, HOUSEHOLD_FIELDS) if household else None,
        "consents": [_row(c, CONSENT_FIELDS) for c in consents_of(person)],
        "cases": [
            {
                **_row(case, CASE_FIELDS),
                "needs": [
                    {
                        "id": n.id,
                        "category": n.category_code,
                        "description": n.description,
                        "person_id": n.person_id,
                    }
                    for n in case.needs
                ],
                "attachments": [
                    {
                        "id": a.id,
                        "kind": a.kind.value,
                        "name": a.original_name,
                        "size": a.size,
                        "uploaded_at": _iso(a.created_at),
                    }
                    for a in case.attachments
                ],
                "referrals": [
                    {
                        **_row(r, REFERRAL_FIELDS),
                        "service": r.service.code if r.service else None,
                        "agency": r.agency.name if r.agency else None,
                        "events": [
                            {
                                "at": _iso(e.at),
                                "from": _iso(e.from_status),
                                "to": _iso(e.to_status),
                                "by": who(e.actor_id),
                                "public_message": e.public_message,
                            }
                            for e in events.get(r.id, [])
                        ],
                    }
                    for r in referrals
                    if r.case_id == case.id
                ],
            }
            for case in cases
        ],
        "changes": [
            {
                "object": c.object_type,
                "field": c.field,
                "old": c.old_value,
                "new": c.new_value,
                "by": who(c.changed_by_id),
                "at": _iso(c.changed_at),
            }
            for c in db.session.scalars(
                sa.select(m.RecordChange)
                .where(
                    sa.or_(
                        sa.and_(
                            m.RecordChange.object_type == "person", m.RecordChange.object_id == person.id
                        ),
                        sa.and_(
                            m.RecordChange.object_type == "household",
                            m.RecordChange.object_id == person.household_id,
                        ),
                    )
                )
                .order_by(m.RecordChange.changed_at, m.RecordChange.id)
            )
        ],
        "trail": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "object": e.object_type,
                "object_id": e.object_id,
                "by": who(e.actor_id),
                "ip": e.ip,
            }
            for e in processing_trail(person, cases)
        ],
    }


# --- erasure requests ---------------------------------------------------------------------------


def open_case_ids(person: m.Person) -> list[int]:
    """Open cases the person reported or is concerned by: while one is open, their data is
    still being used to serve them (and others in the case), so it cannot be erased."""
    concerned = sa.select(m.Need.case_id).where(m.Need.person_id == person.id)
    return list(
        db.session.scalars(
            sa.select(m.Case.id).where(
                m.Case.status == m.CaseStatus.OPEN,
                sa.or_(m.Case.reporter_id == person.id, m.Case.id.in_(concerned)),
            )
        )
    )


def request_erasure(person: m.Person, reason: str, actor: User) -> ErasureRequest:
    """Records a person's request to erase their data, for the regency's SLRT to decide."""
    errors: dict[str | None, list[str]] = {}
    reason = " ".join((reason or "").split())[:2000]
    if len(reason) < MIN_REASON:
        errors.setdefault("reason", []).append(_("Tuliskan alasan permintaan (minimal 10 huruf)."))
    if person.anonymised_at is not None:
        errors.setdefault(None, []).append(_("Data warga ini sudah dianonimkan."))
    pending = db.session.scalar(
        sa.select(ErasureRequest.id).where(
            ErasureRequest.person_id == person.id,
            ErasureRequest.status.in_((ErasureStatus.PENDING, ErasureStatus.APPROVED)),
        )
    )
    if pending is not None:
        errors.setdefault(None, []).append(_("Sudah ada permintaan penghapusan yang belum selesai."))
    if errors:
        raise ValidationFailed(errors)
    item = ErasureRequest(
        person=person, village_code=person.village_code, reason=reason, requested_by_id=actor.id
    )
    db.session.add(item)
    db.session.flush()
    audit("erasure.request", item, actor=actor, detail={"person_id": person.id})
    return item


def pending_request(person: m.Person) -> ErasureRequest | None:
    return db.session.scalar(
        sa.select(ErasureRequest)
        .where(ErasureRequest.person_id == person.id)
        .order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc())
        .limit(1)
    )


def decide_erasure(person: m.Person, approve: bool, note: str, actor: User) -> ErasureRequest:
    """The regency's SLRT approves or rejects the person's pending request (audited). An approved
    request is carried out by the next `flask retention run`."""
    errors: dict[str | None, list[str]] = {}
    item = pending_request(person)
    if not has(actor, Permission.DECIDE_ERASURE):
        errors.setdefault(None, []).append(_("Hanya SLRT kabupaten/kota yang memutuskan penghapusan."))
    if item is None or item.status is not ErasureStatus.PENDING:
        errors.setdefault(None, []).append(_("Tidak ada permintaan penghapusan yang menunggu keputusan."))
    note = " ".join((note or "").split())[:500]
    if not approve and len(note) < MIN_REASON:
        errors.setdefault("note", []).append(_("Tuliskan alasan penolakan untuk warga (minimal 10 huruf)."))
    if approve and open_case_ids(person):
        errors.setdefault(None, []).append(
            _("Warga ini masih punya kasus terbuka. Tutup kasusnya dulu, baru penghapusan dapat disetujui.")
        )
    if errors or item is None:  # a missing request is in errors already
        raise ValidationFailed(errors)
    item.status = ErasureStatus.APPROVED if approve else ErasureStatus.REJECTED
    item.decided_by_id, item.decided_at, item.decision_note = actor.id, utcnow(), note or None
    db.session.flush()
    audit(
        "erasure.approve" if approve else "erasure.reject", item, actor=actor, detail={"person_id": person.id}
    )
    return item


# --- retention ----------------------------------------------------------------------------------


@dataclass
class RetentionReport:
    cases: int = 0
    persons: int = 0
    households: int = 0
    attachments: int = 0
    requests_done: int = 0
    kept_open: list[int] = field(default_factory=list)  # persons skipped: still in an open case


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _anonymise_person(person: m.Person, now: datetime) -> None:
    person.name = ANONYMOUS_NAME
    person.nik = None
    person.phone = None
    person.email = None
    person.birth_date = person.birth_date.replace(month=1, day=1) if person.birth_date else None
    person.anonymised_at = now


def _anonymise_household(household: m.Household) -> None:
    household.kk_number = None
    household.street = None
    household.rt = household.rw = None


def _anonymise_case(case: m.Case, now: datetime, report: RetentionReport) -> None:
    case.summary = case.answer = case.outcome = case.urgency_reason = case.duplicate_reason = None
    for need in case.needs:
        need.description = None
    folder = Path(current_app.config["UPLOAD_DIR"])
    for item in list(case.attachments):
        (folder / item.stored_name).unlink(missing_ok=True)
        db.session.delete(item)
        report.attachments += 1
    for referral in db.session.scalars(sa.select(Referral).where(Referral.case_id == case.id)):
        referral.reason = referral.outcome_note = None
        for event in db.session.scalars(
            sa.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
        ):
            event.note = event.public_message = None
    case.anonymised_at = now
    report.cases += 1


def _in_open_case(person_id: int) -> bool:
    concerned = sa.select(m.Need.case_id).where(m.Need.person_id == person_id)
    return (
        db.session.scalar(
            sa.select(m.Case.id)
            .where(
                m.Case.status == m.CaseStatus.OPEN,
                sa.or_(m.Case.reporter_id == person_id, m.Case.id.in_(concerned)),
            )
            .limit(1)
        )
        is not None
    )


def run_retention(now: datetime | None = None, years: int | None = None) -> RetentionReport:
    """Anonymises closed cases closed more than `years` ago (default RETENTION_YEARS) and persons
    with an approved erasure request: names become a neutral marker; NIK, No. KK, phone, address,
    free-text notes and attachments go; counts, states, dates, regions and categories stay, so
    dashboards and reports do not change. A person (and household) still part of an open case is
    left alone. Idempotent; audited once per anonymised record."""
    now = now or utcnow()
    years = current_app.config["RETENTION_YEARS"] if years is None else years
    report = RetentionReport()
    cutoff = _years_before(now, years)
    expired = list(
        db.session.scalars(
            sa.select(m.Case).where(
                m.Case.status == m.CaseStatus.CLOSED,
                m.Case.closed_at < cutoff,
                m.Case.anonymised_at.is_(None),
            )
        )
    )
    persons: dict[int, m.Person] = {}
    for case in expired:
        _anonymise_case(case, now, report)
        audit("case.anonymise", case, detail={"why": "retention", "years": years})
        for person in [case.reporter, *(n.person for n in case.needs)]:
            if person is not None:
                persons[person.id] = person
    approved = list(
        db.session.scalars(sa.select(ErasureRequest).where(ErasureRequest.status == ErasureStatus.APPROVED))
    )
    for item in approved:
        persons[item.person_id] = item.person
    erased_ids = {item.person_id for item in approved}
    for person in persons.values():
        if person.anonymised_at is not None:
            continue
        if _in_open_case(person.id):
            report.kept_open.append(person.id)
            continue
        if person.id in erased_ids:
            # Erasure covers the person's own closed cases too, whatever their age.
            for case in cases_about(person):
                if case.anonymised_at is None and case.status is m.CaseStatus.CLOSED:
                    _anonymise_case(case, now, report)
                    audit("case.anonymise", case, detail={"why": "erasure"})
        _anonymise_person(person, now)
        report.persons += 1
        audit(
            "person.anonymise", person, detail={"why": "erasure" if person.id in erased_ids else "retention"}
        )
        household = person.household
        # The household's number and address go with its last identifiable member.
        if household is not None and all(member.anonymised_at for member in household.members):
            _anonymise_household(household)
            report.households += 1
            audit("household.anonymise", household)
    for item in approved:
        if item.person.anonymised_at is not None:
            item.status, item.done_at = ErasureStatus.DONE, now
            report.requests_done += 1
            audit("erasure.done", item, detail={"person_id": item.person_id})
    db.session.flush()
    return report


# --- key rotation ------------------------------------------------------------------------------


@dataclass
class RotationReport:
    persons: int = 0
    households: int = 0


def rotate_keys(batch: int = 500, rehash: bool = False) -> RotationReport:
    """Re-encrypts every NIK and No. KK under the newest key, `batch` rows per transaction; with
    `rehash`, recomputes the lookup digests too (after a change of SLRT_HASH_KEY). Commits per
    batch so a large table never holds one long transaction; safe to run again after a stop."""
    report = RotationReport()
    for model, column, digest, counter in (
        (m.Person, "nik_encrypted", "nik_hash", "persons"),
        (m.Household, "kk_encrypted", "kk_hash", "households"),
    ):
        table = cast(sa.Table, model.__table__)  # typed FromClause; a mapped class's is a Table
        last = 0
        while True:
            # Rows of any length to mypy (columns looked up by name), unpacked without `object`.
            rows: Sequence[tuple[Any, ...]] = db.session.execute(
                sa.select(table.c.id, table.c[column])
                .where(table.c.id > last, table.c[column].is_not(None))
                .order_by(table.c.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            # The column type decrypts on read (with any configured key) and encrypts on write
            # (always with the newest): writing the value back is the rotation.
            for row_id, plaintext in rows:
                values: dict[str, str | None] = {column: plaintext}
                if rehash:
                    values[digest] = crypto.nik_digest(plaintext)
                db.session.execute(sa.update(table).where(table.c.id == row_id).values(**values))
                setattr(report, counter, getattr(report, counter) + 1)
            last = rows[-1][0]
            db.session.commit()
    audit(
        "keys.rotate", detail={"persons": report.persons, "households": report.households, "rehash": rehash}
    )
    db.session.commit()
    return report


def erasure_requests_for(user: User, status: ErasureStatus | None = None) -> sa.Select:
    """Erasure requests in the user's scope, newest first."""
    if not has(user, Permission.HANDLE_PRIVACY_REQUESTS):
        return sa.select(ErasureRequest).where(sa.false())
    stmt = sa.select(ErasureRequest).where(region_clause(ErasureRequest.village_code, user.scope_region_code))
    if status is not None:
        stmt = stmt.where(ErasureRequest.status == status)
    return stmt.order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc())
