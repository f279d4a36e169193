"""Open Referral HSDS 3.0 view of the directory: public, read-only, rate-limited.

HSDS ids are UUIDs: ours are derived from the stable codes (uuid5), so they never change and
need no extra column. A service is delivered by different agencies in different regions: it
lists the regions of its routing rules as `service_areas`, and its link to each agency is
machine-readable as `service_at_locations` (the service at that agency's location, whose
`organization_id` names the agency); `organization_id` itself is set only when one agency
delivers it everywhere. An organization lists the services routed to it. Each agency is one
location (its office); its address is one line of text, not HSDS's postal parts, so it is the
location's description and `addresses` stays empty.

The API entry point `/hsds/` says which HSDS this is; every list takes `search` (words in the
name, code or description) and `format` (`json`, paginated, or `ndjson`: every result, one per
line).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, jsonify, request, url_for
from sqlalchemy.orm import selectinload

from slrt.core.web import MAX_PAGE
from slrt.directory.models import Agency, RoutingRule, Service
from slrt.extensions import db, limiter

bp = Blueprint("hsds", __name__, url_prefix="/hsds")

NAMESPACE = uuid.UUID("6f1d3c9e-5a52-4c38-9a0e-2b7f5d0c7a11")  # fixed: ids must stay stable
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 100
HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://docs.openreferral.org/en/3.0/"
FORMATS = ("json", "ndjson")
MAX_SEARCH = 100


def stable_id(kind: str, code: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{code}"))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _rules_by_service(service_ids: list[int]) -> dict[int, list[RoutingRule]]:
    out: dict[int, list[RoutingRule]] = {}
    if service_ids:
        for rule in db.session.scalars(
            sa.select(RoutingRule)
            .where(RoutingRule.service_id.in_(service_ids))
            .order_by(RoutingRule.region_code)
        ):
            out.setdefault(rule.service_id, []).append(rule)
    return out


def _agencies_of(rules: list[RoutingRule]) -> list[Agency]:
    agencies: dict[str, Agency] = {}
    for rule in rules:
        if rule.agency is not None and rule.agency.active:
            agencies.setdefault(rule.agency.code, rule.agency)
    return [agencies[code] for code in sorted(agencies)]


def location_json(agency: Agency) -> dict[str, Any]:
    """An agency's office as an HSDS location."""
    body: dict[str, Any] = {
        "id": stable_id("location", agency.code),
        "location_type": "physical",
        "organization_id": stable_id("organization", agency.code),
        "name": agency.name,
        "description": ", ".join(filter(None, [agency.address, agency.hours])) or None,
        "addresses": [],
    }
    return {k: v for k, v in body.items() if v is not None}


def service_at_location_json(service: Service, agency: Agency, rules: list[RoutingRule]) -> dict[str, Any]:
    """The service as one agency delivers it, with the regions routed to that agency."""
    regions = [r.region_code for r in rules if r.agency_id == agency.id]
    return {
        "id": stable_id("service_at_location", f"{service.code}:{agency.code}"),
        "service_id": stable_id("service", service.code),
        "location_id": stable_id("location", agency.code),
        "description": f"{service.name} – {agency.name}: {', '.join(regions)}",
        "location": location_json(agency),
    }


def service_json(service: Service, rules: list[RoutingRule]) -> dict[str, Any]:
    sid = stable_id("service", service.code)
    agencies = _agencies_of(rules)
    body: dict[str, Any] = {
        "id": sid,
        "organization_id": stable_id("organization", agencies[0].code) if len(agencies) == 1 else None,
        "name": service.name,
        "alternate_name": service.code,
        "description": service.description or service.name,
        "status": "active" if service.active else "inactive",
        "eligibility_description": "; ".join(c.name for c in service.criteria) or None,
        "required_documents": [
            {"id": stable_id("document", f"{service.code}:{doc}"), "service_id": sid, "document": doc}
            for doc in service.required_documents or []
        ],
        "service_areas": [
            {
                "id": stable_id("area", f"{service.code}:{rule.region_code}"),
                "service_id": sid,
                "name": rule.region.name if rule.region else rule.region_code,
                "description": f"{rule.region_code}: {rule.agency.name}",
                "extent_type": "text",
                "extent": rule.region_code,
            }
            for rule in rules
        ],
        "service_at_locations": [service_at_location_json(service, a, rules) for a in agencies],
        "last_modified": _iso(service.updated_at),
    }
    return {k: v for k, v in body.items() if v is not None}


