"""Registering a desk visit: the visitor and their household registered (or updated) and a case
opened, with consent, urgency, duplicates and attachments.

`create_case` reads the form part by part (`intake.visit_form`), collects every problem and
raises `ValidationFailed` once, keyed by the form field id, so the page can show all of them;
only then does it write, and it only `flush()`es.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.accounts.models import Role, User
from slrt.accounts.services import ValidationFailed
from slrt.core import tracking
from slrt.core.access import region_clause
from slrt.core.ages import age_bounds
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.directory.models import NeedCategory, Office
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import visit_form as posted
from slrt.intake.records import apply_changes
from slrt.intake.uploads import Upload, check_uploads, store_uploads
from slrt.intake.visit_form import Errors, PostedNeed, add_problem, posted_enum, posted_text
from slrt.privacy.consent import method_for, record_consent
from slrt.regions.models import Region

ELDERLY_AGE = 70


def fast_track_reasons(people: list[Any], categories: list[NeedCategory], today: date) -> list[str]:
    """Why a visit goes to the fast-track queue (elderly 70+, severe disability, pregnancy,
    a fast-track need such as violence); an empty list means the normal queue."""
    reasons: list[str] = []
    for person in people:
        bounds = age_bounds(person.birth_date, getattr(person, "birth_precision", None), today)
        # Only a known 70+ counts: born in a year that makes her 69 or 70 is not yet fast-tracked
        # (the officer can raise the priority with a reason).
        if bounds is not None and bounds[0] >= ELDERLY_AGE:
            if bounds[0] == bounds[1]:
                reasons.append(_("Lansia %(age)d tahun: %(name)s", age=bounds[0], name=person.name))
            else:
                reasons.append(
                    _(
                        "Lansia %(low)d sampai %(high)d tahun: %(name)s",
                        low=bounds[0],
                        high=bounds[1],
                        name=person.name,
                    )
                )
        if person.disability is m.Disability.SEVERE:
            reasons.append(_("Disabilitas berat: %(name)s", name=person.name))
        if person.pregnant:
            reasons.append(_("Hamil: %(name)s", name=person.name))
    for category in categories:
        if category.fast_track:
            reasons.append(_("Kebutuhan jalur cepat: %(need)s", need=category.name))
    return list(dict.fromkeys(reasons))


@dataclass
class IntakeResult:
    case: m.Case
    files: list[Path] = field(default_factory=list)


def desk_villages(user: User) -> list[Region]:
    """The villages a user may register in: a desk officer's own village, or every village in
    the user's region (for coordinators and SLRT officers, picked with the region picker)."""
    if user.role is Role.DESK:
        return [user.office.region] if user.office else []
    return []


def village_allowed(user: User, code: str) -> bool:
    """Server-side scope check for a posted village code: never trust the hidden field."""
    if user.role is Role.DESK:
        return bool(user.office) and code == user.office.region_code
    prefix = user.scope_region_code
    return (
        db.session.scalar(
            sa.select(Region.code).where(
                Region.code == code, Region.level == 4, region_clause(Region.code, prefix)
            )
        )
        is not None
    )


def _office_for(user: User, village: str) -> Office | None:
    if user.office is not None:
        return user.office
    return db.session.scalar(sa.select(Office).where(Office.region_code == village).limit(1))


