"""Routing operations with the database: the directory snapshot, suggestions for a case, and
draft referrals from the officer's choices. They only `flush()`: the caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import audit
from slrt.directory.models import Agency, Criterion, DirectoryChange, RoutingRule, Service
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus, Need, Person
from slrt.referrals.models import CLOSED_STATUSES, Referral, ReferralEvent, ReferralStatus
from slrt.routing import engine, reasons
from slrt.routing.facts import build_facts

_CACHE: dict[str, tuple[tuple, engine.Directory]] = {}


def _directory_version() -> tuple:
    """Changes whenever the directory may have: every change through the directory services
    writes a DirectoryChange row; counts catch rows added or removed another way."""
    return tuple(
        db.session.execute(
            sa.select(
                sa.select(sa.func.max(DirectoryChange.id)).scalar_subquery(),
                sa.select(
                    sa.func.count(Agency.id),
                ).scalar_subquery(),
                sa.select(sa.func.max(Agency.id)).scalar_subquery(),
                sa.select(sa.func.count(Service.id)).scalar_subquery(),
                sa.select(sa.func.count(RoutingRule.id)).scalar_subquery(),
                sa.select(sa.func.count(Criterion.id)).scalar_subquery(),
            )
        ).one()
    )


def load_directory() -> engine.Directory:
    """The directory for the engine, rebuilt only when its version changed (one small query
    per call instead of three and a rebuild): the API answers many requests per edit."""
    if current_app.testing and not current_app.config.get("ROUTING_CACHE"):
        # Tests empty and refill tables with reused ids, which the version stamp cannot see.
        return build_directory()
    key = str(db.engine.url)
    version = _directory_version()
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    directory = build_directory()
    _CACHE[key] = (version, directory)
    return directory


def build_directory() -> engine.Directory:
    """A snapshot of the directory for the engine: all services, active agencies, all rules."""
    services = db.session.scalars(sa.select(Service).options(selectinload(Service.criteria))).all()
    agencies = db.session.scalars(sa.select(Agency).where(Agency.active.is_(True))).all()
    rules = db.session.execute(
        sa.select(Service.code, RoutingRule.region_code, Agency.code)
        .join(Service, RoutingRule.service_id == Service.id)
        .join(Agency, RoutingRule.agency_id == Agency.id)
    ).all()
    return engine.Directory(
        [
            engine.ServiceSpec(
                code=s.code,
                name=s.name,
                needs=tuple(s.needs or ()),
                criteria=tuple(engine.CriterionSpec(c.name, c.expression, c.name_en) for c in s.criteria),
                combine=s.combine.value,
                urgent=s.urgent,
                needs_nik=s.needs_nik,
                default_agency_code=s.default_agency_code,
                active=s.active,
                screen=s.screen,
            )
            for s in services
        ],
        [engine.AgencySpec(a.code, a.name, tuple(a.service_area or ()), a.active) for a in agencies],
        [engine.RuleSpec(*row) for row in rules],
    )


@dataclass
class CaseSuggestion:
    """One engine suggestion tied to the case: the Need row it answers (None for a household
    find) and the person it concerns; `key` identifies it in the form."""

    need: Need | None
    suggestion: engine.Suggestion
    person: Person | None = None

    @property
    def key(self) -> str:
        need_id = self.need.id if self.need is not None else ""
        person_id = self.person.id if self.person is not None else ""
        return f"{need_id}:{self.suggestion.service.code}:{person_id}"

    @property
    def basis(self) -> str:
        return self.suggestion.basis


@dataclass
class CaseRouting:
    suggestions: list[CaseSuggestion]
    warnings: list[str]
    facts_by_person: dict[int | None, dict[str, Any]]

    @property
    def by_need(self) -> list[CaseSuggestion]:
        return [cs for cs in self.suggestions if cs.basis == engine.BASIS_NEED]

    @property
    def household(self) -> list[CaseSuggestion]:
        return [cs for cs in self.suggestions if cs.basis == engine.BASIS_HOUSEHOLD]


def _facts_for(person: Person | None, today: date, update_requested: bool | None) -> dict[str, Any]:
    household = person.household if person is not None else None
    members = [p for p in household.members if p.id != person.id] if household is not None else []
    return build_facts(person, household, members, today=today, data_update_requested=update_requested)


def suggest_for_case(
    case: Case, directory: engine.Directory | None = None, today: date | None = None
) -> CaseRouting:
    """Suggestions for every need of the case, each judged on the facts of the person it
    concerns (the reporter when none is named), then household screening of every member of
    the reporter's household ("no wrong door"), one prerequisite per person."""
    directory = directory or load_directory()
    today = today or date.today()
    people: dict[int | None, Person | None] = {}
    needs_of: dict[int | None, list[Need]] = {}
    reporter = case.reporter
    people[reporter.id if reporter else None] = reporter
    for need in case.needs:
        person = need.person or reporter
        people.setdefault(person.id if person else None, person)
        needs_of.setdefault(person.id if person else None, []).append(need)
    household = reporter.household if reporter is not None else case.household
    for member in household.members if household is not None else ():
        people.setdefault(member.id, member)
    # Asking for a DTSEN update is itself the request the DTSEN-USULAN criterion looks for.
    update_requested = True if any(n.category_code == "dtsen.daftar" for n in case.needs) else None
    facts_by_person = {pid: _facts_for(p, today, update_requested) for pid, p in people.items()}
    first_need: dict[tuple[int | None, str], Need] = {}
    for pid, needs in needs_of.items():
        for need in needs:
            first_need.setdefault((pid, need.category_code), need)
    subjects = [
        engine.Subject(pid, facts_by_person[pid], [n.category_code for n in needs_of.get(pid, [])])
        for pid in people
    ]
    result = engine.route(directory, subjects, case.village_code)
    suggestions = [
        CaseSuggestion(
            first_need.get((s.person, s.need)) if s.need is not None else None, s, people[s.person]
        )
        for s in result.suggestions
    ]
    warnings: list[str] = []
    for warning in result.warnings:
        text = reasons.warning_text(warning, case.village_code)
        if text not in warnings:
            warnings.append(text)
    return CaseRouting(suggestions, warnings, facts_by_person)


