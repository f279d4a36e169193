"""The OpenAPI 3.1 document at /api/v1/openapi.json. Each feature adds its paths and schemas
with `add_paths(...)` from its `init_app`, so the document lives beside the code it describes."""

from __future__ import annotations

import copy
from typing import Any

_PATHS: dict[str, Any] = {}
_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string"},
            "status": {"type": "integer"},
            "message": {"type": "string"},
            "problems": {"type": "array", "items": {}},
        },
    }
}


def add_paths(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    for path, operations in paths.items():
        _PATHS.setdefault(path, {}).update(operations)
    _SCHEMAS.update(schemas or {})


# Every token route (those that answer 401) is rate limited as well (slrt.api.auth.limited).
TOO_MANY = {
    "description": "too many requests from this address (SLRT_API_RATE_LIMIT), or too many refused tokens",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


# A generated client names its methods after operationId (openapi-python-client: `list_referrals`,
# not `get_api_v1_referrals`): stable names, for the operations whose feature gives none.
OPERATION_IDS = {
    ("get", "/api/v1/referrals"): "listReferrals",
    ("get", "/api/v1/referrals/{referral_id}"): "getReferral",
    ("post", "/api/v1/referrals/{referral_id}/transitions"): "transitionReferral",
}
# OpenAPI links: how a client (and schemathesis' stateful phase) goes from one answer to the
# next call, e.g. from a listed referral to its transitions.
LINKS = {
    "listReferrals": {
        "getReferral": {
            "operationId": "getReferral",
            "parameters": {"referral_id": "$response.body#/items/0/id"},
        },
        "transitionReferral": {
            "operationId": "transitionReferral",
            "parameters": {"referral_id": "$response.body#/items/0/id"},
            "requestBody": {"to": "accepted", "version": "$response.body#/items/0/version"},
        },
    },
    "getReferral": {
        "transitionReferral": {
            "operationId": "transitionReferral",
            "parameters": {"referral_id": "$response.body#/id"},
            "requestBody": {"to": "accepted", "version": "$response.body#/version"},
        },
    },
    "transitionReferral": {
        "getReferral": {"operationId": "getReferral", "parameters": {"referral_id": "$response.body#/id"}},
    },
}


def _paths() -> dict[str, Any]:
    paths = copy.deepcopy(_PATHS)
    for path, operations in paths.items():
        for method, operation in operations.items():
            operation.setdefault("operationId", OPERATION_IDS.get((method, path)))
            responses = operation.get("responses", {})
            if "401" in responses:
                responses.setdefault("429", TOO_MANY)
            links = LINKS.get(operation["operationId"])
            if links and "200" in responses:
                responses["200"]["links"] = links
    return paths


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SLRT referral desk API",
            "version": "1",
            "description": (
                "Every answer is JSON. Unknown query parameters are ignored; text holding a NUL "
                "character is refused with 400 in every field. A method an address does not have "
                "answers 405 with `Allow`."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": copy.deepcopy(_SCHEMAS),
        },
        "security": [{"bearer": []}],
        "paths": _paths(),
    }
