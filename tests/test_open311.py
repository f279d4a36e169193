"""Open311 GeoReport v2: every answer validates against the published schemas, nothing personal
is ever in it, confidential cases stay hidden, and a POST with an api_key files an online report."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from defusedxml import ElementTree as SafeET
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from slrt.accounts.services import issue_token
from slrt.core import tracking
from slrt.core.audit import AuditEvent
from slrt.core.db import utcnow
from slrt.extensions import db
from slrt.intake import models as m
from slrt.open311 import services
from slrt.open311.xml import ITEM_OF
from slrt.referrals.models import ReferralStatus
from tests.factories import VILLAGE_A, make_case, make_person, make_referral

BPNT = "Bantuan Pangan Non Tunai (Sembako)"
SCHEMA_NAMES = ("services", "service", "service-definition", "requests", "request")


def conformance_dir() -> Path | None:
    root = Path(__file__).resolve().parent.parent
    for candidate in (os.environ.get("SLRT_CONFORMANCE_DIR"), root.parent / "shared" / "conformance"):
        if candidate and (Path(candidate) / "open311-georeport-v2").is_dir():
            return Path(candidate) / "open311-georeport-v2"
    return None


@pytest.fixture(scope="session")
def open311():
    folder = conformance_dir()
    if folder is None:
        pytest.skip(
            "Open311 GeoReport v2 schemas not found: set SLRT_CONFORMANCE_DIR or add ../shared/conformance"
        )
    schemas = {
        name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8")) for name in SCHEMA_NAMES
    }
    swagger = json.loads((folder / "swagger.json").read_text(encoding="utf-8"))
    # requests.json and services.json refer to request.json and service.json by file name.
    registry = Registry().with_resources(
        (f"{name}.json", Resource.from_contents(schema, default_specification=DRAFT202012))
        for name, schema in schemas.items()
    )
    return schemas, swagger, registry


def validate(instance, schema_name, open311):
    schemas, _swagger, registry = open311
    validator_cls = jsonschema.validators.validator_for(
        schemas[schema_name], default=jsonschema.Draft202012Validator
    )
    validator = validator_cls(
        schemas[schema_name], registry=registry, format_checker=jsonschema.FormatChecker()
    )
    validator.validate(instance)


def validate_error(response, status):
    """The standard's error answer: a list of {code, description}, with the same HTTP status."""
    assert response.status_code == status
    body = response.get_json()
    assert isinstance(body, list) and body
    for item in body:
        assert set(item) == {"code", "description"} and item["code"] == status and item["description"]
    return body


def request_ids(body):
    return [r["service_request_id"] for r in body]


def test_services_are_the_active_need_categories_and_validate(client, world, open311):
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "services", open311)
    for item in body:
        validate(item, "service", open311)
    codes = [s["service_code"] for s in body]
    assert codes[:2] == ["informasi", "dtsen.daftar"] and "kekerasan" in codes and len(codes) == 19
    food = next(s for s in body if s["service_code"] == "pangan")
    assert food["type"] == "realtime" and food["metadata"] is True


def test_service_definition_validates_and_unknown_service_is_a_404_error_array(client, world, open311):
    body = client.get("/open311/v2/services/pangan.json").get_json()
    validate(body, "service-definition", open311)
    codes = [a["code"] for a in body["attributes"]]
    assert codes == ["case_type", "consent", "confidential", "anonymous", "village"]
    # What the desk needs beyond the standard (a village) is said here, as a required attribute.
    village = body["attributes"][-1]
    assert village["required"] is True and village["datatype"] == "string"
    assert [a["code"] for a in body["attributes"] if a["required"]] == ["village"]
    validate_error(client.get("/open311/v2/services/tidak-ada.json"), 404)


# -- XML --------------------------------------------------------------------------------------


def from_xml(response):
    """An XML answer parsed safely (defusedxml) into the JSON answer's shape, every leaf as text."""
    assert response.content_type == "text/xml; charset=utf-8"
    root = SafeET.fromstring(response.get_data())

    def convert(element):
        if element.tag in ITEM_OF:
            assert all(child.tag == ITEM_OF[element.tag] for child in element)
            return [convert(child) for child in element]
        if len(element):
            return {child.tag: convert(child) for child in element}
        return element.text

    return root.tag, convert(root)


