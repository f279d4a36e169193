"""POST /api/v1/routing/suggest, its OpenAPI description, and the HSDS 3.0 directory view."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa

from slrt.accounts.services import issue_token
from slrt.core.workdays import local_today
from slrt.directory import services as ops
from slrt.directory.hsds import stable_id
from slrt.directory.models import Service
from slrt.extensions import db

EXAMPLE = {
    "village_code": "32.04.05.2001",
    "needs": ["lansia", "kesehatan.jaminan"],
    "person": {
        "birth_date": "1950-02-01",
        "sex": "P",
        "nik": None,
        "pregnant": False,
        "disability": "none",
        "in_school": None,
    },
    "household": {
        "in_dtsen": True,
        "desil": 3,
        "receives": ["BPNT"],
        "house_uninhabitable": None,
        "members": [
            {
                "birth_date": "2015-06-01",
                "sex": "L",
                "disability": "none",
                "pregnant": False,
                "in_school": False,
            }
        ],
    },
}


@pytest.fixture()
def token(world) -> str:
    _, clear = issue_token(world.users["desk_a"])
    db.session.commit()
    return clear


def post(client, token, body):
    return client.post(
        "/api/v1/routing/suggest",
        data=json.dumps(body) if not isinstance(body, str) else body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def test_suggest_needs_a_token(client, world):
    assert client.post("/api/v1/routing/suggest", json=EXAMPLE).status_code == 401


def test_suggest_answers_the_documented_shape(client, token):
    response = post(client, token, EXAMPLE)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"suggestions", "warnings"}
    by_code = {(s["service_code"], s["person"]): s for s in body["suggestions"]}
    lansia = by_code[("ATENSI-LANSIA", "self")]
    assert lansia["need"] == "lansia" and lansia["result"] == "eligible" and lansia["urgent"] is False
    assert lansia["basis"] == "need" and lansia["waits_for"] == [] and lansia["already_referred"] is None
    assert lansia["agency"] == {"code": "DINSOS-3204", "name": "Lembaga DINSOS-3204"}
    today = local_today()
    age = today.year - 1950 - ((today.month, today.day) < (2, 1))
    assert lansia["criteria"] == [
        {
            "name": "Usia 60 tahun atau lebih",
            "result": True,
            "missing": [],
            "reason": f"Usia {age} tahun, jadi syarat “Usia 60 tahun atau lebih” terpenuhi.",
        }
    ]
    # no NIK: PKH and PBI-JK need one, so ADMINDUK comes once as their prerequisite, and they
    # are judged as if the NIK were there, waiting for it
    (admin,) = [s for s in body["suggestions"] if s["service_code"] == "ADMINDUK"]
    assert admin["person"] == "self" and admin["prerequisite_of"][:2] == ["PKH", "PBI-JK"]
    assert by_code[("PBI-JK", "self")]["result"] == "eligible"
    assert by_code[("PBI-JK", "self")]["waits_for"] == ["ADMINDUK"]
    # household screening: the grandson (member 0, aged 6-21, not in school) may get PIP
    pip = by_code[("PIP", 0)]
    assert pip["basis"] == "household" and pip["need"] is None and pip["result"] == "eligible"
    assert pip["waits_for"] == []  # his NIK is unknown: nothing to wait for yet
    # the test world has no Dinas Pendidikan, so PIP has no agency yet
    assert body["warnings"] == [
        "Belum ada lembaga penerima untuk layanan PIP di wilayah 32.04.05.2001: atur tabel rujukan."
    ]
    schema = client.get("/api/v1/openapi.json").get_json()
    doc = {**schema["components"]["schemas"]["RoutingSuggestResponse"], "components": schema["components"]}
    jsonschema.validate(body, doc)


def test_unknown_facts_give_unknown_with_the_missing_fact(client, token):
    body = json.loads(json.dumps(EXAMPLE))
    body["household"]["desil"] = None
    body["needs"] = ["pangan"]
    suggestions = post(client, token, body).get_json()["suggestions"]
    (bpnt,) = [s for s in suggestions if s["basis"] == "need"]
    # BPNT is already received: "not already in BPNT" is false, so desil cannot matter.
    assert bpnt["service_code"] == "BPNT" and bpnt["result"] == "not_eligible" and bpnt["received"]
    body["household"]["receives"] = None
    suggestions = post(client, token, body).get_json()["suggestions"]
    bpnt = next(s for s in suggestions if s["service_code"] == "BPNT")
    assert bpnt["result"] == "unknown"
    assert {"desil", "receives_bpnt"} == {m for c in bpnt["criteria"] for m in c["missing"]}


def test_no_agency_in_the_area_is_a_warning(client, token):
    body = {**EXAMPLE, "needs": ["kesehatan.layanan"]}
    response = post(client, token, body)
    assert response.status_code == 200
    (suggestion,) = [s for s in response.get_json()["suggestions"] if s["basis"] == "need"]
    assert suggestion["agency"] is None and suggestion["urgent"] is True
    assert "PUSKESMAS" in response.get_json()["warnings"][0]


def test_malformed_request_lists_every_problem(client, token):
    body = json.loads(json.dumps(EXAMPLE))
    body["needs"] = ["lansia", "terbang"]
    body["village_code"] = "32.04.05.9999"
    body["person"]["birth_date"] = "01-02-1950"
    body["household"]["desil"] = "3"
    body["household"]["members"][0]["pregnant"] = "tidak"
    response = post(client, token, body)
    assert response.status_code == 400
    problems = {p["field"]: p["message"] for p in response.get_json()["problems"]}
    assert set(problems) == {
        "needs[1]",
        "village_code",
        "person.birth_date",
        "household.desil",
        "household.members[0].pregnant",
    }
    assert "terbang" in problems["needs[1]"] and "YYYY-MM-DD" in problems["person.birth_date"]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"village_code": 3204, "needs": "lansia"}),
        json.dumps({**EXAMPLE, "person": "Siti"}),
        json.dumps({**EXAMPLE, "household": {"members": [None]}}),
        json.dumps({**EXAMPLE, "person": {"birth_date": "2999-01-01"}}),
        json.dumps({**EXAMPLE, "village_code": "32.04"}),
    ],
)
def test_bad_bodies_answer_400_never_500(client, token, body):
    response = post(client, token, body)
    assert response.status_code == 400
    assert response.get_json()["problems"]


def test_openapi_describes_the_suggest_endpoint(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/routing/suggest"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401"}
    assert "RoutingSuggestRequest" in doc["components"]["schemas"]
    jsonschema.validate(EXAMPLE, {**doc["components"]["schemas"]["RoutingSuggestRequest"], **doc})


# -- HSDS ------------------------------------------------------------------------------------


def conformance_dir() -> Path | None:
    root = Path(__file__).resolve().parent.parent
    for candidate in (os.environ.get("SLRT_CONFORMANCE_DIR"), root.parent / "shared" / "conformance"):
        if candidate and (Path(candidate) / "hsds-3.0" / "schema").is_dir():
            return Path(candidate) / "hsds-3.0" / "schema"
    return None


@pytest.fixture(scope="session")
def hsds_schemas():
    folder = conformance_dir()
    if folder is None:
        pytest.skip("HSDS 3.0 schemas not found: set SLRT_CONFORMANCE_DIR or add ../shared/conformance")
    validators = {}
    schemas = {
        name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("service", "organization", "service_at_location")
    }
    # A location is the one nested in service_at_location; the API information is described in
    # HSDS's openapi.json.
    schemas["location"] = schemas["service_at_location"]["properties"]["location"]
    api = json.loads((folder.parent / "openapi.json").read_text(encoding="utf-8"))
    schemas["api_information"] = api["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    for name, schema in schemas.items():
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        # Checked against its metaschema once: `jsonschema.validate` did it at every call, and these
        # schemas are 2.3 MB each (HSDS inlines every reference), about 13 s a check.
        cls.check_schema(schema)
        validators[name] = cls(schema, format_checker=jsonschema.FormatChecker())
    return validators


def validate(instance, validator):
    validator.validate(instance)


PAGE_KEYS = {
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
}


def test_hsds_services_validate_and_paginate(client, world, hsds_schemas):
    ops.save_rule(service_code="PKH", region_code="32.04", agency_code="DINSOS-3204")
    db.session.commit()
    first = client.get("/hsds/services?per_page=10").get_json()
    assert set(first) == PAGE_KEYS
    assert first["total_items"] == 18 and first["total_pages"] == 2 and first["size"] == 10
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    second = client.get("/hsds/services?per_page=10&page=2").get_json()
    assert second["size"] == 8 and second["last_page"] and second["page_number"] == 2
    for item in first["contents"] + second["contents"]:
        validate(item, hsds_schemas["service"])
    pkh = next(s for s in first["contents"] + second["contents"] if s["alternate_name"] == "PKH")
    assert pkh["service_areas"][0]["extent"] == "32.04"
    one = client.get(f"/hsds/services/{pkh['id']}")
    assert one.status_code == 200 and one.get_json() == pkh
    validate(one.get_json(), hsds_schemas["service"])
    beyond = client.get("/hsds/services?page=9").get_json()
    assert beyond["empty"] and beyond["contents"] == []


def test_hsds_organizations_validate(client, world, hsds_schemas):
    world.agency.phone, world.agency.email = "022-5891234", "dinsos@example.go.id"
    ops.save_rule(service_code="PKH", region_code="32.04", agency_code="DINSOS-3204")
    db.session.commit()
    page = client.get("/hsds/organizations").get_json()
    assert set(page) == PAGE_KEYS and page["total_items"] == 2
    for item in page["contents"]:
        validate(item, hsds_schemas["organization"])
    dinsos = next(o for o in page["contents"] if o["alternate_name"] == "DINSOS-3204")
    assert [s["name"] for s in dinsos["services"]] == ["Program Keluarga Harapan"]
    one = client.get(f"/hsds/organizations/{dinsos['id']}")
    assert one.status_code == 200
    validate(one.get_json(), hsds_schemas["organization"])


def test_hsds_root_is_the_api_information(client, world, hsds_schemas):
    response = client.get("/hsds/")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, hsds_schemas["api_information"])
    assert body["version"] == "3.0" and body["openapi_url"] == "http://localhost/api/v1/openapi.json"
    assert body["profile"].startswith("https://")


def test_hsds_search_finds_every_word_in_name_code_or_description(client, world):
    def found(path):
        return sorted(item["alternate_name"] for item in client.get(path).get_json()["contents"])

    assert found("/hsds/services?search=keluarga%20HARAPAN") == ["PKH"]
    assert found("/hsds/services?search=pkh") == ["PKH"]
    assert found("/hsds/services?search=harapan%20tidak-ada-kata-ini") == []
    assert found("/hsds/services?search=100%25") == []  # LIKE wildcards are plain characters
    assert found("/hsds/organizations?search=dinsos-3204") == ["DINSOS-3204"]
    assert client.get("/hsds/services?search=").get_json()["total_items"] == 18


def test_hsds_format_ndjson_streams_every_result_and_other_formats_are_refused(client, world, hsds_schemas):
    response = client.get("/hsds/services?format=ndjson&per_page=5")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert len(lines) == 18  # not paginated
    for line in lines:
        validate(json.loads(line), hsds_schemas["service"])
    assert client.get("/hsds/organizations?format=json").get_json()["total_items"] == 2
    refused = client.get("/hsds/services?format=xml")
    assert refused.status_code == 400 and "ndjson" in refused.get_json()["message"]


def test_hsds_service_links_to_its_organization_and_locations(client, world, hsds_schemas):
    ops.save_rule(service_code="PKH", region_code="32.04", agency_code="DINSOS-3204")
    db.session.commit()
    org_id = stable_id("organization", "DINSOS-3204")
    services = client.get(f"/hsds/services?organization_id={org_id}").get_json()["contents"]
    assert [s["alternate_name"] for s in services] == ["PKH"]
    pkh = services[0]
    # One agency delivers it everywhere: organization_id; and per agency, service_at_locations.
    assert pkh["organization_id"] == org_id
    (at,) = pkh["service_at_locations"]
    assert at["location"]["organization_id"] == org_id and at["service_id"] == pkh["id"]
    validate(pkh, hsds_schemas["service"])
    page = client.get("/hsds/service_at_locations").get_json()
    assert set(page) == PAGE_KEYS and page["total_items"] == 1
    for item in page["contents"]:
        validate(item, hsds_schemas["service_at_location"])
    assert page["contents"][0] == at
    one = client.get(f"/hsds/service_at_locations/{at['id']}")
    assert one.status_code == 200 and one.get_json() == at
    locations = client.get("/hsds/locations").get_json()
    assert set(locations) == PAGE_KEYS and locations["total_items"] == 2
    for item in locations["contents"]:
        validate(item, hsds_schemas["location"])
    location = client.get(f"/hsds/locations/{at['location_id']}")
    assert location.status_code == 200 and location.get_json() == at["location"]
    organization = client.get(f"/hsds/organizations/{org_id}").get_json()
    assert organization["locations"] == [at["location"]]
    assert organization["services"][0]["organization_id"] == org_id
    assert client.get("/hsds/services?organization_id=nope").get_json()["contents"] == []
    assert client.get("/hsds/service_at_locations?search=harapan").get_json()["total_items"] == 1
    assert client.get("/hsds/service_at_locations?search=disdukcapil").get_json()["total_items"] == 0


def test_hsds_unknown_id_and_bad_page_answer_json_errors(client, world):
    missing = client.get("/hsds/services/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.get_json()["status"] == 404
    assert client.get("/hsds/organizations/nope").status_code == 404
    assert client.get("/hsds/locations/nope").status_code == 404
    assert client.get("/hsds/service_at_locations/nope").status_code == 404
    assert client.get("/hsds/services?page=abc").status_code == 400


def test_cached_directory_follows_an_edit(app, client, token, monkeypatch):
    monkeypatch.setitem(app.config, "ROUTING_CACHE", True)
    body = {**EXAMPLE, "needs": ["lansia"]}

    def atensi_result():
        suggestions = post(client, token, body).get_json()["suggestions"]
        return next(s["result"] for s in suggestions if s["service_code"] == "ATENSI-LANSIA")

    assert atensi_result() == "eligible"
    service = db.session.scalar(sa.select(Service).where(Service.code == "ATENSI-LANSIA"))
    values = ops.service_fields(service)
    values.pop("criteria")
    ops.save_service(service, **values, criteria=[("Usia 100 tahun atau lebih", "age >= 100")])
    db.session.commit()
    assert atensi_result() == "not_eligible"
