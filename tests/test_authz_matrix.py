"""Authorization matrix generated from the URL map: every rule, every role, a record inside and
outside the user's scope, and the status each must get.

The expectations live in one table, EXPECT (endpoint -> who may use it). A rule in the URL map
without an entry fails the suite and names itself: add one line when you add a route.

- GET routes are requested by every role, with the in-scope record and (for routes that name a
  record) the out-of-scope one, which must answer 404 to anyone whose scope excludes it.
- Routes without GET are POSTed with a valid CSRF token only where that changes nothing: by an
  anonymous visitor (sent to login, or 401 for the API) and by a role that may not use the route
  (403); the allowed roles' POSTs are covered by each feature's own tests.

This subsumes the role checks; tests/test_scope.py keeps the deeper scope walk (village A
against village B for desk officers and coordinators).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from slrt.accounts import services
from slrt.core import tracking
from slrt.directory.hsds import stable_id
from slrt.extensions import db, limiter
from tests import factories
from tests.conftest import csrf_from
from tests.letter_factories import logo_png

# Roles -> a user of the test world (None: anonymous).
ROLES = {
    "anonymous": None,
    "desk": "desk.a",
    "coordinator": "koor.a",
    "slrt": "slrt.bdg",
    "agency": "dinsos",
    "region_admin": "admin.jabar",
    "national_admin": "admin",
}
STAFF = frozenset(ROLES) - {"anonymous"}
ADMIN = frozenset({"region_admin", "national_admin"})
# The out-of-scope record lies in another regency of Jawa Barat: inside both administrators' scope.
SEES_OTHER_REGENCY = ADMIN


@dataclass(frozen=True)
class Expect:
    """Who may use a route. `roles` None: everyone, anonymous visitors included (public).
    `ok`: the status an allowed GET gets (200, or e.g. 302 for a page that redirects).
    `api`: bearer-token route (anonymous gets 401, and tokens stand in for sessions)."""

    roles: frozenset[str] | None = None
    ok: int = 200
    api: bool = False
    ok_for: dict[str, int] = field(default_factory=dict)  # a different `ok` for some roles

    def allowed(self, role: str) -> bool:
        return self.roles is None or role in self.roles


def public(ok: int = 200) -> Expect:
    return Expect(None, ok)


def staff(*roles: str, ok: int = 200, **ok_for: int) -> Expect:
    return Expect(frozenset(roles) if roles else STAFF, ok, ok_for=ok_for)


def api() -> Expect:
    return Expect(STAFF, 200, api=True)


D, C, S, A = "desk", "coordinator", "slrt", "agency"
R, N = "region_admin", "national_admin"

EXPECT: dict[str, Expect] = {
    "static": public(),
    # accounts
    "accounts.login": Expect(None, 200, ok_for=dict.fromkeys(STAFF, 302)),  # signed in: home
    "accounts.logout": staff(),
    "accounts.set_language": public(),
    "accounts.users": staff(R, N),
    "accounts.user_new": staff(R, N),
    "accounts.user_edit": staff(R, N),
    "accounts.user_deactivate": staff(R, N),
    "accounts.user_end_sessions": staff(R, N),
    "accounts.change_password": staff(),
    # security administration
    "security.audit_log": staff(R, N),
    "security.tokens": staff(R, N),
    "security.token_revoke": staff(R, N),
    # regions
    "regions.show": public(),
    "regions.children": public(),
    "regions.search": public(),
    # directory
    "directory.services": staff(),
    "directory.service_detail": staff(),
    "directory.service_new": staff(R, N),
    "directory.service_edit": staff(R, N),
    "directory.agencies": staff(),
    "directory.agency_new": staff(R, N),
    "directory.agency_edit": staff(R, N),
    "directory.rules": staff(),
    "directory.rule_delete": staff(R, N),
    "directory.history": staff(R, N),
    "directory.offices": staff(R, N),
    "reports.register": staff(D, C, S),
    "reports.register_file": staff(D, C, S),
    "directory.office_edit": staff(R, N),
    "directory.office_logo": staff(R, N),
    "hsds.services": public(),
    "hsds.service": public(),
    "hsds.organizations": public(),
    "hsds.organization": public(),
    "hsds.api_information": public(),
    "hsds.locations": public(),
    "hsds.location": public(),
    "hsds.service_at_locations": public(),
    "hsds.service_at_location": public(ok=404),  # the agency has no routing rule in this world
    # intake
    "intake.home": public(),  # staff: their home; a visitor: the public page (slrt.public.landing)
    "intake.search": staff(D, C, S, R, N),
    "intake.new_case": staff(D, C, S),
    "intake.create_case": staff(D, C, S),
    "intake.case_detail": staff(),
    "intake.receipt": staff(),
    "intake.receipt_pdf": staff(),
    "intake.household_detail": staff(),
    "intake.person_detail": staff(),
    "intake.attachment": staff(region_admin=404, national_admin=404),  # a KTP scan: personal data
    # suspected duplicates: reviewed and merged by a coordinator or the SLRT (issue 18)
    "dedup.pairs": staff(C, S),
    "dedup.pair": staff(C, S),
    "dedup.merge": staff(C, S),
    "dedup.distinct": staff(C, S),
    "dedup.merge_detail": staff(C, S),
    "dedup.undo": staff(C, S),
    "dedup.data_quality": staff(D, C, S),
    # moving a family to another village (issue 18 item 7): the desk roles
    "moves.request_move": staff(D, C, S),
    "moves.index": staff(D, C, S),
    "moves.detail": staff(D, C, S),
    "moves.accept": staff(D, C, S),
    "moves.refuse": staff(D, C, S),
    "moves.cancel": staff(D, C, S),
    # DTSEN import conflicts, decided by a coordinator or the SLRT; proposals out hold full NIKs
    "dtsen.conflict_list": staff(C, S),
    "dtsen.conflict_detail": staff(C, S),
    "dtsen.conflict_apply": staff(C, S),
    "dtsen.conflict_dismiss": staff(C, S),
    "dtsen_proposals.page": staff(D, C, S),
    "dtsen_proposals.download": staff(D, C, S),
    # facts: correcting persons and households, DTSEN checks (the desk roles that register cases)
    "facts.person_edit": staff(D, C, S),
    "facts.household_edit": staff(D, C, S),
    "facts.dtsen_check": staff(D, C, S),
    "facts.member_add": staff(D, C, S),
    "facts.member_move": staff(D, C, S),
    "facts.member_remove": staff(D, C, S),
    # routing
    "routing.case_route": staff(D, C, S),
    # referrals
    "referrals.detail": staff(),
    "referrals.do_transition": staff(),
    "referrals.note": staff(),
    "referrals.informed": staff(),
    "referrals.approve_many": staff(C, S),
    "referrals.send_drafts": staff(D, C, S),
    "referrals.letter": staff(),
    "referrals.approvals": staff(C, S, R, N),
    "referrals.inbox": staff(A),
    "referrals.overdue": staff(D, C, S, R, N),
    "referrals.remind": staff(D, C, S, R, N),  # a reminder to the agency, from the overdue list
    "referrals.holidays": staff(R, N),
    "referrals.holiday_delete": staff(R, N),
    "referrals.close_need": staff(D, C, S),  # closing a need on purpose, with the reason
    "referrals.close_case": staff(D, C, S),
    # the visitor queue (antrean): the desk roles; the display by the chairs is public
    "queue.desk": staff(D, C, S),
    "queue.issue": staff(D, C, S),
    "queue.call_next": staff(D, C, S),
    "queue.finish": staff(D, C, S),
    "queue.open_case": staff(D, C, S),
    "queue.ticket_pdf": staff(D, C, S),
    "queue.home_panel": staff(D, C, S),
    "queue.display": public(),
    # public
    "public.status": public(),
    "public.survey": public(),
    "public.report": public(),
    "public.verify_form": public(),
    "public.verify_letter": public(ok=404),  # a well-formed code of no letter
    "public.report_done": public(ok=302),  # nothing filed in this session: back to the form
    "public_api.status_json": public(ok=404),  # a well-formed code that no case has
    # JSON API
    "api.openapi": public(),
    "referrals_api.list_referrals": api(),
    "referrals_api.get_referral": api(),
    "referrals_api.post_transition": api(),
    "routing_api.suggest": api(),
    # reports and exports (lists by name: the overdue list is not the agency's)
    "reports.dashboard": staff(D, C, S, R, N),
    "reports.records": staff(D, C, S, R, N),
    "reports.records_file": staff(D, C, S, R, N),
    "reports.list_file": staff(D, C, S, R, N),
    "reports.monthly_file": staff(D, C, S, R, N),
    # privacy: reveal (who may is decided per record inside), consent, erasure, subject export
    "privacy.reveal_nik": staff(),
    "privacy.reveal_kk": staff(),
    "privacy.person_privacy": staff(D, C, S),
    "privacy.withdraw_consent": staff(D, C, S),
    "privacy.request_erasure": staff(D, C, S),
    "privacy.erasure_list": staff(D, C, S),
    "privacy.decide_erasure": staff(S),
    "privacy.export": staff(C, S),
    # Open311 GeoReport v2 (public; filing a request needs an api_key, tested in test_open311)
    "open311.discovery": public(),
    "open311.service_list": public(),
    "open311.service_definition": public(),
    "open311.request_list": public(),
    "open311.request_detail": public(ok=404),  # a well-formed code that no case has
    "open311.create_request": public(),
    "open311.unknown": public(ok=404),
}


@dataclass
class Records:
    """Route argument values: `inside` is in every role's scope, `outside` in no one's but the
    administrators' (another regency of the same province, not referred to the agency)."""

    inside: dict[str, Any]
    outside: dict[str, Any]


