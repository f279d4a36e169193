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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slrt.core.access import in_region
from slrt.routing.expressions import CompiledExpression, compile_expression

ELIGIBLE, NOT_ELIGIBLE, UNKNOWN = "eligible", "not_eligible", "unknown"
RESULT_ORDER = {ELIGIBLE: 0, UNKNOWN: 1, NOT_ELIGIBLE: 2}
PREREQUISITE_SERVICE = "ADMINDUK"  # identity documents: needed first when a person has no NIK
MAX_SAMPLES = 4096  # beyond this many combinations of unknown facts, say "unknown" at once


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    expression: str


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


@dataclass
class Suggestion:
    need: str
    service: ServiceSpec
    agency: AgencySpec | None
    result: str
    criteria: list[CriterionOutcome]
    missing: tuple[str, ...] = ()  # facts whose answer could change `result`
    prerequisite_of: str | None = None

    @property
    def urgent(self) -> bool:
        return self.service.urgent


@dataclass(frozen=True)
class RoutingWarning:
    kind: str  # "no_agency" or "no_service"
    need: str
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
        for service in self.services.values():
            self.compiled[service.code] = [compile_expression(c.expression) for c in service.criteria]
            if service.active:
                for need in service.needs:
                    self.by_need.setdefault(need, []).append(service)
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
    """True/False when the known facts settle it; None (with the missing facts) otherwise."""
    known = {name: facts[name] for name in compiled.facts if facts.get(name) is not None}
    unknown = tuple(name for name in compiled.facts if facts.get(name) is None)
    if not unknown:
        return CriterionOutcome(spec.name, spec.expression, _run(compiled, known), (), known)
    choices = [compiled.samples[name] for name in unknown]
    combinations = 1
    for values in choices:
        combinations *= len(values)
    if combinations > MAX_SAMPLES:
        return CriterionOutcome(spec.name, spec.expression, None, unknown, known)
    seen: set[bool | None] = set()
    for values in itertools.product(*choices):
        seen.add(_run(compiled, {**known, **dict(zip(unknown, values, strict=True))}))
        if len(seen) > 1:
            return CriterionOutcome(spec.name, spec.expression, None, unknown, known)
    (result,) = seen
    return CriterionOutcome(spec.name, spec.expression, result, () if result is not None else unknown, known)


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
    directory: Directory, needs: Iterable[str], facts: Mapping[str, Any], village_code: str | None
) -> RoutingResult:
    """Suggestions for each need, ordered urgent first, then eligible, unknown, not eligible."""
    result = RoutingResult()
    needs = list(dict.fromkeys(needs))
    order: dict[int, tuple[int, int]] = {}
    prerequisites_for: set[str] = set()  # one ADMINDUK per dependent service, not per need
    memo: dict[tuple[str, str], CriterionOutcome] = {}
    for need_index, need in enumerate(needs):
        services = directory.by_need.get(need, [])
        if not services:
            result.warnings.append(RoutingWarning("no_service", need))
        for service in services:
            outcome, criteria, missing = assess(directory, service, facts, memo)
            suggestion = Suggestion(
                need, service, directory.agency_for(service, village_code), outcome, criteria, missing
            )
            result.suggestions.append(suggestion)
            order[id(suggestion)] = (need_index, len(order))
            if service.needs_nik and facts.get("has_nik") is False and service.code not in prerequisites_for:
                prerequisites_for.add(service.code)
                prerequisite = _prerequisite(directory, suggestion, facts, village_code)
                if prerequisite is not None:
                    result.suggestions.append(prerequisite)
                    order[id(prerequisite)] = (need_index, len(order))
    result.suggestions.sort(key=lambda s: (not s.urgent, RESULT_ORDER[s.result], *order[id(s)]))
    for s in result.suggestions:
        if s.agency is None and not any(
            w.kind == "no_agency" and w.service_code == s.service.code for w in result.warnings
        ):
            result.warnings.append(RoutingWarning("no_agency", s.need, s.service.code))
    return result


def _prerequisite(
    directory: Directory, dependent: Suggestion, facts: Mapping[str, Any], village_code: str | None
) -> Suggestion | None:
    """ADMINDUK for a person without NIK, unless the dependent service is out of reach anyway
    (not eligible even once the person has a NIK)."""
    admin = directory.services.get(PREREQUISITE_SERVICE)
    if admin is None or not admin.active or dependent.service.code == PREREQUISITE_SERVICE:
        return None
    if dependent.result == NOT_ELIGIBLE:
        with_nik, _, _ = assess(directory, dependent.service, {**facts, "has_nik": True})
        if with_nik == NOT_ELIGIBLE:
            return None
    outcome, criteria, missing = assess(directory, admin, facts)
    return Suggestion(
        dependent.need,
        admin,
        directory.agency_for(admin, village_code),
        outcome,
        criteria,
        missing,
        prerequisite_of=dependent.service.code,
    )
