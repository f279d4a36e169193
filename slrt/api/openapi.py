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


def _paths() -> dict[str, Any]:
    paths = copy.deepcopy(_PATHS)
    for operations in paths.values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "401" in responses:
                responses.setdefault("429", TOO_MANY)
    return paths


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "SLRT referral desk API", "version": "1"},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": copy.deepcopy(_SCHEMAS),
        },
        "security": [{"bearer": []}],
        "paths": _paths(),
    }
