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
        "paths": copy.deepcopy(_PATHS),
    }