def create_case(data: dict[str, Any], uploads: list[Upload], user: User, today: date) -> IntakeResult:
    """Registers (or updates) the visitor and their household and opens a case, all in the
    session's transaction. Without consent only an anonymous question is stored, with no
    person and no household. Raises ValidationFailed listing every problem."""
    errors: Errors = {}
    case_type = posted_enum(m.CaseType, data, "case_type", errors, "case_type", required=True)
    channel = posted_enum(m.Channel, data, "channel", errors, "channel", required=True)
    existing = posted.existing_person(data, user, errors)
    household = existing.household if existing else None
    members = list(household.members) if household else []
    needs = posted.posted_needs(data, case_type, errors)
    if not data.get("consent"):
        return _anonymous_question(data, uploads, user, today, case_type, channel, existing, needs, errors)

    # With consent: the visitor, the household, the new members.
    visitor = posted.visitor_values(data, existing, user, today, errors)
    village = posted_text(data, "village_code", 13)
    household_values = posted.household_values(data, household, village_allowed(user, village), errors)
    added = posted.new_members(data, today, errors)
    consent_by, guardian_name = posted.consent_given_by(data, visitor, today, errors)
    posted.check_need_people(needs, members, added, errors)
    duplicate_reason = posted.duplicate_reason(data, existing, needs, user, errors)
    facts = [_facts(visitor)]
    facts += [p for p in members if existing is None or p.id != existing.id]
    facts += [_facts(values) for _i, values in added]
    visit = _visit_checks(data, case_type, facts, [c for c, _d, _w in needs], today, errors)
    checked_uploads = check_uploads(uploads, errors)
    if errors:
        raise ValidationFailed(errors)

    # Everything is valid: write persons and household (with the change trail), then the case.
    person, household, people = _write_people(
        existing, household, members, visitor, household_values, added, user
    )
    case = _open_case(
        data,
        user,
        village,
        case_type,
        channel,
        visit,
        needs,
        person,
        household,
        people,
        duplicate_reason=duplicate_reason or None,
        consent_by=consent_by,
    )
    # The proof of consent (UU PDP), under the purpose text shown on the form.
    guardian = consent_by is m.ConsentBy.GUARDIAN
    record_consent(
        person,
        case,
        consent_by,
        method_for(channel),
        user,
        guardian_name=guardian_name if guardian else None,
        guardian_relationship=posted_text(data, "guardian_relationship", 60) if guardian else None,
    )
    files = store_uploads(case, checked_uploads, user)
    return IntakeResult(case, files)


def _anonymous_question(
    data: dict[str, Any],
    uploads: list[Upload],
    user: User,
    today: date,
    case_type: m.CaseType | None,
    channel: m.Channel | None,
    existing: m.Person | None,
    needs: list[PostedNeed],
    errors: Errors,
) -> IntakeResult:
    """UU PDP: no consent, no identity. Only a question can be answered without one."""
    if case_type is not m.CaseType.QUESTION:
        add_problem(
            errors,
            "consent",
            _("Tanpa persetujuan warga, kunjungan hanya dapat dicatat sebagai pertanyaan anonim."),
        )
    if uploads:
        add_problem(errors, "consent", _("Lampiran hanya boleh disimpan dengan persetujuan warga."))
    if existing is not None:
        add_problem(errors, "consent", _("Warga yang sudah terdaftar hanya dilayani dengan persetujuannya."))
    # Anonymous question: the village is the desk's own, whatever was posted.
    village = user.office.region_code if user.office else posted_text(data, "village_code", 13)
    if not village or not village_allowed(user, village):
        add_problem(errors, "village_code", _("Desa/kelurahan ini di luar wilayah tugas Anda."))
    visit = _visit_checks(data, case_type, [], [c for c, _d, _w in needs], today, errors)
    if errors or case_type is None or channel is None:  # both required: an error says so
        raise ValidationFailed(errors)
    return IntakeResult(_open_case(data, user, village, case_type, channel, visit, needs, None, None, {}))


def _write_people(
    existing: m.Person | None,
    household: m.Household | None,
    members: list[m.Person],
    visitor: dict[str, Any],
    household_values: dict[str, Any],
    added: list[tuple[int, dict[str, Any]]],
    user: User,
) -> tuple[m.Person, m.Household, dict[str, m.Person]]:
    """The visitor, the household and the new members written, each change in the trail.
    Returns the visitor, the household and who is who by the form's keys (self, p<id>, m<i>)."""
    village = household_values["village_code"]
    if household is None:
        household = m.Household(village_code=village, programmes=[])
        db.session.add(household)
    moved = "village_code" in apply_changes(household, household_values, user)
    if moved:
        # Scope follows the household: every member now belongs to the new village's desk.
        for member in members:
            apply_changes(member, {"village_code": village}, user)
    if (
        existing is not None
        and existing.birth_precision is None
        and visitor["birth_precision"] is (m.BirthPrecision.DAY)
    ):
        # Stored before 0013 without a precision: an exact date still, no change to record.
        visitor["birth_precision"] = None
    person = existing or m.Person(household=household, village_code=village, disability=m.Disability.NONE)
    if existing is None:
        db.session.add(person)
    apply_changes(person, {**visitor, "village_code": village}, user)
    if person.household is None:
        person.household = household
    people = {"self": person} | {f"p{p.id}": p for p in members}
    for i, values in added:
        member = m.Person(household=household, village_code=village, **values)
        db.session.add(member)
        people[f"m{i}"] = member
    db.session.flush()
    return person, household, people


