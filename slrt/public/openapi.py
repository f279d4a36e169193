"""OpenAPI description of the public status API (no token needed)."""

_DATE = {"type": ["string", "null"], "format": "date"}

SCHEMAS = {
    "PublicStatus": {
        "type": "object",
        "description": "What a citizen may see of a case: never names, NIK, addresses, phones or notes.",
        "required": ["code", "received_on", "status", "status_label", "referrals", "survey_open"],
        "properties": {
            "code": {"type": "string", "examples": ["7K4Q-X9MZ-P3CA"]},
            "received_on": {"type": "string", "format": "date"},
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_label": {"type": "string"},
            "closed_on": _DATE,
            "survey_open": {"type": "boolean", "description": "closed and not yet rated"},
            "referrals": {"type": "array", "items": {"$ref": "#/components/schemas/PublicReferral"}},
            "waiting": {
                "type": "array",
                "description": "services not yet referred: they wait for the citizen's identity documents"
                " (KTP and KK, the ADMINDUK referral) to be issued",
                "items": {
                    "type": "object",
                    "required": ["service", "status", "status_label"],
                    "properties": {
                        "service": {"type": "string"},
                        "status": {"type": "string", "enum": ["waiting_documents"]},
                        "status_label": {"type": "string"},
                    },
                },
            },
        },
    },
    "PublicReferral": {
        "type": "object",
        "required": ["service", "agency", "status", "status_label", "events"],
        "properties": {
            "service": {"type": "string"},
            "agency": {"type": ["string", "null"]},
            "status": {"type": "string"},
            "status_label": {"type": "string"},
            "respond_due": _DATE,
            "resolve_due": _DATE,
            "closed_on": _DATE,
            "outcome_message": {"type": ["string", "null"]},
            "events": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["on", "status", "status_label"],
                    "properties": {
                        "on": {"type": "string", "format": "date"},
                        "status": {"type": "string"},
                        "status_label": {"type": "string"},
                        "message": {"type": ["string", "null"]},
                    },
                },
            },
        },
    },
}

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

PATHS = {
    "/api/v1/public/status/{code}": {
        "get": {
            "operationId": "publicStatus",
            "summary": "Status of a case by its tracking code (for SMS gateways and chat bots)",
            "security": [],
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "description": "Tracking code as printed (7K4Q-X9MZ-P3CA); case and hyphens are forgiven",
                    "schema": {"type": "string", "maxLength": 40, "pattern": "^[0-9A-Za-z -]+$"},
                }
            ],
            "responses": {
                "200": {
                    "description": "The public view of the case",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/PublicStatus"}}
                    },
                },
                "400": {"description": "The check symbol is wrong: not a tracking code", "content": _ERROR},
                "404": {
                    "description": "Unknown code, or a confidential case (the same answer)",
                    "content": _ERROR,
                },
                "429": {
                    "description": "Too many lookups from this address; try again in a minute",
                    "content": _ERROR,
                },
            },
        }
    }
}
