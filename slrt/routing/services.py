"""Routing operations with the database: the directory snapshot, suggestions for a case, and the
agency the directory names for a chosen service. Routing only suggests: the draft referrals are
created by slrt.referrals.drafts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from slrt.core.workdays import local_today
from slrt.directory.models import Agency, Criterion, DirectoryChange, RoutingRule, Service
from slrt.extensions import db
from slrt.intake.models import Case, Need, Person
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
    members = (
        [p for p in household.members if p.id != person.id]
        if person is not None and household is not None
        else []
    )
    return build_facts(person, household, members, today=today, data_update_requested=update_requested)


def suggest_for_case(
    case: Case, directory: engine.Directory | None = None, today: date | None = None
) -> CaseRouting:
    """Suggestions for every need of the case, each judged on the facts of the person it
    concerns (the reporter when none is named), then household screening of every member of
    the reporter's household ("no wrong door"), one prerequisite per person."""
    directory = directory or load_directory()
    today = today or local_today()
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


def agency_suggester() -> Callable[[str, str], str | None]:
    """The code of the agency the directory names for (service code, village code), or None.
    The directory snapshot is loaded once, on first use (after the caller's validation)."""
    directory: engine.Directory | None = None

    def agency_code_for(service_code: str, village_code: str) -> str | None:
        nonlocal directory
        directory = directory or load_directory()
        spec = directory.agency_for(directory.services[service_code], village_code)
        return spec.code if spec else None

    return agency_code_for
