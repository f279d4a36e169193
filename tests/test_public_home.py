"""The public root `/` (issue 20 item 3): a citizen's page, not the staff login; staff signed in
still reach their home there."""

import sqlalchemy as sa

from slrt.directory.models import Office
from slrt.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD


def _with_hours(world) -> None:
    world.slrt_office.address = "Dinas Sosial, Jl. Raya Soreang No. 1"
    world.slrt_office.hours = "Senin-Jumat 08.00-15.00"
    world.slrt_office.phone = "022-7800000"
    db.session.commit()


def test_a_visitor_at_the_root_gets_the_public_page_not_the_login_redirect(client, world):
    _with_hours(world)
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Silakan masuk untuk membuka halaman ini" not in page
    # Check a status by tracking code, report a need, the desk's address and hours.
    assert 'action="/status"' in page and 'name="code"' in page
    assert 'href="/lapor"' in page
    assert "Jl. Raya Soreang No. 1" in page and "Senin-Jumat 08.00-15.00" in page
    # Staff sign-in beside it, posting to the login page.
    assert 'action="/login"' in page and 'name="username"' in page and 'name="password"' in page
    # Nothing of a case: the page shows no record.
    assert world.case_a.tracking_code[:4] not in page and "Siti" not in page


def test_the_public_page_in_english(client, world):
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Check report status" in page and "Report a need" in page
    assert "Staff sign-in" in page


def test_staff_sign_in_from_the_public_page_leads_to_their_home(client, world):
    page = client.get("/").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": "desk.a", "password": PASSWORD, "csrf_token": csrf_from(page)}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Kasus terbuka" in home and 'action="/login"' not in home


def test_signed_in_staff_at_the_root_still_reach_their_home(client, auth, world):
    auth.login("desk.a")
    page = client.get("/").get_data(as_text=True)
    assert "Kantor PKS-A" in page and "Masuk petugas" not in page


def test_the_old_addresses_still_work(client, world):
    assert client.get("/login").status_code == 200
    assert client.get("/status").status_code == 200
    assert client.get("/lapor").status_code == 200
    assert client.get("/search").status_code == 302  # staff pages still ask for sign-in


def test_a_long_list_of_desks_is_not_printed_on_the_page(client, world):
    from slrt.public.landing import MAX_DESKS_LISTED
    from tests.factories import VILLAGE_A, make_office

    for i in range(MAX_DESKS_LISTED):
        make_office(f"PKS-N{i}", VILLAGE_A)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Office.id))) > MAX_DESKS_LISTED
    page = client.get("/").get_data(as_text=True)
    assert "Kantor PKS-N1" not in page and "Daftar Puskesos" not in page
