"""POST /api/v1/routing/suggest: the engine over JSON, for other systems (Bearer token).

Any fact may be null (unknown). `person.nik` null means the person has no NIK (that is what the
desk records); send `person.has_nik: null` as well when it simply has not been asked yet. A
member's NIK is unknown unless its `has_nik` says. A malformed request answers 400 with every
problem found, never 500.

Besides the named needs, every screened service is judged for every household member
(`basis: "household"`, `person`: the member's index); a prerequisite (ADMINDUK) comes once per
person with `prerequisite_of`; the services it unlocks carry `waits_for`. With `person_id` (a
person in the caller's scope), `already_referred` names that person's open referral of a service.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, g, jsonify, request
from flask_babel import gettext as _

from slrt.api.auth import api_error, limited, token_required
from slrt.core.access import visible
from slrt.core.workdays import local_today
from slrt.directory.models import NeedCategory
from slrt.extensions import db
from slrt.intake.models import Person
from slrt.regions.models import LEVEL_VILLAGE, Region
from slrt.routing import engine, reasons
from slrt.routing.facts import HouseholdData, PersonData, build_facts
from slrt.routing.household import open_referrals
from slrt.routing.services import load_directory

bp = limited(Blueprint("routing_api", __name__, url_prefix="/api/v1"))

DISABILITIES = ("none", "mild", "moderate", "severe")
PRECISIONS = ("day", "year", "about")
MAX_MEMBERS = 50


class _Problems(list):
    def add(self, field: str, message: str) -> None:
        self.append({"field": field, "message": message})


def _bool(obj: dict, key: str, where: str, problems: _Problems) -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    problems.add(f"{where}.{key}", _("Harus true, false atau null."))
    return None


def _date(obj: dict, key: str, where: str, problems: _Problems) -> date | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None and len(value) == 10:
            if day > local_today():
                problems.add(f"{where}.{key}", _("Tanggal lahir tidak boleh di masa depan."))
                return None
            return day
    problems.add(f"{where}.{key}", _("Tanggal harus berformat YYYY-MM-DD, misalnya 1950-02-01."))
    return None


def _person(obj: Any, where: str, problems: _Problems, with_nik: bool) -> PersonData | None:
    if obj is None:
        return None
    if not isinstance(obj, dict):
        problems.add(where, _("Harus berupa objek JSON atau null."))
        return None
    person = PersonData(
        birth_date=_date(obj, "birth_date", where, problems),
        pregnant=_bool(obj, "pregnant", where, problems),
    )
    sex = obj.get("sex")
    if sex is not None and sex not in ("L", "P"):
        problems.add(f"{where}.sex", _("Jenis kelamin harus 'L', 'P' atau null."))
    else:
        person.sex = sex
    disability = obj.get("disability")
    if disability is not None and disability not in DISABILITIES:
        problems.add(
            f"{where}.disability", _("Disabilitas harus salah satu dari: %(v)s.", v=", ".join(DISABILITIES))
        )
    else:
        person.disability = disability
    in_school = _bool(obj, "in_school", where, problems)
    person.schooling = None if in_school is None else "in_school" if in_school else "not_in_school"
    precision = obj.get("birth_precision")
    if precision is not None and precision not in PRECISIONS:
        problems.add(
            f"{where}.birth_precision",
            _("Ketelitian tanggal lahir harus salah satu dari: %(v)s.", v=", ".join(PRECISIONS)),
        )
    else:
        person.birth_precision = precision
    if not with_nik:
        # Members carry no NIK in the request: unknown unless `has_nik` says.
        person.has_nik = _bool(obj, "has_nik", where, problems)
        person.nik_known = person.has_nik is not None
    if with_nik:
        nik = obj.get("nik")
        if nik is not None and not isinstance(nik, str):
            problems.add(f"{where}.nik", _("NIK harus berupa teks atau null."))
        person.nik = nik if isinstance(nik, str) and nik.strip() else None
        if "has_nik" in obj:
            person.has_nik = _bool(obj, "has_nik", where, problems)
            person.nik_known = person.has_nik is not None
    return person


def parse_request(body: Any) -> tuple[dict[str, Any], _Problems]:
    """The request's pieces, or the list of problems (field + message) when malformed."""
    problems = _Problems()
    if not isinstance(body, dict):
        problems.add("", _("Isi permintaan harus objek JSON."))
        return {}, problems
    village = body.get("village_code")
    if not isinstance(village, str) or not village:
        problems.add("village_code", _("Kode desa wajib diisi sebagai teks, misalnya 32.04.05.2001."))
    elif db.session.scalar(sa.select(Region.level).where(Region.code == village)) != LEVEL_VILLAGE:
        problems.add("village_code", _("Kode desa %(code)s tidak dikenal.", code=village))
    needs = body.get("needs")
    if not isinstance(needs, list) or not needs or not all(isinstance(n, str) for n in needs):
        problems.add("needs", _('Kebutuhan harus daftar kode yang tidak kosong, misalnya ["lansia"].'))
        needs = []
    else:
        known = set(db.session.scalars(sa.select(NeedCategory.code).where(NeedCategory.active.is_(True))))
        for i, code in enumerate(needs):
            if code not in known:
                problems.add(f"needs[{i}]", _("Kebutuhan %(code)s tidak dikenal.", code=code))
    person = _person(body.get("person"), "person", problems, with_nik=True)
    household_in = body.get("household")
    household = None
    members: list[PersonData] = []
    update_requested = None
    if household_in is not None and not isinstance(household_in, dict):
        problems.add("household", _("Harus berupa objek JSON atau null."))
    elif isinstance(household_in, dict):
        household = HouseholdData(
            in_dtsen=_bool(household_in, "in_dtsen", "household", problems),
            house_uninhabitable=_bool(household_in, "house_uninhabitable", "household", problems),
        )
        update_requested = _bool(household_in, "data_update_requested", "household", problems)
        desil = household_in.get("desil")
        if desil is not None and (
            isinstance(desil, bool) or not isinstance(desil, int) or not 1 <= desil <= 10
        ):
            problems.add("household.desil", _("Desil harus bilangan bulat 1 sampai 10, atau null."))
        else:
            household.desil = desil
        receives = household_in.get("receives")
        if receives is not None and (
            not isinstance(receives, list) or not all(isinstance(r, str) for r in receives)
        ):
            problems.add("household.receives", _('Harus daftar kode program, misalnya ["BPNT"], atau null.'))
        else:
            household.programmes = receives
        raw_members = household_in.get("members") or []
        if not isinstance(raw_members, list) or len(raw_members) > MAX_MEMBERS:
            problems.add("household.members", _("Harus daftar anggota keluarga (paling banyak 50)."))
        else:
            for i, raw in enumerate(raw_members):
                member = _person(raw, f"household.members[{i}]", problems, with_nik=False)
                if raw is None:
                    problems.add(f"household.members[{i}]", _("Anggota keluarga tidak boleh null."))
                elif member is not None:
                    members.append(member)
    person_id = body.get("person_id")
    if person_id is not None and (isinstance(person_id, bool) or not isinstance(person_id, int)):
        problems.add("person_id", _("Harus bilangan bulat (id warga) atau null."))
        person_id = None
    return {
        "person_id": person_id,
        "village_code": village,
        "needs": needs,
        "person": person,
        "household": household,
        "members": members,
        "data_update_requested": update_requested,
    }, problems