def organization_json(agency: Agency, services: list[Service]) -> dict[str, Any]:
    oid = stable_id("organization", agency.code)
    body: dict[str, Any] = {
        "id": oid,
        "name": agency.name,
        "alternate_name": agency.code,
        "description": ", ".join(filter(None, [agency.name, agency.address, agency.hours])),
        "email": agency.email,
        "phones": [{"id": stable_id("phone", agency.code), "organization_id": oid, "number": agency.phone}]
        if agency.phone
        else [],
        "services": [
            {
                "id": stable_id("service", s.code),
                "organization_id": oid,
                "name": s.name,
                "status": "active" if s.active else "inactive",
            }
            for s in services
        ],
        "locations": [location_json(agency)],
    }
    return {k: v for k, v in body.items() if v is not None}


def _page_args() -> tuple[int, int]:
    try:
        page = min(max(int(request.args.get("page", 1)), 1), MAX_PAGE)
        per_page = min(max(int(request.args.get("per_page", DEFAULT_PER_PAGE)), 1), MAX_PER_PAGE)
    except ValueError:
        abort(400, "page and per_page must be whole numbers")
    return page, per_page


def _search(*columns: Any) -> sa.ColumnElement[bool] | None:
    """`search`: every word in one of `columns`, case-insensitive; None without one."""
    words = (request.args.get("search") or "")[:MAX_SEARCH].split()
    if not words:
        return None
    return sa.and_(
        *(sa.or_(*(sa.func.lower(c).contains(w.lower(), autoescape=True) for c in columns)) for w in words)
    )


def _searched(stmt: sa.Select, *columns: Any) -> sa.Select:
    condition = _search(*columns)
    return stmt if condition is None else stmt.where(condition)


def _format() -> str:
    fmt = request.args.get("format") or "json"
    if fmt not in FORMATS:
        abort(400, "format must be json or ndjson")
    return fmt


