"""The most important rule: a record outside the user's scope answers 404, on every route."""

import pytest

from tests.factories import World

# Route argument -> which object of the *other* village to ask for.
OBJECTS = {
    "case_id": lambda w, key: getattr(w, f"case_{key}").id,
    "household_id": lambda w, key: getattr(w, f"case_{key}").household_id,
    "person_id": lambda w, key: getattr(w, f"case_{key}").reporter_id,
    "need_id": lambda w, key: getattr(w, f"case_{key}").needs[0].id,
    "referral_id": lambda w, key: getattr(w, f"referral_{key}").id,
    "attachment_id": lambda w, key: _attachment(getattr(w, f"case_{key}")).id,
    "other_id": lambda w, key: _second_person(getattr(w, f"case_{key}")).id,
    "merge_id": lambda w, key: _merge(getattr(w, f"case_{key}"), w).id,
    "conflict_id": lambda w, key: _dtsen_conflict(getattr(w, f"case_{key}")).id,
    "move_id": lambda w, key: _move(getattr(w, f"case_{key}"), w).id,
    "ticket_id": lambda w, key: _ticket(getattr(w, f"case_{key}")).id,
}


def _ticket(case):
    """A queue number handed out today at the desk of the case's village."""
    from slrt.extensions import db
    from slrt.queue import services as queue
    from tests.factories import make_office

    office = case.office or make_office(f"PKS-T{case.id}", case.village_code)
    ticket = queue.issue(queue.today_queue(office), None)
    db.session.commit()
    return ticket


def _move(case, world):
    """A family of the case's village asked to move to another regency (a new family each time:
    one open move per household)."""
    from slrt.extensions import db
    from slrt.intake import moves
    from tests.factories import VILLAGE_OTHER, make_person

    person = make_person(case.village_code, name=f"Pindahan {case.id}")
    move = moves.request_move(
        person.household, {"village_code": VILLAGE_OTHER, "reason": "Ikut suami"}, world.users["slrt"]
    )
    db.session.commit()
    return move


def _dtsen_conflict(case):
    """A DTSEN row of the case's village waiting in the review queue, its reporter a candidate."""
    from datetime import date

    from slrt.core.crypto import nik_digest
    from slrt.dtsen.models import ConflictKind, DtsenConflict
    from slrt.extensions import db
    from slrt.intake.models import Sex

    nik = "3204054107490007"
    conflict = DtsenConflict(
        kind=ConflictKind.SEVERAL,
        line=2,
        nik=nik,
        nik_hash=nik_digest(nik),
        kk_number="3204050101090001",
        name=case.reporter.name,
        birth_date=date(1949, 7, 1),
        sex=Sex.FEMALE,
        village_code=case.village_code,
        desil=2,
        candidate_ids=[case.reporter_id],
    )
    db.session.add(conflict)
    db.session.commit()
    return conflict


def _second_person(case):
    """Another person of the case's village (the other half of a suspected duplicate pair)."""
    from slrt.extensions import db
    from tests.factories import make_person

    person = make_person(case.village_code, name=f"Kembaran {case.id}")
    db.session.commit()
    return person


def _merge(case, world):
    """A merge whose survivor is the case's reporter."""
    from slrt.extensions import db
    from slrt.intake import dedup

    record = dedup.merge(case.reporter, _second_person(case), world.users["slrt"])
    db.session.commit()
    return record


def _attachment(case):
    """An attachment row of `case` (made on first use; the file itself is not needed for 404)."""
    from slrt.extensions import db
    from slrt.intake.models import Attachment, AttachmentKind

    if not case.attachments:
        db.session.add(
            Attachment(
                case=case,
                kind=AttachmentKind.KTP,
                original_name="ktp.jpg",
                stored_name=f"scope-{case.id}.jpg",
                content_type="image/jpeg",
                size=3,
            )
        )
        db.session.commit()
    return case.attachments[0]