def suggestion_json(s: engine.Suggestion, referred: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "need": s.need,
        "basis": s.basis,
        "person": s.person,
        "service_code": s.service.code,
        "service_name": s.service.name,
        "agency": {"code": s.agency.code, "name": s.agency.name} if s.agency else None,
        "result": s.result,
        "urgent": s.urgent,
        "received": s.received,
        "prerequisite_of": list(s.prerequisite_of),
        "waits_for": list(s.waits_for),
        "already_referred": (referred or {}).get(s.service.code) if s.person == engine.SELF else None,
        "missing": list(s.missing),
        "reasons": [reasons.render(r) for r in reasons.suggestion_reasons(s)],
        "criteria": [
            {
                "name": reasons.criterion_label(c),
                "result": c.result,
                "missing": list(c.missing),
                "reason": reasons.criterion_reason(c),
            }
            for c in s.criteria
        ],
    }


@bp.route("/routing/suggest", methods=["POST"])
@token_required("routing:suggest")
def suggest() -> Any:
    body = request.get_json(silent=True)
    parsed, problems = parse_request(body)
    if problems:
        return api_error(400, _("Permintaan tidak valid."), problems)
    referred: dict[str, Any] = {}
    if parsed["person_id"] is not None:
        known = db.session.scalar(
            visible(Person, g.api_user).with_only_columns(Person.id).where(Person.id == parsed["person_id"])
        )
        if known is None:
            return api_error(404, _("Warga tidak ditemukan."))
        referred = {
            code: {"status": r.status.value, "referral_id": r.id}
            for (_pid, code), r in open_referrals([known]).items()
        }
    today = local_today()
    person, household, members = parsed["person"], parsed["household"], parsed["members"]
    update = parsed["data_update_requested"]
    facts = build_facts(person, household, members, today=today, data_update_requested=update)
    member_facts = [
        build_facts(
            member,
            household,
            ([person] if person is not None else []) + members[:i] + members[i + 1 :],
            today=today,
            data_update_requested=update,
        )
        for i, member in enumerate(members)
    ]
    result = engine.suggest(load_directory(), parsed["needs"], facts, parsed["village_code"], member_facts)
    return jsonify(
        {
            "suggestions": [suggestion_json(s, referred) for s in result.suggestions],
            "warnings": [reasons.warning_text(w, parsed["village_code"]) for w in result.warnings],
        }
    )


