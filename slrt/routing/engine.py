"""The routing engine: needs + facts + directory -> suggested services, agencies and reasons.

Plain Python with no Flask request and no database: the caller hands it a `Directory` snapshot
(see slrt.routing.services.load_directory) and a facts dict (slrt.routing.facts.build_facts), so
the desk pages, the JSON API, the CLI and the benchmarks all use it alike.

Three-valued logic (DOMAIN.md): a criterion is True, False or None (unknown). An unknown fact
makes a criterion unknown only when it could change the criterion's answer: the engine tries
the values the fact could take (see expressions._samples) and calls the criterion unknown only
when they disagree. Criteria then combine with Kleene logic: for `all`, any False gives False,
else any unknown gives unknown; for `any`, any True gives True, else any unknown gives unknown.

Agency choice, in order:
1. the routing rule for the service whose region is the most specific one containing the
   village (village over district over regency over province);
2. otherwise an active agency whose code is the service's default_agency_code or starts with
   it plus '-' (default "DINSOS" -> "DINSOS-3204") and whose service area contains the village,
   the most specific area first;
3. otherwise none, and a warning (never an error).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slrt.core.access import in_region
from slrt.routing.expressions import CompiledExpression, compile_expression
from slrt.routing.facts import PERSON_FACTS, Interval

ELIGIBLE, NOT_ELIGIBLE, UNKNOWN = "eligible", "not_eligible", "unknown"
RESULT_ORDER = {ELIGIBLE: 0, UNKNOWN: 1, NOT_ELIGIBLE: 2}
PREREQUISITE_SERVICE = "ADMINDUK"  # identity documents: needed first when a person has no NIK
MAX_SAMPLES = 4096  # beyond this many combinations of unknown facts, say "unknown" at once


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    expression: str
    name_en: str | None = None  # the criterion as an English reader sees it


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    needs: tuple[str, ...]
    criteria: tuple[CriterionSpec, ...] = ()
    combine: str = "all"
    urgent: bool = False
    needs_nik: bool = False
    default_agency_code: str | None = None
    active: bool = True
    # Offered by household screening ("no wrong door") besides the named needs; services that
    # answer a situation rather than a status (a complaint, an emergency) say False.
    screen: bool = True


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    service_area: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class RuleSpec:
    service_code: str
    region_code: str
    agency_code: str


@dataclass(frozen=True)
class CriterionOutcome:
    name: str
    expression: str
    result: bool | None
    missing: tuple[str, ...]  # unknown facts that could change this criterion
    values: dict[str, Any]  # the known facts it read, for the reasons
    name_en: str | None = None


BASIS_NEED, BASIS_HOUSEHOLD = "need", "household"
SELF = "self"


@dataclass
class Suggestion:
    need: str | None  # the named need it answers; None for a household-screening find
    service: ServiceSpec
    agency: AgencySpec | None
    result: str
    criteria: list[CriterionOutcome]
    missing: tuple[str, ...] = ()  # facts whose answer could change `result`
    prerequisite_of: list[str] = field(default_factory=list)  # services waiting for this one
    waits_for: list[str] = field(default_factory=list)  # prerequisites this one waits for
    basis: str = BASIS_NEED
    person: Any = SELF  # the Subject.ref it concerns: "self", a member index, a person id
    received: bool = False  # the household already receives this programme

    @property
    def urgent(self) -> bool:
        return self.service.urgent


@dataclass
class Subject:
    """One person to screen: `ref` names them in the results ("self", a member index or a
    person id), `facts` are theirs (slrt.routing.facts.build_facts), `needs` the named needs
    that concern them."""

    ref: Any
    facts: Mapping[str, Any]
    needs: Sequence[str] = ()


@dataclass(frozen=True)
class RoutingWarning:
    kind: str  # "no_agency" or "no_service"
    need: str | None  # None for a household find
    service_code: str | None = None


@dataclass
class RoutingResult:
    suggestions: list[Suggestion] = field(default_factory=list)
    warnings: list[RoutingWarning] = field(default_factory=list)


class Directory:
    """A read-only snapshot of services, agencies and routing rules, indexed for the engine.

    Building it compiles every criterion (cached per expression), so an invalid one fails here,
    loudly, rather than during a suggestion.
    """

    def __init__(
        self,
        services: Iterable[ServiceSpec],
        agencies: Iterable[AgencySpec] = (),
        rules: Iterable[RuleSpec] = (),
    ):
        self.services = {s.code: s for s in services}
        self.agencies = {a.code: a for a in agencies}
        self.by_need: dict[str, list[ServiceSpec]] = {}
        self.compiled: dict[str, list[CompiledExpression]] = {}
        # Household screening: active services with criteria that opt in, and which of them
        # read a fact of the person (judged per member) rather than only household facts
        # (judged once, for the household).
        self.screened: list[ServiceSpec] = []
        self.personal: set[str] = set()
        for service in self.services.values():
            self.compiled[service.code] = [compile_expression(c.expression) for c in service.criteria]
            if any(name in PERSON_FACTS for c in self.compiled[service.code] for name in c.facts):
                self.personal.add(service.code)
            if service.active:
                for need in service.needs:
                    self.by_need.setdefault(need, []).append(service)
                if service.screen and service.criteria:
                    self.screened.append(service)
        # Most specific region first: the first rule containing the village wins.
        self.rules: dict[str, list[RuleSpec]] = {}
        for rule in sorted(rules, key=lambda r: -r.region_code.count(".")):
            self.rules.setdefault(rule.service_code, []).append(rule)

    def agencies_offering(self, service: ServiceSpec, village_code: str | None) -> set[str]:
        """Codes of every active agency that offers `service` in the village: by a routing rule
        covering it, or by the service's default agency family serving the area (the two ways
        `agency_for` picks its suggestion)."""
        if not village_code:
            return set()
        codes = {
            rule.agency_code
            for rule in self.rules.get(service.code, ())
            if in_region(village_code, rule.region_code)
            and rule.agency_code in self.agencies
            and self.agencies[rule.agency_code].active
        }
        prefix = service.default_agency_code
        if prefix:
            codes |= {
                a.code
                for a in self.agencies.values()
                if a.active
                and (a.code == prefix or a.code.startswith(prefix + "-"))
                and any(in_region(village_code, area) for area in a.service_area)
            }
        return codes

    def agency_for(self, service: ServiceSpec, village_code: str | None) -> AgencySpec | None:
        if not village_code:
            return None
        for rule in self.rules.get(service.code, ()):
            agency = self.agencies.get(rule.agency_code)
            if agency is not None and agency.active and in_region(village_code, rule.region_code):
                return agency
        prefix = service.default_agency_code
        if not prefix:
            return None
        best: tuple[int, AgencySpec] | None = None
        for agency in self.agencies.values():
            if not agency.active or not (agency.code == prefix or agency.code.startswith(prefix + "-")):
                continue
            for area in agency.service_area:
                if in_region(village_code, area):
                    depth = area.count(".")
                    if best is None or depth > best[0]:
                        best = (depth, agency)
        return best[1] if best else None


def evaluate_criterion(
    spec: CriterionSpec, compiled: CompiledExpression, facts: Mapping[str, Any]
) -> CriterionOutcome:
    """True/False when the known facts settle it; None (with the missing facts) otherwise.

    A fact known only as an Interval (an age from a birth year) is tried at the values inside
    it: the criterion is known when the whole interval gives one answer."""
    known = {
        name: facts[name]
        for name in compiled.facts
        if facts.get(name) is not None and not isinstance(facts[name], Interval)
    }
    unknown = tuple(name for name in compiled.facts if name not in known)
    if not unknown:
        return CriterionOutcome(spec.name, spec.expression, _run(compiled, known), (), known, spec.name_en)
    # Intervals are part of the reason either way ("only the birth year is known").
    values = {**known, **{name: facts[name] for name in unknown if facts.get(name) is not None}}
    choices = [_choices(compiled.samples[name], facts.get(name)) for name in unknown]
    combinations = 1
    for options in choices:
        combinations *= len(options)
    if combinations > MAX_SAMPLES:
        return CriterionOutcome(spec.name, spec.expression, None, unknown, values, spec.name_en)
    seen: set[bool | None] = set()
    for options in itertools.product(*choices):
        seen.add(_run(compiled, {**known, **dict(zip(unknown, options, strict=True))}))
        if len(seen) > 1:
            return CriterionOutcome(spec.name, spec.expression, None, unknown, values, spec.name_en)
    (result,) = seen
    return CriterionOutcome(
        spec.name, spec.expression, result, () if result is not None else unknown, values, spec.name_en
    )


def _choices(samples: tuple[Any, ...], value: Any) -> tuple[Any, ...]:
    if not isinstance(value, Interval):
        return samples
    inside = {v for v in samples if value.low <= v <= value.high}
    return tuple(sorted(inside | {value.low, value.high}))


def _run(compiled: CompiledExpression, values: dict[str, Any]) -> bool | None:
    try:
        return bool(compiled.rule.evaluate(values))
    except Exception:
        return None


def combine(results: Iterable[bool | None], how: str) -> bool | None:
    """Kleene AND (`all`) or OR (`any`) over True/False/None. No criteria at all: True."""
    results = list(results)
    if not results:
        return True
    if how == "any":
        if True in results:
            return True
        return None if None in results else False
    if False in results:
        return False
    return None if None in results else True


def assess(
    directory: Directory,
    service: ServiceSpec,
    facts: Mapping[str, Any],
    memo: dict[tuple[str, str], CriterionOutcome] | None = None,
) -> tuple[str, list[CriterionOutcome], tuple[str, ...]]:
    """The service's result for these facts, every criterion's outcome, and the missing facts
    that could change the result (none when the result is already settled).

    `memo` caches outcomes by (name, expression) for one set of facts: many services share a
    criterion ("Terdaftar di DTSEN"), and each is judged once per suggestion run.
    """
    outcomes = []
    for spec, compiled in zip(service.criteria, directory.compiled[service.code], strict=True):
        key = (spec.name, spec.expression)
        outcome = memo.get(key) if memo is not None else None
        if outcome is None:
            outcome = evaluate_criterion(spec, compiled, facts)
            if memo is not None:
                memo[key] = outcome
        outcomes.append(outcome)
    overall = combine((o.result for o in outcomes), service.combine)
    if overall is None:
        missing = tuple(dict.fromkeys(name for o in outcomes if o.result is None for name in o.missing))
        return UNKNOWN, outcomes, missing
    return (ELIGIBLE if overall else NOT_ELIGIBLE), outcomes, ()


def suggest(
    directory: Directory,
    needs: Iterable[str],
    facts: Mapping[str, Any],
    village_code: str | None,
    members: Sequence[Mapping[str, Any]] | None = None,
) -> RoutingResult:
    """Suggestions for the person's named needs; with `members` (the facts of each other
    household member, possibly none) also household screening, members named by index."""
    subjects = [Subject(SELF, facts, list(needs))]
    subjects += [Subject(i, member) for i, member in enumerate(members or ())]
    return route(directory, subjects, village_code, screen=members is not None)


def route(
    directory: Directory, subjects: Sequence[Subject], village_code: str | None, *, screen: bool = True
) -> RoutingResult:
    """Suggestions for every subject's named needs, then ("no wrong door") every screened
    service for every subject, then one prerequisite per person who lacks a NIK.

    A service appears at most once per person: under the first need that calls for it, else as
    a household find. Services that read only household facts are screened once, for the first
    subject. A service that needs a NIK, for a person known to have none, is judged as if the
    NIK were there and waits for ADMINDUK (unless it is out of reach even then); ADMINDUK then
    appears once for that person, listing every service that waits for it. Ordered urgent first,
    then eligible, unknown, not eligible, then subject, need-basis before household.
    """
    result = RoutingResult()
    admin = directory.services.get(PREREQUISITE_SERVICE)
    admin_active = admin is not None and admin.active
    order: dict[int, tuple[int, int, int]] = {}
    per_subject: list[dict[str, Suggestion]] = [{} for _ in subjects]
    judges = [_Judge(directory, s.facts, admin_active) for s in subjects]
    household_level_done: set[str] = set()

    def add(index: int, suggestion: Suggestion, rank: int) -> None:
        per_subject[index][suggestion.service.code] = suggestion
        if suggestion.service.code not in directory.personal:
            household_level_done.add(suggestion.service.code)
        result.suggestions.append(suggestion)
        order[id(suggestion)] = (index, rank, len(order))

    for index, subject in enumerate(subjects):
        for need in dict.fromkeys(subject.needs):
            services = directory.by_need.get(need, [])
            if not services:
                result.warnings.append(RoutingWarning("no_service", need))
            for service in services:
                if service.code in per_subject[index]:
                    continue
                suggestion = judges[index].judge(service, need, BASIS_NEED, subject.ref)
                suggestion.agency = directory.agency_for(service, village_code)
                add(index, suggestion, 0)
    if screen:
        for index, subject in enumerate(subjects):
            for service in directory.screened:
                household_level = service.code not in directory.personal
                if service.code in per_subject[index] or (
                    household_level and (index > 0 or service.code in household_level_done)
                ):
                    continue
                suggestion = judges[index].judge(service, None, BASIS_HOUSEHOLD, subject.ref)
                if suggestion.result == NOT_ELIGIBLE and not suggestion.received:
                    continue
                suggestion.agency = directory.agency_for(service, village_code)
                add(index, suggestion, 1)
    if admin is not None and admin.active:
        for index, subject in enumerate(subjects):
            waiting = [s for s in per_subject[index].values() if s.waits_for]
            if not waiting:
                continue
            prerequisite = per_subject[index].get(PREREQUISITE_SERVICE)
            if prerequisite is None:
                first = waiting[0]
                prerequisite = judges[index].judge(admin, first.need, first.basis, subject.ref)
                prerequisite.agency = directory.agency_for(admin, village_code)
                add(index, prerequisite, order[id(first)][1])
            prerequisite.prerequisite_of = [s.service.code for s in waiting]
    result.suggestions.sort(key=lambda s: (not s.urgent, RESULT_ORDER[s.result], *order[id(s)]))
    for s in result.suggestions:
        if s.agency is None and not any(
            w.kind == "no_agency" and w.service_code == s.service.code for w in result.warnings
        ):
            result.warnings.append(RoutingWarning("no_agency", s.need, s.service.code))
    return result


class _Judge:
    """Judges services for one subject, each shared criterion once (memo per set of facts)."""

    def __init__(self, directory: Directory, facts: Mapping[str, Any], admin_active: bool):
        self.directory = directory
        self.facts = facts
        self.memo: dict[tuple[str, str], CriterionOutcome] = {}
        self.without_nik = admin_active and facts.get("has_nik") is False
        self.nik_facts = {**facts, "has_nik": True} if self.without_nik else facts
        self.nik_memo: dict[tuple[str, str], CriterionOutcome] = {}
        self.programmes = set(facts.get("programmes") or ())

    def judge(self, service: ServiceSpec, need: str | None, basis: str, person: Any) -> Suggestion:
        as_if_nik = self.without_nik and service.needs_nik
        outcome, criteria, missing = assess(
            self.directory,
            service,
            self.nik_facts if as_if_nik else self.facts,
            self.nik_memo if as_if_nik else self.memo,
        )
        waits = [PREREQUISITE_SERVICE] if as_if_nik and outcome != NOT_ELIGIBLE else []
        return Suggestion(
            need,
            service,
            None,
            outcome,
            criteria,
            missing,
            waits_for=waits,
            basis=basis,
            person=person,
            received=service.code in self.programmes,
        )
