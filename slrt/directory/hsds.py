"""Open Referral HSDS 3.0 view of the directory: public, read-only, rate-limited.

HSDS ids are UUIDs: ours are derived from the stable codes (uuid5), so they never change and
need no extra column. A service is delivered by different agencies in different regions, so
instead of one `organization_id` it lists the regions of its routing rules as `service_areas`,
each naming the agency; an organization lists the services routed to it.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request
from sqlalchemy.orm import selectinload

from slrt.core.web import MAX_PAGE
from slrt.directory.models import Agency, RoutingRule, Service
from slrt.extensions import db, limiter

bp = Blueprint("hsds", __name__, url_prefix="/hsds")

NAMESPACE = uuid.UUID("6f1d3c9e-5a52-4c38-9a0e-2b7f5d0c7a11")  # fixed: ids must stay stable
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 100


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


def service_json(service: Service, rules: list[RoutingRule]) -> dict[str, Any]:
    sid = stable_id("service", service.code)
    body: dict[str, Any] = {
        "id": sid,
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
                "name": s.name,
                "status": "active" if s.active else "inactive",
            }
            for s in services
        ],
    }
    return {k: v for k, v in body.items() if v is not None}


def _page_args() -> tuple[int, int]:
    try:
        page = min(max(int(request.args.get("page", 1)), 1), MAX_PAGE)
        per_page = min(max(int(request.args.get("per_page", DEFAULT_PER_PAGE)), 1), MAX_PER_PAGE)
    except ValueError:
        abort(400, "page and per_page must be whole numbers")
    return page, per_page


def _page(stmt: sa.Select, to_json: Any) -> Any:
    page, per_page = _page_args()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
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
            "contents": to_json(rows),
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


@bp.route("/services")
@limiter.limit("120/minute")
def services() -> Any:
    stmt = sa.select(Service).options(selectinload(Service.criteria)).order_by(Service.code)
    return _page(stmt, _services_json)


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

    return _page(sa.select(Agency).where(Agency.active.is_(True)).order_by(Agency.code), to_json)


@bp.route("/organizations/<hsds_id>")
@limiter.limit("120/minute")
def organization(hsds_id: str) -> Any:
    for a in db.session.scalars(sa.select(Agency).where(Agency.active.is_(True))):
        if stable_id("organization", a.code) == hsds_id:
            return jsonify(organization_json(a, _routed_services([a]).get(a.id, [])))
    abort(404)