def _facts(values: dict[str, Any]) -> PersonFacts:
    return PersonFacts(
        values["name"],
        values["birth_date"],
        values["disability"],
        values["pregnant"],
        values["birth_precision"],
    )


@dataclass
class PersonFacts:
    """What the fast-track rules need to know of someone not yet saved."""

    name: str
    birth_date: date | None
    disability: m.Disability
    pregnant: bool
    birth_precision: m.BirthPrecision | None = None


@dataclass
class Visit:
    urgent: bool
    urgency_reason: str | None
    answer: str | None


def _visit_checks(
    data: dict,
    case_type: m.CaseType | None,
    people: list,
    categories: list[NeedCategory],
    today: date,
    errors: Errors,
) -> Visit:
    """Urgency (computed, overridable with a reason) and the desk answer to a question."""
    reasons = fast_track_reasons(people, categories, today)
    override = posted_text(data, "urgency", 10) or "auto"
    override_reason = posted_text(data, "urgency_reason")
    urgent = bool(reasons)
    if override in ("yes", "no"):
        wanted = override == "yes"
        if wanted != urgent and not override_reason:
            add_problem(
                errors, "urgency_reason", _("Tuliskan alasan bila prioritas diubah dari hasil hitungan.")
            )
        urgent = wanted
    reason = override_reason or "; ".join(reasons)
    answer = posted_text(data, "answer", 4000)
    if answer and case_type is not m.CaseType.QUESTION:
        add_problem(errors, "answer", _("Jawaban langsung hanya untuk pertanyaan."))
    return Visit(urgent, reason[:255] if (urgent or override_reason) and reason else None, answer or None)


def _open_case(
    data: dict,
    user: User,
    village: str,
    case_type: m.CaseType,
    channel: m.Channel,
    visit: Visit,
    needs: list[PostedNeed],
    person: m.Person | None,
    household: m.Household | None,
    people: dict[str, m.Person],
    duplicate_reason: str | None = None,
    consent_by: m.ConsentBy | None = None,
) -> m.Case:
    # Long on purpose: the case row, its needs, the desk's answer and the audit row written in one place,
    # so what a new case holds is read at once.
    now = utcnow()
    case = m.Case(
        tracking_code=tracking.generate(),
        channel=channel,
        type=case_type,
        office=_office_for(user, village),
        village_code=village,
        reporter=person,
        household=household,
        urgent=visit.urgent,
        urgency_reason=visit.urgency_reason,
        consent_given=person is not None,
        consent_by=consent_by if person is not None else None,
        consent_at=now if person is not None else None,
        anonymous=person is None,
        idempotency_key=posted_text(data, "idempotency_key", 64) or None,
        duplicate_reason=duplicate_reason,
        created_by_id=user.id,
    )
    db.session.add(case)
    for category, description, who in needs:
        db.session.add(
            m.Need(
                case=case,
                category_code=category.code,
                description=description or None,
                person=people.get(who),
            )
        )
    if visit.answer:
        # A question answered at the desk is finished: no referral follows.
        case.answer = visit.answer
        case.status = m.CaseStatus.CLOSED
        case.closed_at = now
    db.session.flush()
    audit(
        "case.create",
        case,
        actor=user,
        detail={
            "type": case_type.value,
            "urgent": visit.urgent,
            "anonymous": person is None,
            "duplicate_reason": duplicate_reason,
            "closed_at_desk": bool(visit.answer),
        },
    )
    return case