def _page(stmt: sa.Select, to_json: Callable[[list[Any]], list[dict[str, Any]]], rows_of: Any = None) -> Any:
    """HSDS's page of `stmt`'s results (objects, or rows with `rows_of=db.session.execute`)."""
    fetch = rows_of or db.session.scalars
    if _format() == "ndjson":
        # Every result, unpaginated, one JSON object a line (HSDS's `format=ndjson`); the
        # directory is a few hundred rows, built before the request's transaction ends.
        lines = [json.dumps(item, ensure_ascii=False) + "\n" for item in to_json(list(fetch(stmt)))]
        return Response("".join(lines), mimetype="application/x-ndjson")
    page, per_page = _page_args()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = fetch(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    total_pages = math.ceil(total / per_page) if total else 0
    return jsonify(
        {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": page,
            "size": len(rows),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not rows,
            "contents": to_json(list(rows)),
        }
    )


def _services_json(services: list[Service]) -> list[dict[str, Any]]:
    rules = _rules_by_service([s.id for s in services])
    return [service_json(s, rules.get(s.id, [])) for s in services]


def _routed_services(agencies: list[Agency]) -> dict[int, list[Service]]:
    out: dict[int, list[Service]] = {}
    if agencies:
        rows = db.session.execute(
            sa.select(RoutingRule.agency_id, Service)
            .join(Service, RoutingRule.service_id == Service.id)
            .where(RoutingRule.agency_id.in_([a.id for a in agencies]))
            .order_by(Service.code)
        ).all()
        for agency_id, service in rows:
            if service not in out.setdefault(agency_id, []):
                out[agency_id].append(service)
    return out


@bp.route("/")
@limiter.limit("120/minute")
def api_information() -> Any:
    """HSDS's entry point: which HSDS this API speaks, and where its description is."""
    return jsonify(
        {
            "version": HSDS_VERSION,
            "profile": HSDS_PROFILE,
            "openapi_url": url_for("api.openapi", _external=True),
        }
    )


@bp.route("/services")
@limiter.limit("120/minute")
def services() -> Any:
    stmt = sa.select(Service).options(selectinload(Service.criteria)).order_by(Service.code)
    stmt = _searched(stmt, Service.name, Service.code, Service.description)
    organization_id = request.args.get("organization_id")
    if organization_id:
        agency = _agency_by_hsds_id(organization_id)
        routed = sa.select(RoutingRule.service_id).where(
            RoutingRule.agency_id == (agency.id if agency else None)
        )
        stmt = stmt.where(Service.id.in_(routed))
    return _page(stmt, _services_json)


def _agency_by_hsds_id(hsds_id: str) -> Agency | None:
    for a in db.session.scalars(sa.select(Agency).where(Agency.active.is_(True))):
        if stable_id("organization", a.code) == hsds_id:
            return a
    return None


@bp.route("/services/<hsds_id>")
@limiter.limit("120/minute")
def service(hsds_id: str) -> Any:
    for s in db.session.scalars(sa.select(Service).options(selectinload(Service.criteria))):
        if stable_id("service", s.code) == hsds_id:
            return jsonify(_services_json([s])[0])
    abort(404)


@bp.route("/organizations")
@limiter.limit("120/minute")
def organizations() -> Any:
    def to_json(agencies: list[Agency]) -> list[dict[str, Any]]:
        routed = _routed_services(agencies)
        return [organization_json(a, routed.get(a.id, [])) for a in agencies]

    stmt = sa.select(Agency).where(Agency.active.is_(True)).order_by(Agency.code)
    return _page(_searched(stmt, Agency.name, Agency.code, Agency.address), to_json)


@bp.route("/organizations/<hsds_id>")
@limiter.limit("120/minute")
def organization(hsds_id: str) -> Any:
    agency = _agency_by_hsds_id(hsds_id)
    if agency is None:
        abort(404)
    return jsonify(organization_json(agency, _routed_services([agency]).get(agency.id, [])))


@bp.route("/locations")
@limiter.limit("120/minute")
def locations() -> Any:
    stmt = sa.select(Agency).where(Agency.active.is_(True)).order_by(Agency.code)
    stmt = _searched(stmt, Agency.name, Agency.code, Agency.address)
    return _page(stmt, lambda agencies: [location_json(a) for a in agencies])


@bp.route("/locations/<hsds_id>")
@limiter.limit("120/minute")
def location(hsds_id: str) -> Any:
    for a in db.session.scalars(sa.select(Agency).where(Agency.active.is_(True))):
        if stable_id("location", a.code) == hsds_id:
            return jsonify(location_json(a))
    abort(404)


def _service_at_locations() -> sa.Select:
    """One row per service and agency that a routing rule joins."""
    return (
        sa.select(
            Service.id.label("service_id"),
            Agency.id.label("agency_id"),
            Service.code.label("service_code"),
            Agency.code.label("agency_code"),
        )
        .join(RoutingRule, RoutingRule.service_id == Service.id)
        .join(Agency, Agency.id == RoutingRule.agency_id)
        .where(Agency.active.is_(True))
        .group_by(Service.id, Agency.id, Service.code, Agency.code)
        .order_by(Service.code, Agency.code)
    )


def _service_at_locations_json(pairs: list[sa.Row]) -> list[dict[str, Any]]:
    services = {
        s.id: s
        for s in db.session.scalars(sa.select(Service).where(Service.id.in_({p.service_id for p in pairs})))
    }
    agencies = {
        a.id: a
        for a in db.session.scalars(sa.select(Agency).where(Agency.id.in_({p.agency_id for p in pairs})))
    }
    rules = _rules_by_service(list(services))
    return [
        service_at_location_json(services[p.service_id], agencies[p.agency_id], rules.get(p.service_id, []))
        for p in pairs
    ]


@bp.route("/service_at_locations")
@limiter.limit("120/minute")
def service_at_locations() -> Any:
    stmt = _searched(_service_at_locations(), Service.name, Service.code, Agency.name, Agency.code)
    return _page(stmt, _service_at_locations_json, rows_of=db.session.execute)


@bp.route("/service_at_locations/<hsds_id>")
@limiter.limit("120/minute")
def service_at_location(hsds_id: str) -> Any:
    for pair in db.session.execute(_service_at_locations()).all():
        if stable_id("service_at_location", f"{pair.service_code}:{pair.agency_code}") == hsds_id:
            return jsonify(_service_at_locations_json([pair])[0])
    abort(404)
