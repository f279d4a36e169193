"""The seed catalogue: need taxonomy, services and their criteria, from a JSON data file.

Loading validates the whole file first (every problem, with its place, e.g.
"services[3] (PIP).criteria[1]: ...") and changes nothing when any row is wrong; loading the
same file again changes nothing (upsert by stable code). Changed services are recorded in the
directory history like an edit on the admin pages (actor: none, i.e. the command line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from slrt.directory.models import AgencyContact, Combine, NeedCategory, Service
from slrt.extensions import db

DEFAULT_PATH = Path(__file__).parent / "data" / "catalog.json"


class CatalogError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def read_catalog(path: Path | str = DEFAULT_PATH) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError([f"{path}: {exc}"]) from exc
    problems = validate_catalog(data)
    if problems:
        raise CatalogError(problems)
    return data


def validate_catalog(data: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(data, dict):
        return ["the file must hold a JSON object with 'needs' and 'services'"]
    needs = data.get("needs")
    services = data.get("services")
    if not isinstance(needs, list) or not isinstance(services, list):
        return ["'needs' and 'services' must be lists"]
    need_codes: set[str] = set()
    for i, need in enumerate(needs):
        where = f"needs[{i}]"
        if not isinstance(need, dict) or not isinstance(need.get("code"), str) or not need.get("name"):
            problems.append(f"{where}: needs a 'code' and a 'name'")
            continue
        if need["code"] in need_codes:
            problems.append(f"{where}: duplicate code {need['code']}")
        need_codes.add(need["code"])
    service_codes: set[str] = set()
    for i, svc in enumerate(services):
        where = f"services[{i}]"
        if not isinstance(svc, dict) or not isinstance(svc.get("code"), str) or not svc.get("name"):
            problems.append(f"{where}: needs a 'code' and a 'name'")
            continue
        where = f"services[{i}] ({svc['code']})"
        if svc["code"] in service_codes:
            problems.append(f"{where}: duplicate code")
        service_codes.add(svc["code"])
        for code in svc.get("needs", []):
            if code not in need_codes:
                problems.append(f"{where}: unknown need {code!r}")
        sla = svc.get("sla", [3, 14])
        if (
            not isinstance(sla, list)
            or len(sla) != 2
            or not all(isinstance(d, int) for d in sla)
            or sla[0] < 0
            or sla[1] < 1
        ):
            problems.append(f"{where}: 'sla' must be [respond_days >= 0, resolve_days >= 1]")
        if svc.get("combine", "all") not in {c.value for c in Combine}:
            problems.append(f"{where}: 'combine' must be 'all' or 'any'")
        problems.extend(_criteria_problems(where, svc.get("criteria", [])))
    return problems


def _criteria_problems(where: str, criteria: Any) -> list[str]:
    from slrt.routing.expressions import check_expression

    if not isinstance(criteria, list):
        return [f"{where}: 'criteria' must be a list"]
    problems: list[str] = []
    names: set[str] = set()
    for j, criterion in enumerate(criteria):
        place = f"{where}.criteria[{j}]"
        if (
            not isinstance(criterion, dict)
            or not isinstance(criterion.get("name"), str)
            or not criterion["name"].strip()
        ):
            problems.append(f"{place}: needs a 'name' and an 'expression'")
            continue
        place = f"{where}.criteria[{j}] ({criterion['name']})"
        if criterion["name"] in names:
            problems.append(f"{place}: duplicate name")
        names.add(criterion["name"])
        expression = criterion.get("expression")
        problem = check_expression(expression) if isinstance(expression, str) else "expression must be text"
        if problem:
            problems.append(f"{place}: {problem}")
    return problems


def load_catalog(path: Path | str = DEFAULT_PATH, *, keep_edited: bool = False) -> dict[str, int]:
    """Upserts the catalogue; the caller commits. Returns counts of created rows.

    `keep_edited` leaves alone every service an administrator has changed on the directory
    pages (the demo seed runs at every `make run` and must not undo those edits); the
    command `flask catalog load` applies the file as it is.
    """
    data = read_catalog(path)
    created = {"needs": 0, "services": 0}
    for position, row in enumerate(data["needs"]):
        need = db.session.get(NeedCategory, row["code"])
        if need is None:
            need = NeedCategory(code=row["code"])
            db.session.add(need)
            created["needs"] += 1
        need.name, need.name_en = row["name"], row.get("name_en")
        need.description = row.get("description")
        need.fast_track = bool(row.get("fast_track", False))
        need.position = position
    from slrt.directory.services import _replace_criteria, record_changes, service_fields

    for row in data["services"]:
        svc = db.session.scalar(sa.select(Service).where(Service.code == row["code"]))
        if keep_edited and svc is not None and _edited_by_a_person(svc):
            continue
        before = service_fields(svc)
        if svc is None:
            svc = Service(code=row["code"])
            db.session.add(svc)
            created["services"] += 1
        svc.name = row["name"]
        svc.description = row.get("description")
        svc.required_documents = list(row.get("documents", []))
        svc.needs = list(row.get("needs", []))
        svc.sla_respond_days, svc.sla_resolve_days = row.get("sla", [3, 14])
        svc.needs_nik = bool(row.get("needs_nik", False))
        svc.agency_contact = AgencyContact(row.get("agency_contact", "full"))
        svc.urgent = bool(row.get("urgent", False))
        svc.screen = bool(row.get("screen", True))
        svc.default_agency_code = row.get("agency")
        svc.combine = Combine(row.get("combine", "all"))
        _replace_criteria(
            svc, [(c["name"].strip(), c["expression"].strip()) for c in row.get("criteria", [])]
        )
        for criterion, c in zip(svc.criteria, row.get("criteria", []), strict=True):
            criterion.name_en = c.get("name_en")
        db.session.flush()
        record_changes("service", svc, svc.code, before, service_fields(svc), actor=None)
    db.session.flush()
    return created


def _edited_by_a_person(service: Service) -> bool:
    from slrt.directory.models import DirectoryChange

    return (
        db.session.scalar(
            sa.select(DirectoryChange.id)
            .where(
                DirectoryChange.object_type == "service",
                DirectoryChange.object_id == service.id,
                DirectoryChange.actor_id.is_not(None),
            )
            .limit(1)
        )
        is not None
    )


def service_specs(data: dict[str, Any]) -> list[Any]:
    """The catalogue's services as engine specs, without a database (tests, benchmarks)."""
    from slrt.routing.engine import CriterionSpec, ServiceSpec

    return [
        ServiceSpec(
            code=row["code"],
            name=row["name"],
            needs=tuple(row.get("needs", [])),
            criteria=tuple(
                CriterionSpec(c["name"], c["expression"], c.get("name_en")) for c in row.get("criteria", [])
            ),
            combine=row.get("combine", "all"),
            urgent=bool(row.get("urgent", False)),
            needs_nik=bool(row.get("needs_nik", False)),
            default_agency_code=row.get("agency"),
            screen=bool(row.get("screen", True)),
        )
        for row in data["services"]
    ]
