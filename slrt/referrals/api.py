"""JSON API for agencies with their own systems: list, read and move referrals (Bearer tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request

from slrt.accounts.services import ValidationFailed
from slrt.api.auth import api_error, limited, token_required
from slrt.core.access import visible
from slrt.core.audit import audit
from slrt.core.web import MAX_PAGE
from slrt.directory.models import Agency
from slrt.extensions import db
from slrt.referrals import deadlines, transitions
from slrt.referrals.models import Referral
from slrt.referrals.models import ReferralStatus as S

bp = limited(Blueprint("referrals_api", __name__, url_prefix="/api/v1"))

MAX_PER_PAGE = 100


def referral_json(referral: Referral) -> dict[str, Any]:
    status = deadlines.deadline_status(referral)
    return {
        "id": referral.id,
        "status": referral.status.value,
        "status_label": referral.status_label,
        "version": referral.version,
        "letter_number": referral.letter_number,
        "service": referral.service.code,
        "agency": referral.agency.code if referral.agency else None,
        "urgent": referral.urgent,
        "tracking_code": referral.case.tracking_code,
        "need": referral.need.category_code if referral.need else None,
        "respond_due": referral.respond_due.isoformat() if referral.respond_due else None,
        "resolve_due": referral.resolve_due.isoformat() if referral.resolve_due else None,
        "deadline_status": status.value if status else None,
        "outcome": referral.outcome,
        "outcome_note": referral.outcome_note,
        "sent_at": referral.sent_at.isoformat() if referral.sent_at else None,
        "closed_at": referral.closed_at.isoformat() if referral.closed_at else None,
        "updated_at": referral.updated_at.isoformat(),
    }


def _load(referral_id: int) -> Referral | None:
    return db.session.scalar(visible(Referral, g.api_user).where(Referral.id == referral_id))


@bp.route("/referrals")
@token_required("referrals:read")
def list_referrals() -> Any:
    problems = []
    query = visible(Referral, g.api_user)
    # Given but empty is refused like any other value outside the document's enum and format.
    status = request.args.get("status")
    if status is not None:
        try:
            query = query.where(Referral.status == S(status))
        except ValueError:
            problems.append({"field": "status", "message": f"unknown status {status}"})
    since = request.args.get("updated_since")
    if since is not None:
        try:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("a time zone is required")
            query = query.where(Referral.updated_at >= moment)
        except ValueError:
            problems.append({"field": "updated_since", "message": "ISO 8601 date-time with time zone"})
    page = request.args.get("page", "1")
    per_page = request.args.get("per_page", "50")
    if not page.isdecimal() or not 1 <= int(page) <= MAX_PAGE:
        problems.append({"field": "page", "message": f"an integer from 1 to {MAX_PAGE}"})
    if not per_page.isdecimal() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        problems.append({"field": "per_page", "message": f"an integer from 1 to {MAX_PER_PAGE}"})
    if problems:
        return api_error(400, "invalid query", problems)
    page_n, size = int(page), int(per_page)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(Referral.updated_at, Referral.id).limit(size).offset((page_n - 1) * size)
    ).all()
    # A system reading referrals in bulk is recorded too: which ones it received.
    audit("referral.list", detail={"api": True, "ids": [r.id for r in rows]})
    return jsonify(
        {
            "items": [referral_json(r) for r in rows],
            "page": page_n,
            "per_page": size,
            "total": total,
            "next_page": page_n + 1 if page_n * size < total else None,
        }
    )


@bp.route("/referrals/<int:referral_id>")
@token_required("referrals:read")
def get_referral(referral_id: int) -> Any:
    referral = _load(referral_id)
    if referral is None:
        return api_error(404, "not found")
    audit("referral.view", referral, detail={"api": True})
    body = referral_json(referral)
    body["events"] = [
        {
            "from": e.from_status.value if e.from_status else None,
            "to": e.to_status.value,
            "at": e.at.isoformat(),
            "note": e.note,
            "message": e.public_message,
            "reason": e.reason,
        }
        for e in referral.events
    ]
    return jsonify(body)


@bp.route("/referrals/<int:referral_id>/transitions", methods=["POST"])
@token_required("referrals:write")
def post_transition(referral_id: int) -> Any:
    referral = _load(referral_id)
    if referral is None:
        return api_error(404, "not found")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return api_error(400, "a JSON object is required", [{"field": None, "message": "JSON object"}])
    problems = []
    allowed = {"to", "note", "message", "reason", "outcome", "version", "agency"}
    for key in payload.keys() - allowed:
        problems.append({"field": key, "message": "unknown field"})
    if not isinstance(payload.get("to"), str):
        problems.append({"field": "to", "message": "required: the target status"})
    for key in ("note", "message", "reason", "outcome", "agency"):
        if payload.get(key) is not None and not isinstance(payload[key], str):
            problems.append({"field": key, "message": "must be a string"})
    version = payload.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        problems.append({"field": "version", "message": "must be an integer"})
    agency = None
    if isinstance(payload.get("agency"), str):
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == payload["agency"]))
        if agency is None:
            problems.append({"field": "agency", "message": "unknown agency code"})
    if problems:
        return api_error(400, "invalid request", problems)
    try:
        transitions.transition(
            referral,
            payload["to"],
            g.api_user,
            note=payload.get("note"),
            message=payload.get("message"),
            reason=payload.get("reason"),
            outcome=payload.get("outcome"),
            agency=agency,
            expected_version=version,
        )
    # StaleVersion (409) and TransitionNotAllowed (422) are answered by slrt.core.errors.
    except ValidationFailed as exc:
        return api_error(
            422,
            "the transition needs more information",
            [{"field": f, "message": m} for f, ms in exc.errors.items() for m in ms],
        )
    return jsonify(referral_json(referral))


_REF = {"$ref": "#/components/schemas/Referral"}
_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_ID = {"name": "referral_id", "in": "path", "required": True, "schema": {"type": "integer"}}
OPENAPI_SCHEMAS = {
    "Referral": {
        "type": "object",
        "required": ["id", "status", "version", "service", "tracking_code", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": [s.value for s in S]},
            "status_label": {"type": "string"},
            "version": {"type": "integer", "description": "send it back in transitions (optimistic locking)"},
            "letter_number": {"type": ["string", "null"]},
            "service": {"type": "string"},
            "agency": {"type": ["string", "null"]},
            "urgent": {"type": "boolean"},
            "tracking_code": {"type": "string"},
            "need": {"type": ["string", "null"]},
            "respond_due": {"type": ["string", "null"], "format": "date"},
            "resolve_due": {"type": ["string", "null"], "format": "date"},
            "deadline_status": {
                "type": ["string", "null"],
                "enum": ["on_track", "at_risk", "overdue", "paused", None],
            },
            "outcome": {"type": ["string", "null"]},
            "outcome_note": {"type": ["string", "null"]},
            "sent_at": {"type": ["string", "null"], "format": "date-time"},
            "closed_at": {"type": ["string", "null"], "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "ReferralPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total"],
        "properties": {
            "items": {"type": "array", "items": _REF},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next_page": {"type": ["integer", "null"]},
        },
    },
    "TransitionRequest": {
        "type": "object",
        "required": ["to"],
        "additionalProperties": False,
        "properties": {
            "to": {"type": "string", "enum": [s.value for s in S]},
            "note": {
                "type": "string",
                "description": "internal note (required to reject with 'other', return, cancel)",
            },
            "message": {"type": "string", "description": "message shown to the citizen"},
            "reason": {
                "type": "string",
                "enum": ["not_eligible", "not_responsible", "duplicate", "incomplete_documents", "other"],
            },
            "outcome": {
                "type": "string",
                "enum": ["granted", "service_delivered", "partly_delivered", "not_granted"],
            },
            "agency": {"type": "string", "description": "agency code, when re-sending a returned referral"},
            "version": {"type": "integer", "description": "the version you read; 409 when it changed"},
        },
    },
}
OPENAPI_PATHS = {
    "/api/v1/referrals": {
        "get": {
            "summary": "Referrals the token's user may see",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": [s.value for s in S]}},
                {"name": "updated_since", "in": "query", "schema": {"type": "string", "format": "date-time"}},
                {
                    "name": "page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                },
                {
                    "name": "per_page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                },
            ],
            "responses": {
                "200": {
                    "description": "a page",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/ReferralPage"}}
                    },
                },
                "400": {"description": "invalid query", "content": _ERR},
                "401": {"description": "no valid token", "content": _ERR},
            },
        }
    },
    "/api/v1/referrals/{referral_id}": {
        "get": {
            "summary": "One referral with its history",
            "parameters": [_ID],
            "responses": {
                "200": {"description": "the referral", "content": {"application/json": {"schema": _REF}}},
                "401": {"description": "no valid token", "content": _ERR},
                "404": {"description": "missing or outside the user's scope", "content": _ERR},
            },
        }
    },
    "/api/v1/referrals/{referral_id}/transitions": {
        "post": {
            "summary": "Move a referral to another status",
            "parameters": [_ID],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/TransitionRequest"}}
                },
            },
            "responses": {
                "200": {"description": "the new state", "content": {"application/json": {"schema": _REF}}},
                "400": {"description": "malformed request", "content": _ERR},
                "401": {"description": "no valid token", "content": _ERR},
                "404": {"description": "missing or outside the user's scope", "content": _ERR},
                "409": {"description": "the version is stale: someone changed it first", "content": _ERR},
                "422": {"description": "not allowed from this state or for this user", "content": _ERR},
            },
        }
    },
}