@dataclass
class Selection:
    """One referral to create: from a suggestion (reason from the engine) or by hand."""

    need_id: int
    service_code: str
    reason: str | None = None
    prerequisite_of: str | None = None
    manual: bool = False


def _person_of(case: Case, need: Need) -> int | None:
    return need.person_id or case.reporter_id


def create_draft_referrals(case: Case, selections: list[Selection], actor: User | None) -> list[Referral]:
    """Creates one draft referral per selection, with its first history row and an audit row.

    Agency and urgency come from the directory, never from the form. Never twice: a service
    with an open referral for the same person, in any case, is refused (and the database's
    partial unique index refuses the second of two submits made at once). An ADMINDUK referral
    chosen as a prerequisite points at the referral of the service it unlocks (created in the
    same batch, or already open on the case). Raises ValidationFailed with every problem.
    """
    errors: dict[str | None, list[str]] = {}
    if case.status is not CaseStatus.OPEN:
        errors.setdefault(None, []).append(_("Kasus sudah selesai; rujukan baru tidak dapat dibuat."))
    if not selections:
        errors.setdefault(None, []).append(_("Pilih minimal satu layanan untuk dirujuk."))
    needs = {n.id: n for n in case.needs}
    codes = {s.service_code for s in selections}
    services = (
        {s.code: s for s in db.session.scalars(sa.select(Service).where(Service.code.in_(codes)))}
        if codes
        else {}
    )
    people = {_person_of(case, n) for n in needs.values()} - {None}
    open_pairs = {
        (person_id, service_id)
        for person_id, service_id in db.session.execute(
            sa.select(Referral.person_id, Referral.service_id).where(
                Referral.person_id.in_(people), Referral.status.not_in(CLOSED_STATUSES)
            )
        )
    }
    seen: set[tuple[int | None, str]] = set()
    for sel in selections:
        service = services.get(sel.service_code)
        if sel.need_id not in needs:
            errors.setdefault("need_id", []).append(_("Kebutuhan yang dipilih bukan bagian dari kasus ini."))
            continue
        if service is None or not service.active:
            errors.setdefault("service_code", []).append(
                _("Layanan %(c)s tidak dikenal atau tidak aktif.", c=sel.service_code)
            )
            continue
        if sel.manual and not (sel.reason or "").strip():
            errors.setdefault("reason", []).append(
                _("Tulis alasan untuk layanan %(c)s yang ditambahkan manual.", c=service.code)
            )
        person_id = _person_of(case, needs[sel.need_id])
        if (person_id, service.id) in open_pairs or (person_id, service.code) in seen:
            errors.setdefault(None, []).append(
                _(
                    "Rujukan %(c)s untuk kebutuhan %(n)s sudah ada.",
                    c=service.code,
                    n=needs[sel.need_id].category.name,
                )
            )
        seen.add((person_id, service.code))
    if errors:
        raise ValidationFailed(errors)
    directory = load_directory()
    created: list[Referral] = []
    by_service: dict[str, Referral] = {}
    for sel in selections:
        service = services[sel.service_code]
        spec = directory.services[service.code]
        agency_spec = directory.agency_for(spec, case.village_code)
        agency = (
            db.session.scalar(sa.select(Agency).where(Agency.code == agency_spec.code))
            if agency_spec
            else None
        )
        reason = (sel.reason or "").strip()
        if sel.manual:
            reason = _("Ditambahkan manual oleh petugas: %(r)s", r=reason)
        referral = Referral(
            case_id=case.id,
            need_id=sel.need_id,
            person_id=_person_of(case, needs[sel.need_id]),
            service_id=service.id,
            agency_id=agency.id if agency else None,
            office_id=case.office_id,
            village_code=case.village_code,
            status=ReferralStatus.DRAFT,
            urgent=service.urgent or case.urgent,
            reason=reason or None,
            created_by_id=getattr(actor, "id", None),
        )
        created.append(referral)
        by_service.setdefault(service.code, referral)
    try:
        # A savepoint, so the loser of two submits at once gets the same message as above.
        with db.session.begin_nested():
            db.session.add_all(created)
    except sa.exc.IntegrityError as exc:
        if "uq_referrals_open_person_service" not in str(exc.orig) and "person_id" not in str(exc.orig):
            raise
        raise ValidationFailed(
            {None: [_("Layanan ini sudah dirujuk untuk warga yang sama; muat ulang halaman.")]}
        ) from exc
    for sel, referral in zip(selections, created, strict=True):
        if sel.prerequisite_of:
            target = by_service.get(sel.prerequisite_of) or db.session.scalar(
                sa.select(Referral)
                .join(Service, Referral.service_id == Service.id)
                .where(
                    Referral.case_id == case.id,
                    Service.code == sel.prerequisite_of,
                    Referral.status.not_in(CLOSED_STATUSES),
                    Referral.id != referral.id,
                )
                .order_by(Referral.id)
            )
            referral.prerequisite_of_id = target.id if target else None
        db.session.add(
            ReferralEvent(
                referral_id=referral.id,
                from_status=None,
                to_status=ReferralStatus.DRAFT,
                actor_id=getattr(actor, "id", None),
                note=_("Draf dibuat dari pilihan layanan rujukan."),
            )
        )
        audit(
            "referral.draft",
            referral,
            actor=actor,
            detail={"case": case.id, "service": sel.service_code, "manual": sel.manual},
        )
    db.session.flush()
    return created