def as_text(value):
    """The JSON answer with every leaf as the XML carries it."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None or value == "" else str(value)


def same_in_xml_and_json(client, path, root, status=200):
    as_json = client.get(f"{path}.json")
    as_xml = client.get(f"{path}.xml")
    assert as_json.status_code == as_xml.status_code == status
    assert from_xml(as_xml) == (root, as_text(as_json.get_json()))
    return as_json.get_json()


def test_every_read_answers_xml_like_json(client, world, cases):
    code = services.public_id(world.case_a.id)
    same_in_xml_and_json(client, "/open311/v2/services", "services")
    same_in_xml_and_json(client, "/open311/v2/services/pangan", "service_definition")
    assert len(same_in_xml_and_json(client, "/open311/v2/requests", "service_requests")) == 4
    same_in_xml_and_json(client, f"/open311/v2/requests/{code}", "service_requests")
    same_in_xml_and_json(client, "/open311/discovery", "discovery")
    # Errors too, as <errors><error><code/><description/></error></errors>.
    same_in_xml_and_json(client, "/open311/v2/services/tidak-ada", "errors", 404)
    same_in_xml_and_json(client, "/open311/v2/requests/999999-0123456789", "errors", 404)
    same_in_xml_and_json(client, "/open311/v2/nowhere", "errors", 404)
    root, errors = from_xml(client.get("/open311/v2/requests.xml?status=pending"))
    assert root == "errors" and errors[0]["code"] == "400" and "open atau closed" in errors[0]["description"]


def test_xml_text_is_escaped_not_pasted(client, world):
    from slrt.directory.models import NeedCategory

    db.session.get(NeedCategory, "pangan").description = 'Beras & minyak <b>"murah"</b>'
    db.session.commit()
    _root, body = from_xml(client.get("/open311/v2/services.xml"))
    assert next(s for s in body if s["service_code"] == "pangan")["description"] == (
        'Beras & minyak <b>"murah"</b>'
    )


def test_an_unknown_format_is_a_400_in_json(client, world):
    body = validate_error(client.get("/open311/v2/services.csv"), 400)
    assert ".json" in body[0]["description"] and ".xml" in body[0]["description"]


def test_discovery_lists_the_endpoint_its_formats_and_changeset(client, world):
    body = client.get("/open311/discovery.json").get_json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert endpoint["type"] == "production" and endpoint["changeset"] == body["changeset"]
    assert sorted(endpoint["formats"]) == ["application/json", "text/xml"]
    assert datetime.fromisoformat(body["changeset"]).tzinfo is not None
    # The endpoint it names answers.
    assert client.get(endpoint["url"] + "/services.json").status_code == 200


def test_a_wrong_method_is_a_405_with_allow(client, world):
    response = client.delete("/open311/v2/requests.xml")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    # Answered before any Open311 view is chosen: the app's JSON error (slrt.core.web).
    assert response.get_json()["status"] == 405


@pytest.fixture()
def cases(world):
    """Open and closed cases, and three that Open311 must never show."""
    closed = make_case(VILLAGE_A, world.office_a, need="pendidikan")
    make_referral(closed, service_code="PIP", agency=world.agency, status=ReferralStatus.RESOLVED)
    closed.status = m.CaseStatus.CLOSED
    closed.closed_at = utcnow()
    world.referral_a.status = ReferralStatus.ACCEPTED
    hidden = {
        "confidential": make_case(VILLAGE_A, world.office_a, need="pangan", confidential=True),
        "violence": make_case(VILLAGE_A, world.office_a, need="kekerasan"),
        "child": make_case(VILLAGE_A, world.office_a, need="anak"),
    }
    db.session.commit()
    return {"closed": closed, "hidden": hidden}


def test_requests_list_validates_and_never_shows_confidential_cases(client, world, cases, open311):
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200
    body = response.get_json()
    validate(body, "requests", open311)
    for item in body:
        validate(item, "request", open311)
    ids = request_ids(body)
    expected = [world.case_a, world.case_b, world.case_other, cases["closed"]]
    assert sorted(ids) == sorted(services.public_id(c.id) for c in expected)
    for case in cases["hidden"].values():
        assert services.public_id(case.id) not in ids
    by_id = {r["service_request_id"]: r for r in body}
    closed = by_id[services.public_id(cases["closed"].id)]
    assert closed["status"] == "closed" and closed["service_code"] == "pendidikan"
    assert closed["status_notes"] == "Selesai. Rujukan: Program Indonesia Pintar (KIP) – Selesai ditangani."
    open_ = by_id[services.public_id(world.case_a.id)]
    assert open_["status"] == "open" and open_["status_notes"] == f"Rujukan: {BPNT} – Diterima lembaga."
    assert open_["agency_responsible"] == "Lembaga DINSOS-3204"
    assert open_["address"] == "Cileunyi Kulon, Cileunyi, Kabupaten Bandung"
    assert open_["address_id"] == VILLAGE_A
    fresh = by_id[services.public_id(world.case_b.id)]
    assert fresh["status_notes"] == f"Rujukan: {BPNT} – Terkirim ke lembaga."


def test_no_personal_data_in_any_answer(client, world, cases):
    person = make_person(
        VILLAGE_A,
        name="Nyai Rahasia Sekali",
        nik="3204055705800001",
        phone="081234567890",
        email="nyai@example.org",
    )
    person.household.rt, person.household.rw, person.household.street = "007", "003", "Jalan Melati Putih"
    person.household.kk_number = "3204050101209999"
    case = make_case(VILLAGE_A, world.office_a, reporter=person, summary="Nyai Rahasia Sekali butuh beras")
    case.needs[0].description = "Catatan pribadi: suami sakit"
    db.session.commit()
    code = services.public_id(case.id)
    answers = [
        client.get("/open311/v2/requests.json").get_data(as_text=True),
        client.get(f"/open311/v2/requests/{code}.json").get_data(as_text=True),
        client.get(f"/open311/v2/requests.json?service_request_id={code}").get_data(as_text=True),
    ]
    assert code in answers[1]
    # The tracking code (the citizen's key to /status and its survey) is in no answer.
    for text in answers:
        assert case.tracking_code not in text and tracking.display(case.tracking_code) not in text
    for text in answers:
        for secret in (
            "Nyai",
            "3204055705800001",
            "081234567890",
            "nyai@example.org",
            "Melati",
            "3204050101209999",
            "beras",
            "Catatan",
            "Siti Aminah",
            "Budi Santoso",
        ):
            assert secret not in text
        for item in json.loads(text):
            assert not {"lat", "long", "description", "media_url"} & set(item)


def test_a_confidential_request_answers_exactly_like_an_unknown_one(client, world, cases, open311):
    found = client.get(f"/open311/v2/requests/{services.public_id(world.case_a.id)}.json")
    assert found.status_code == 200
    validate(found.get_json(), "requests", open311)
    validate(found.get_json()[0], "request", open311)
    unknown_code = "999999-0123456789"
    unknown = client.get(f"/open311/v2/requests/{unknown_code}.json")
    validate_error(unknown, 404)
    for case in cases["hidden"].values():
        code = services.public_id(case.id)
        hidden = client.get(f"/open311/v2/requests/{code}.json")
        assert hidden.status_code == 404
        assert hidden.get_data(as_text=True) == unknown.get_data(as_text=True).replace(unknown_code, code)
        listed = client.get(f"/open311/v2/requests.json?service_request_id={code}")
        assert listed.status_code == 200 and listed.get_json() == []
    validate_error(client.get("/open311/v2/requests/NOT-A-CODE.json"), 404)


def test_requests_filter_by_id_service_status_and_dates(client, world, cases, open311):
    a, b = services.public_id(world.case_a.id), services.public_id(world.case_b.id)
    both = client.get(f"/open311/v2/requests.json?service_request_id={a.upper()},{b}&status=closed")
    assert sorted(request_ids(both.get_json())) == sorted([a, b])  # ids override the other filters
    closed = client.get("/open311/v2/requests.json?status=closed").get_json()
    assert request_ids(closed) == [services.public_id(cases["closed"].id)]
    schooling = client.get("/open311/v2/requests.json?service_code=pendidikan,informasi").get_json()
    assert request_ids(schooling) == [services.public_id(cases["closed"].id)]
    world.case_b.created_at = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    db.session.commit()
    january = client.get(
        "/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-01-31T23:59:59%2B07:00"
    )
    validate(january.get_json(), "requests", open311)
    assert request_ids(january.get_json()) == [b]
    assert b not in request_ids(client.get("/open311/v2/requests.json").get_json())  # default: 90 days


@pytest.mark.parametrize(
    "query, message",
    [
        ("start_date=kemarin", "start_date harus tanggal-waktu ISO 8601"),
        ("start_date=2026-01-01&end_date=2026-06-01", "paling lama 90 hari"),
        ("start_date=2026-02-01&end_date=2026-01-01", "start_date harus sebelum end_date"),
        ("status=pending", "status hanya boleh open atau closed"),
        ("service_request_id=12-0000000000", "service_request_id 12-0000000000 tidak sah"),
    ],
)
def test_bad_queries_get_a_400_error_array(client, world, query, message):
    body = validate_error(client.get(f"/open311/v2/requests.json?{query}"), 400)
    assert any(message in item["description"] for item in body)


# -- POST -------------------------------------------------------------------------------------


@pytest.fixture()
def api_key(world):
    _, clear = issue_token(world.users["slrt"], name="chatbot")
    db.session.commit()
    return clear


def report(api_key, **fields):
    data = {
        "api_key": api_key,
        "service_code": "pangan",
        "address_id": "3204052001",
        "description": "Sudah tiga hari keluarga kami tidak punya beras.",
        "first_name": "Euis",
        "last_name": "Komalasari",
        "phone": "0812 3456 7890",
        "attribute[consent]": "true",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def online_cases():
    return db.session.scalar(sa.select(sa.func.count()).where(m.Case.channel == m.Channel.ONLINE))


def test_post_with_an_api_key_files_an_online_report_like_lapor(client, world, api_key, open311):
    response = client.post("/open311/v2/requests.json", data=report(api_key))
    assert response.status_code == 201
    body = response.get_json()
    _schemas, swagger, _registry = open311
    jsonschema.validate(body, {"type": "array", "items": swagger["definitions"]["RequestResponse"]})
    code = body[0]["service_request_id"]
    case = db.session.get(m.Case, services.case_id_of(code))
    # The citizen's tracking code (for /status) comes back to the filer only, in the notice.
    assert tracking.display(case.tracking_code) in body[0]["service_notice"]
    assert (case.channel, case.type, case.village_code, case.office_id) == (
        m.Channel.ONLINE,
        m.CaseType.NEED,
        VILLAGE_A,
        world.office_a.id,
    )
    assert case.needs[0].category_code == "pangan" and case.consent_given
    assert (case.reporter.name, case.reporter.phone) == ("Euis Komalasari", "081234567890")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "open311.request"))
    assert event.actor_id == world.users["slrt"].id and event.object_id == str(case.id)
    shown = client.get(f"/open311/v2/requests/{code}.json").get_json()
    validate(shown, "requests", open311)
    assert shown[0]["status"] == "open" and shown[0]["service_code"] == "pangan"
    assert "Euis" not in json.dumps(shown)


def test_post_with_attributes_and_a_village_named_in_address_string(client, world, api_key):
    data = report(
        api_key,
        address_id=None,
        address_string="Cileunyi Kulon",
        first_name=None,
        last_name=None,
        phone=None,
        **{
            "attribute[consent]": None,
            "attribute[case_type]": "complaint",
            "attribute[confidential]": "true",
        },
    )
    del data["api_key"]  # the key may also come in the query string
    response = client.post(f"/open311/v2/requests.json?api_key={api_key}", data=data)
    assert response.status_code == 201, response.get_json()
    code = response.get_json()[0]["service_request_id"]
    case = db.session.get(m.Case, services.case_id_of(code))
    assert (case.type, case.confidential, case.reporter_id, case.village_code) == (
        m.CaseType.COMPLAINT,
        True,
        None,
        VILLAGE_A,
    )
    assert client.get(f"/open311/v2/requests/{code}.json").status_code == 404  # confidential


@pytest.mark.parametrize("key", [None, "", "slrt_salah", "revoked"])
def test_post_without_a_valid_api_key_is_a_403_and_files_nothing(client, world, api_key, key):
    if key == "revoked":
        from slrt.accounts.models import ApiToken

        db.session.execute(sa.update(ApiToken).values(revoked_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        key = api_key
    body = validate_error(client.post("/open311/v2/requests.json", data=report(key)), 403)
    assert "api_key" in body[0]["description"]
    assert online_cases() == 0


def test_post_with_bad_fields_lists_every_problem_and_files_nothing(client, world, api_key):
    data = report(
        api_key,
        service_code="",
        address_id="99.99.99.9999",
        description="pendek",
        phone="bukan nomor",
        **{"attribute[consent]": "mungkin", "attribute[case_type]": "lain"},
    )
    body = validate_error(client.post("/open311/v2/requests.json", data=data), 400)
    text = " | ".join(item["description"] for item in body)
    for parameter in (
        "service_code:",
        "address_id:",
        "description:",
        "phone/email:",
        "attribute[consent]:",
        "attribute[case_type]:",
    ):
        assert parameter in text
    assert online_cases() == 0
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(m.Person).where(m.Person.phone.is_(None)))
        == 3
    )


def test_name_without_consent_is_refused(client, world, api_key):
    body = validate_error(
        client.post("/open311/v2/requests.json", data=report(api_key, **{"attribute[consent]": "false"})), 400
    )
    assert body[0]["description"].startswith("attribute[consent]:")
    assert online_cases() == 0


def test_reads_share_the_status_budget_and_posts_are_limited_per_key(
    app, client, world, api_key, monkeypatch
):
    monkeypatch.setitem(app.config, "SLRT_STATUS_RATE_LIMIT", "3/minute")
    monkeypatch.setitem(app.config, "SLRT_OPEN311_POST_RATE_LIMIT", "2/minute")
    code = world.case_a.tracking_code
    open311_id = services.public_id(world.case_a.id)
    assert client.get("/open311/v2/services.json").status_code == 200
    assert client.get("/open311/v2/requests.json").status_code == 200
    assert client.get(f"/status?code={code}").status_code == 200
    validate_error(client.get(f"/open311/v2/requests/{open311_id}.json"), 429)
    assert client.get(f"/api/v1/public/status/{code}").status_code == 429
    posts = [client.post("/open311/v2/requests.json", data=report(api_key)).status_code for _ in range(3)]
    assert posts == [201, 201, 429]
    _, other_key = issue_token(world.users["desk_a"], name="sms")
    db.session.commit()
    assert client.post("/open311/v2/requests.json", data=report(other_key)).status_code == 201


def test_an_api_key_without_the_open311_scope_cannot_file_a_report(client, world):
    _, routing_only = issue_token(world.users["slrt"], name="router", scopes=["routing:suggest"])
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count(m.Case.id)))
    validate_error(client.post("/open311/v2/requests.json", data=report(routing_only)), 403)
    assert db.session.scalar(sa.select(sa.func.count(m.Case.id))) == before


def test_post_answers_xml_when_asked(client, world, api_key):
    response = client.post("/open311/v2/requests.xml", data=report(api_key))
    assert response.status_code == 201
    root, body = from_xml(response)
    assert root == "service_requests" and set(body[0]) == {"service_request_id", "service_notice"}
    assert services.case_id_of(body[0]["service_request_id"]) is not None
    refused = client.post("/open311/v2/requests.xml", data=report("slrt_salah"))
    root, errors = from_xml(refused)
    assert refused.status_code == 403 and root == "errors" and errors[0]["code"] == "403"


def test_an_unknown_service_code_is_a_404_and_files_nothing(client, world, api_key):
    body = validate_error(
        client.post("/open311/v2/requests.json", data=report(api_key, service_code="tidak-ada")), 404
    )
    assert "tidak-ada" in body[0]["description"]
    assert online_cases() == 0


def test_lat_long_alone_is_a_location_and_the_village_comes_as_an_attribute(client, world, api_key):
    point = {"address_id": None, "lat": "-6.9375", "long": "107.7242"}
    response = client.post(
        "/open311/v2/requests.json", data=report(api_key, **point, **{"attribute[village]": "3204052001"})
    )
    assert response.status_code == 201, response.get_json()
    case = db.session.get(m.Case, services.case_id_of(response.get_json()[0]["service_request_id"]))
    assert case.village_code == VILLAGE_A
    # Without a village the desk cannot file it, and says which attribute is missing.
    body = validate_error(client.post("/open311/v2/requests.json", data=report(api_key, **point)), 400)
    assert [item["description"].partition(":")[0] for item in body] == ["attribute[village]"]
    body = validate_error(
        client.post("/open311/v2/requests.json", data=report(api_key, **{**point, "lat": "-96"})), 400
    )
    assert any(item["description"].startswith("lat/long:") for item in body)
    assert online_cases() == 1


def test_description_is_optional(client, world, api_key):
    response = client.post("/open311/v2/requests.json", data=report(api_key, description=None))
    assert response.status_code == 201, response.get_json()
    case = db.session.get(m.Case, services.case_id_of(response.get_json()[0]["service_request_id"]))
    assert case.needs[0].category_code == "pangan" and "Open311" in case.summary


def test_reads_with_an_api_key_have_their_own_budget(app, client, world, api_key, monkeypatch):
    monkeypatch.setitem(app.config, "SLRT_STATUS_RATE_LIMIT", "2/minute")
    monkeypatch.setitem(app.config, "SLRT_OPEN311_KEY_READ_RATE_LIMIT", "5/minute")
    anonymous = [client.get("/open311/v2/requests.json").status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
    keyed = [client.get(f"/open311/v2/requests.json?api_key={api_key}").status_code for _ in range(6)]
    assert keyed == [200] * 5 + [429]
    # A key that opens nothing gets the anonymous budget, already spent.
    validate_error(client.get("/open311/v2/requests.xml?api_key=slrt_salah".replace(".xml", ".json")), 429)