def _attachment(case) -> int:
    from pathlib import Path

    from flask import current_app

    from slrt.intake.models import Attachment, AttachmentKind

    stored = f"matrix-{case.id}.jpg"
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(b"\xff\xd8\xff")
    item = Attachment(
        case=case,
        kind=AttachmentKind.KTP,
        original_name="ktp.jpg",
        stored_name=stored,
        content_type="image/jpeg",
        size=3,
    )
    db.session.add(item)
    db.session.flush()
    return item.id


def _ticket(office) -> int:
    from slrt.queue import services as queue

    return queue.issue(queue.today_queue(office), None).id


def make_records(world: factories.World) -> Records:
    from slrt.directory.models import Agency, Service

    referral_other = factories.make_referral(world.case_other, agency=world.other_agency)
    # Letters exist once a referral is sent with a number: both records get one.
    world.referral_a.letter_number = "001/SLRT/2026"
    referral_other.letter_number = "002/SLRT/2026"
    service = db.session.query(Service).first()
    world.office_a.logo, world.office_a.logo_type = logo_png(), "image/png"
    shared = {
        "code": "32.04",
        "lang": "id",
        "filename": "css/app.css",
        "user_id": world.users["desk_a"].id,
        "service_id": service.id,
        "agency_id": world.agency.id,
        "office_id": world.office_a.id,
        "rule_id": None,
        "token_id": None,
        "hsds_id": stable_id("service", service.code),
        "fmt": "csv",
        "name": "overdue",
        "rest": "no-such-call",
    }
    from slrt.directory.models import RoutingRule

    rule = db.session.query(RoutingRule).first()
    shared["rule_id"] = rule.id if rule else 1
    token, _ = services.issue_token(world.users["desk_a"])
    shared["token_id"] = token.id
    inside = {
        **shared,
        "case_id": world.case_a.id,
        "household_id": world.case_a.household_id,
        "person_id": world.case_a.reporter_id,
        "referral_id": world.referral_a.id,
        "need_id": world.case_a.needs[0].id,
        "attachment_id": _attachment(world.case_a),
        "ticket_id": _ticket(world.office_a),
    }
    outside = {
        **shared,
        "case_id": world.case_other.id,
        "household_id": world.case_other.household_id,
        "person_id": world.case_other.reporter_id,
        "referral_id": referral_other.id,
        "need_id": world.case_other.needs[0].id,
        "attachment_id": _attachment(world.case_other),
        "ticket_id": _ticket(world.office_other),
    }
    assert db.session.get(Agency, world.agency.id)
    db.session.commit()
    return Records(inside, outside)