# Not scoped records: tested elsewhere (directory rows are the same for every region).
SKIP_ARGS = {
    *("user_id", "token_id", "code", "filename", "lang"),
    *("service_id", "agency_id", "rule_id", "hsds_id"),
}
# Open311's response format and unknown paths: public, no records by id (tests/test_open311.py).
SKIP_ARGS |= {"fmt", "rest"}
# Report export names (reports.export): a list name, not a record.
SKIP_ARGS |= {"name"}
# An office's letterhead page is the administrators' (403 for a desk), scoped by the admin's
# region: tests/test_letters.py checks a province admin gets 404 for another province's office.
SKIP_ARGS |= {"office_id"}


def scoped_rules(app):
    for rule in app.url_map.iter_rules():
        args = set(rule.arguments)
        if not args & OBJECTS.keys():
            assert args <= SKIP_ARGS | {"token"}, f"{rule.rule}: add a scope expectation for {args}"
            continue
        unknown = args - OBJECTS.keys() - SKIP_ARGS
        assert not unknown, f"{rule.rule}: add a scope expectation for {unknown}"
        yield rule


def url_for_rule(rule, world: World, key: str) -> str:
    values = {arg: OBJECTS[arg](world, key) for arg in rule.arguments if arg in OBJECTS}
    return rule.build(values)[1]


def call(client, auth, rule, url, token=None):
    if rule.rule.startswith("/api/"):  # the JSON API authenticates with a bearer token, not the session
        headers = {"Authorization": f"Bearer {token}"}
        if "GET" in rule.methods:
            return client.get(url, headers=headers)
        return client.post(url, json={}, headers=headers)
    if "GET" in rule.methods:
        return client.get(url)
    return client.post(url, data={"csrf_token": auth.csrf("/")})


@pytest.mark.parametrize("who", ["desk_a", "coordinator_a"])
def test_village_a_gets_404_for_village_b_on_every_route_with_an_id(app, client, auth, world, who):
    from slrt.accounts.services import issue_token
    from slrt.extensions import db

    auth.login(world.users[who].username)
    _, token = issue_token(world.users[who])
    db.session.commit()
    checked = 0
    for rule in scoped_rules(app):
        own = call(client, auth, rule, url_for_rule(rule, world, "a"), token)
        other = call(client, auth, rule, url_for_rule(rule, world, "b"), token)
        if own.status_code == 403:  # the role may not use this route at all
            assert other.status_code == 403, rule.rule
            continue
        assert other.status_code == 404, f"{rule.rule} leaked village B to {who}: {other.status_code}"
        checked += 1
    assert checked >= 3


def test_regency_user_sees_both_villages_but_not_another_regency(app, client, auth, world):
    auth.login("slrt.bdg")
    assert client.get(f"/cases/{world.case_a.id}").status_code == 200
    assert client.get(f"/cases/{world.case_b.id}").status_code == 200
    assert client.get(f"/cases/{world.case_other.id}").status_code == 404


def test_agency_user_sees_only_cases_referred_to_its_agency(app, client, auth, world):
    auth.login("dinsos")
    assert client.get(f"/cases/{world.case_a.id}").status_code == 200
    assert client.get(f"/cases/{world.case_b.id}").status_code == 404
    assert client.get(f"/persons/{world.case_b.reporter_id}").status_code == 404


def test_province_admin_scope(app, client, auth, world):
    auth.login("admin.jabar")
    assert client.get(f"/cases/{world.case_other.id}").status_code == 200
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("admin.jatim")
    assert client.get(f"/cases/{world.case_a.id}").status_code == 404


def test_lists_on_the_home_page_are_filtered(app, client, auth, world):
    auth.login("desk.a")
    html = client.get("/").get_data(as_text=True)
    assert world.case_a.tracking_code[:4] in html
    assert "Budi Santoso" not in html and "Joko" not in html


def test_anonymous_visitor_is_sent_to_login(client, world):
    response = client.get(f"/cases/{world.case_a.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_anonymous_case_hides_every_person_and_the_household_from_the_agency(app, client, auth, world):
    from slrt.extensions import db

    world.case_a.anonymous = True
    db.session.commit()
    auth.login("dinsos")
    assert client.get(f"/cases/{world.case_a.id}").status_code == 200
    assert client.get(f"/persons/{world.case_a.reporter_id}").status_code == 404
    assert client.get(f"/persons/{world.case_a.needs[0].person_id}").status_code == 404
    assert client.get(f"/households/{world.case_a.household_id}").status_code == 404
