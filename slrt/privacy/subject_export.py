"""The data-subject export: everything the desk holds about one person, and who processed it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from slrt.accounts.models import User
from slrt.core.audit import AuditEvent, audit
from slrt.core.db import utcnow
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy.consent import consents_of
from slrt.privacy.models import ConsentRecord
from slrt.referrals.models import Referral, ReferralEvent


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
    # Long on purpose: most of it is the export's outline, one literal with every section held about the
    # person in the order the citizen reads it; the reads above it feed that literal only.
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