# Arguments naming a record whose scope follows the region (or agency) rules.
SCOPED_ARGS = {"case_id", "household_id", "person_id", "referral_id", "need_id", "attachment_id", "ticket_id"}
# Endpoint-specific argument values (the shared defaults suit everything else).
ARG_OVERRIDES = {
    "hsds.organization": lambda world: {"hsds_id": stable_id("organization", world.agency.code)},
    "hsds.location": lambda world: {"hsds_id": stable_id("location", world.agency.code)},
    "public_api.status_json": lambda world: {"code": tracking.generate()},
    "public.verify_letter": lambda world: {"code": tracking.generate()},
    "reports.register_file": lambda world: {"fmt": "pdf"},
    "queue.display": lambda world: {"code": world.office_a.code},
    "open311.discovery": lambda world: {"fmt": "json"},
    "open311.service_list": lambda world: {"fmt": "json"},
    "open311.service_definition": lambda world: {"fmt": "json", "code": _need_code()},
    "open311.request_list": lambda world: {"fmt": "json"},
    "open311.request_detail": lambda world: {"fmt": "json", "code": tracking.generate()},
    "dedup.pair": lambda world: {"other_id": _second_person_in_village_a()},
    "dedup.merge_detail": lambda world: {"merge_id": _merge_in_village_a(world)},
    # POST-only: refused (403) before any record is loaded, so any ids do.
    "dedup.merge": lambda world: {"other_id": 1},
    "dedup.distinct": lambda world: {"other_id": 1},
    "dedup.undo": lambda world: {"merge_id": 1},
    "moves.detail": lambda world: {"move_id": _move_from_village_a(world)},
    "moves.accept": lambda world: {"move_id": 1},
    "moves.refuse": lambda world: {"move_id": 1},
    "moves.cancel": lambda world: {"move_id": 1},
    "dtsen.conflict_detail": lambda world: {"conflict_id": _conflict_in_village_a(world)},
    "dtsen.conflict_apply": lambda world: {"conflict_id": 1},
    "dtsen.conflict_dismiss": lambda world: {"conflict_id": 1},
}