_NULLABLE_BOOL = {"type": ["boolean", "null"]}
_PERSON: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "birth_date": {"type": ["string", "null"], "format": "date"},
        "sex": {"enum": ["L", "P", None]},
        "pregnant": _NULLABLE_BOOL,
        "disability": {"enum": [*DISABILITIES, None]},
        "in_school": _NULLABLE_BOOL,
        "birth_precision": {
            "enum": [*PRECISIONS, None],
            "description": "year / about: only the birth year is known (about: give or take a few"
            " years); ages become intervals and a criterion they cannot settle is unknown",
        },
        "has_nik": {**_NULLABLE_BOOL, "description": "null: not asked yet"},
    },
}
OPENAPI_SCHEMAS = {
    "RoutingPerson": {
        **_PERSON,
        "properties": {
            **_PERSON["properties"],
            "nik": {"type": ["string", "null"], "description": "null: the person has no NIK"},
            "has_nik": {**_NULLABLE_BOOL, "description": "null: not asked yet (overrides nik)"},
        },
    },
    "RoutingMember": _PERSON,
    "RoutingSuggestRequest": {
        "type": "object",
        "required": ["village_code", "needs"],
        "properties": {
            "village_code": {"type": "string", "example": "32.04.05.2001"},
            "person_id": {
                "type": ["integer", "null"],
                "description": "a known person in the caller's scope (else 404): fills already_referred",
            },
            "needs": {"type": "array", "minItems": 1, "items": {"type": "string"}, "example": ["lansia"]},
            "person": {"$ref": "#/components/schemas/RoutingPerson"},
            "household": {
                "type": ["object", "null"],
                "properties": {
                    "in_dtsen": _NULLABLE_BOOL,
                    "desil": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
                    "receives": {"type": ["array", "null"], "items": {"type": "string"}},
                    "house_uninhabitable": _NULLABLE_BOOL,
                    "data_update_requested": _NULLABLE_BOOL,
                    "members": {
                        "type": "array",
                        "maxItems": MAX_MEMBERS,
                        "items": {"$ref": "#/components/schemas/RoutingMember"},
                    },
                },
            },
        },
    },
    "RoutingCriterion": {
        "type": "object",
        "required": ["name", "result", "missing"],
        "properties": {
            "name": {"type": "string"},
            "result": {"type": ["boolean", "null"]},
            "missing": {"type": "array", "items": {"type": "string"}},
            "reason": {"type": "string"},
        },
    },
    "RoutingSuggestion": {
        "type": "object",
        "required": [
            "need",
            "service_code",
            "service_name",
            "agency",
            "result",
            "urgent",
            "basis",
            "person",
            "prerequisite_of",
            "waits_for",
            "already_referred",
            "criteria",
        ],
        "properties": {
            "need": {"type": ["string", "null"], "description": "the named need; null for a household find"},
            "basis": {
                "enum": ["need", "household"],
                "description": "need: answers a named need; household: found by screening every member",
            },
            "person": {
                "oneOf": [{"const": "self"}, {"type": "integer", "minimum": 0}],
                "description": "self: the request's person; N: household.members[N]",
            },
            "received": {"type": "boolean", "description": "the household already receives it"},
            "waits_for": {
                "type": "array",
                "items": {"type": "string"},
                "description": "prerequisite services this one waits for (ADMINDUK without a NIK); judged as"
                " if the prerequisite were met",
            },
            "already_referred": {
                "type": ["object", "null"],
                "required": ["status", "referral_id"],
                "properties": {"status": {"type": "string"}, "referral_id": {"type": "integer"}},
                "description": "with person_id: that person's open referral of this service",
            },
            "reasons": {"type": "array", "items": {"type": "string"}, "description": "sentences"},
            "service_code": {"type": "string"},
            "service_name": {"type": "string"},
            "agency": {
                "type": ["object", "null"],
                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
            },
            "result": {"enum": ["eligible", "not_eligible", "unknown"]},
            "urgent": {"type": "boolean"},
            "prerequisite_of": {
                "type": "array",
                "items": {"type": "string"},
                "description": "services waiting for this one (one prerequisite per person)",
            },
            "missing": {"type": "array", "items": {"type": "string"}},
            "criteria": {"type": "array", "items": {"$ref": "#/components/schemas/RoutingCriterion"}},
        },
    },
    "RoutingSuggestResponse": {
        "type": "object",
        "required": ["suggestions", "warnings"],
        "properties": {
            "suggestions": {"type": "array", "items": {"$ref": "#/components/schemas/RoutingSuggestion"}},
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    },
}
OPENAPI_PATHS = {
    "/api/v1/routing/suggest": {
        "post": {
            "summary": "Suggested services, agencies and reasons for a person's needs",
            "operationId": "routingSuggest",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/RoutingSuggestRequest"}}
                },
            },
            "responses": {
                "200": {
                    "description": "Suggestions, urgent first, then eligible, unknown, not eligible",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/RoutingSuggestResponse"}
                        }
                    },
                },
                "400": {
                    "description": "Malformed request: every problem, as {field, message}",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
                "404": {
                    "description": "person_id missing or outside the caller's scope",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
                "401": {
                    "description": "Missing or invalid bearer token",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
    }
}
