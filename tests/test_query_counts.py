"""Query discipline: each main page runs the same number of SQL statements whether it shows 3
rows or 30 (no N+1), and that number is pinned here so that a new per-row query shows up.

Each test measures a page, grows the data it lists (more cases, referrals, events, needs,
users...) by ten times, and measures again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from slrt.accounts.services import issue_token
from slrt.core import tracking
from slrt.core.db import utcnow
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.models import ReferralEvent
from slrt.referrals.models import ReferralStatus as S
from tests import factories
from tests.factories import VILLAGE_A, make_agency, make_case, make_user
from tests.referral_factories import referral_in
from tests.sqlcount import statements_for

SMALL, LARGE = 3, 30


def grow(world: factories.World, n: int) -> None:
    """n more of everything the main pages list, all in village A / world.agency's inbox."""
    reattach(world)
    case_a, referral_a = world.case_a, world.referral_a
    reporter = case_a.reporter
    long_ago = local_today() - timedelta(days=40)
    for i in range(n):
        # Desk home: today's visitors (some fast-track), open cases, the same reporter's history.
        case = make_case(VILLAGE_A, world.office_a, urgent=i % 3 == 0, reporter=reporter if i % 2 else None)
        # Inbox, approvals, overdue, and what the desk must still tell the citizen.
        referral_in(world, S.SENT, case=case)
        referral_in(world, S.SENT, case=case, today=long_ago)  # overdue
        referral_in(world, S.AWAITING_APPROVAL, case=case)
        referral_in(world, S.RETURNED, case=case)
        referral_in(world, S.RESOLVED, case=case)
        # Case detail and status page: more needs and referrals on case A.
        need = m.Need(case=case_a, category_code="pangan", description=f"Kebutuhan {i}", person=reporter)
        db.session.add(need)
        db.session.flush()
        referral_in(world, S.IN_PROGRESS, case=case_a)
        # Referral detail: a longer history.
        db.session.add(
            ReferralEvent(
                referral=referral_a, from_status=S.SENT, to_status=S.SENT, at=utcnow(), note=f"n{i}"
            )
        )
        # Admin lists.
        make_user(f"desk.extra{world_size(world)}", "desk", office_code="PKS-A")
        make_agency(f"LEMBAGA-{world_size(world)}")
    db.session.commit()


def reattach(world: factories.World) -> None:
    """The measured request starts from an empty session; load the world's objects again."""
    for name, value in vars(world).items():
        if isinstance(value, db.Model):
            setattr(world, name, db.session.get(type(value), sa.inspect(value).identity[0]))


def world_size(world: factories.World) -> int:
    world.grown = getattr(world, "grown", 0) + 1
    return world.grown


def measure_twice(world, client, path: str, **kwargs) -> tuple[int, int]:
    grow(world, SMALL)
    status, small = statements_for(client, path, **kwargs)
    assert status == 200, path
    grow(world, LARGE - SMALL)
    status, large = statements_for(client, path, **kwargs)
    assert status == 200, path
    return len(small), len(large)


PAGES = [
    # (user, path, statements per request: the page's own queries, plus loading the user and
    # writing the audit row where the page is audited)
    ("desk.a", "/", 13),  # the referral figures and lists are read once, shown twice; + Tindak lanjut
    ("desk.a", "/cases/{case_a}", 7),
    ("desk.a", "/persons/{person_a}", 7),  # + the consent records (privacy)
    ("desk.a", "/referrals/{referral_a}", 7),
    ("dinsos", "/referrals/inbox", 6),
    ("koor.a", "/referrals/approvals", 5),  # + the desk notes asking for approval (issue 20)
    ("slrt.bdg", "/referrals/overdue", 6),
    ("admin", "/admin/users", 2),
    ("admin", "/directory/agencies", 2),
    ("admin", "/directory/services", 4),
    (None, "/status?code={code_a}", 1),
    (None, "/api/v1/public/status/{code_a}", 1),
]


@pytest.mark.parametrize(("user", "path", "pinned"), PAGES, ids=[p[1] for p in PAGES])
def test_statements_per_page_do_not_grow_with_the_rows_shown(world, client, auth, user, path, pinned):
    if user:
        auth.login(user)
    path = path.format(
        case_a=world.case_a.id,
        person_a=world.case_a.reporter_id,
        referral_a=world.referral_a.id,
        code_a=tracking.display(world.case_a.tracking_code),
    )
    small, large = measure_twice(world, client, path)
    assert small == large, f"{path}: {small} statements with {SMALL} rows, {large} with {LARGE}"
    if pinned is not None:
        assert large == pinned, f"{path}: {large} statements, pinned at {pinned}"


def _suggest(client, token: str, needs: list[str]) -> int:
    body = {
        "village_code": VILLAGE_A,
        "needs": needs,
        "person": {"birth_date": "1950-02-01", "sex": "P", "nik": None, "disability": "none"},
        "household": {"in_dtsen": True, "desil": 3, "receives": [], "members": []},
    }
    status, statements = statements_for(
        client,
        "/api/v1/routing/suggest",
        method="POST",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert status == 200
    return len(statements)


def test_routing_suggest_statements_do_not_grow_with_the_needs_asked(world, client):
    _, token = issue_token(world.users["desk_a"])
    db.session.commit()
    # The first call of the minute also records the token's use: its write (committed with the
    # request, so the token is no longer read again after a commit of its own).
    first = _suggest(client, token, ["lansia"])
    one = _suggest(client, token, ["lansia"])
    many = _suggest(
        client, token, ["lansia", "kesehatan.jaminan", "pangan", "pendidikan", "rumah", "disabilitas"]
    )
    # the token, then the routing reads
    assert one == many == 7
    assert first == 8


def test_a_bearer_token_request_gets_no_session_cookie(world, client):
    # A cookie here would be a browser login made from an API token, outliving its revocation.
    _, token = issue_token(world.users["desk_a"])
    db.session.commit()
    response = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert not response.headers.getlist("Set-Cookie")
    assert client.get("/search").status_code == 302  # still not logged in for the pages


def _ready_case(world: factories.World, i: int) -> None:
    """A case whose ADMINDUK referral is resolved and whose reporter's NIK is now recorded, with
    a food need waiting for BPNT: one line of the desk home's "Tindak lanjut"."""
    reporter = factories.make_person(VILLAGE_A, name=f"Warga {i}", nik=f"32040541075{i:05d}")
    case = make_case(VILLAGE_A, world.office_a, need="adminduk", reporter=reporter)
    db.session.add(m.Need(case=case, category_code="pangan", person=reporter))
    db.session.flush()
    referral_in(world, S.RESOLVED, case=case, service="ADMINDUK")


def test_home_follow_up_statements_do_not_grow_with_the_cases_listed(world, client, auth):
    auth.login("desk.a")
    counts = []
    for n in (SMALL, LARGE):
        reattach(world)
        for i in range(len(counts) * SMALL, n):
            _ready_case(world, i)
        db.session.commit()
        status, statements = statements_for(client, "/")
        assert status == 200
        html = client.get("/").get_data(as_text=True)
        assert html.count("Siap dirujuk:") == min(n, 20), "one line per case, up to the list's limit"
        counts.append(len(statements))
    # The home's own statements, plus for "Tindak lanjut" the cases with their needs and people,
    # their referrals and the services that need a NIK.
    assert counts == [16, 16]