def _move_from_village_a(world) -> int:
    from slrt.intake import moves

    household = db.session.get(type(world.case_a.household), world.case_a.household_id)
    move = moves.request_move(
        household, {"village_code": factories.VILLAGE_B, "reason": "Ikut keluarga"}, world.users["desk_a"]
    )
    db.session.commit()
    return move.id


def _conflict_in_village_a(world) -> int:
    from datetime import date

    from slrt.dtsen.models import ConflictKind, DtsenConflict
    from slrt.intake.models import Sex

    conflict = DtsenConflict(
        kind=ConflictKind.NIK_HELD,
        line=2,
        nik="3204051705800001",
        kk_number="3204050101200001",
        name="Warga Lain",
        birth_date=date(1980, 5, 17),
        sex=Sex.MALE,
        village_code=factories.VILLAGE_A,
        desil=3,
        programmes=[],
        candidate_ids=[world.case_a.reporter_id],
    )
    db.session.add(conflict)
    db.session.commit()
    return conflict.id


def _second_person_in_village_a() -> int:
    person = factories.make_person(factories.VILLAGE_A, name="Enok Sumarny")
    db.session.commit()
    return person.id


def _merge_in_village_a(world) -> int:
    from slrt.intake import dedup

    record = dedup.merge(
        world.case_a.reporter, factories.make_person(name="Siti Aminah"), world.users["slrt"]
    )
    db.session.commit()
    return record.id


def _need_code() -> str:
    from slrt.directory.models import NeedCategory

    return db.session.scalar(db.select(NeedCategory.code).order_by(NeedCategory.code).limit(1))


def _rules(app):
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - EXPECT.keys())
    assert not missing, (
        "routes without an authorization expectation (add them to EXPECT in "
        f"tests/test_authz_matrix.py): {', '.join(missing)}"
    )
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def _url(rule, records: dict, world) -> str:
    values = dict(records)
    values.update(ARG_OVERRIDES.get(rule.endpoint, lambda w: {})(world))
    return rule.build({arg: values[arg] for arg in rule.arguments})[1]


class Caller:
    """Requests as one role: a session for pages, a bearer token for the JSON API."""

    def __init__(self, client, auth, role: str, username: str | None):
        self.client, self.auth, self.role = client, auth, role
        self.token = None
        if username:
            auth.login(username)
            user = services.db.session.scalar(
                services.sa.select(services.User).where(services.User.username == username)
            )
            _, self.token = services.issue_token(user)
            db.session.commit()
        self.csrf = csrf_from(client.get("/login" if not username else "/").get_data(as_text=True))

    def get(self, url: str, expect: Expect):
        headers = {"Authorization": f"Bearer {self.token}"} if expect.api and self.token else {}
        return self.client.get(url, headers=headers)

    def post(self, url: str, expect: Expect):
        if expect.api:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            return self.client.post(url, json={}, headers=headers)
        return self.client.post(url, data={"csrf_token": self.csrf})


def _refused(expect: Expect, role: str) -> int:
    """What a role that may not use the route gets."""
    if role == "anonymous":
        return 401 if expect.api else 302
    return 403


def test_every_route_has_an_authorization_expectation(app):
    _rules(app)


def test_a_route_without_an_expectation_fails_the_suite_naming_it():
    class Rule:
        endpoint, rule = "made.up", "/made-up"

    class App:
        class url_map:  # stands in for Flask's attribute
            @staticmethod
            def iter_rules():
                return [Rule()]

    with pytest.raises(AssertionError, match=r"made\.up"):
        _rules(App())


@pytest.mark.parametrize("role", list(ROLES))
def test_authorization_matrix(app, client, auth, world, role):
    records = make_records(world)
    caller = Caller(client, auth, role, ROLES[role])
    wrong: list[str] = []

    def check(label: str, response, expected: int) -> None:
        status = response.status_code
        if status != expected:
            wrong.append(f"{label}: expected {expected}, got {status}")
        elif status == 302 and role == "anonymous" and expected == 302:
            location = response.headers.get("Location", "")
            if EXPECT_LOGIN.get(label.split()[1], True) and "/login" not in location:
                wrong.append(f"{label}: redirected to {location}, not to login")

    for rule in _rules(app):
        expect = EXPECT[rule.endpoint]
        allowed = expect.allowed(role)
        limiter.reset()
        if "GET" in rule.methods:
            url = _url(rule, records.inside, world)
            ok = expect.ok_for.get(role, expect.ok)
            expected = ok if allowed else _refused(expect, role)
            check(f"GET {rule.rule} (inside)", caller.get(url, expect), expected)
            if SCOPED_ARGS & set(rule.arguments) and role != "anonymous" and allowed:
                url = _url(rule, records.outside, world)
                out = ok if role in SEES_OTHER_REGENCY else 404
                check(f"GET {rule.rule} (outside)", caller.get(url, expect), out)
        elif not allowed:
            url = _url(rule, records.inside, world)
            check(f"POST {rule.rule}", caller.post(url, expect), _refused(expect, role))
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


# Routes whose anonymous redirect is not to the login page (label's rule -> False).
EXPECT_LOGIN: dict[str, bool] = {"/lapor/terkirim": False}
