"""No stack trace ever reaches a user: errors answer in the app's style, JSON for API clients."""

import pytest
from flask import abort

from slrt.extensions import db


@pytest.fixture(scope="module")
def broken_app(app):
    """A second app on the same (migrated) database, with routes that fail on purpose."""
    from slrt import create_app

    other = create_app({k: v for k, v in app.config.items() if k.isupper()})
    other.add_url_rule("/boom", "boom", lambda: 1 / 0)
    other.add_url_rule("/api/v1/boom", "api_boom", lambda: 1 / 0)
    other.add_url_rule("/forbidden", "forbidden", lambda: abort(403))
    return other


@pytest.fixture()
def client(broken_app):
    return broken_app.test_client()


def test_unhandled_error_shows_a_friendly_page_without_traceback(broken_app, client):
    response = client.get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Terjadi kesalahan" in html
    assert "Traceback" not in html and "ZeroDivisionError" not in html


def test_api_errors_answer_json(broken_app, client):
    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.get_json() == {
        "error": "Terjadi kesalahan",
        "status": 500,
        "message": response.get_json()["message"],
    }
    assert "ZeroDivisionError" not in response.get_data(as_text=True)


def test_json_clients_get_json_for_404_and_403(broken_app, client):
    assert client.get("/forbidden").status_code == 403
    response = client.get("/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_english_error_page(broken_app, client):
    client.get("/login?lang=en")
    assert "Not found" in client.get("/nope").get_data(as_text=True)


def test_production_cookies_are_secure():
    from config import ProdConfig

    assert ProdConfig.SESSION_COOKIE_SECURE and ProdConfig.SESSION_COOKIE_HTTPONLY
    assert ProdConfig.SESSION_COOKIE_SAMESITE == "Lax" and ProdConfig.REMEMBER_COOKIE_SECURE


def test_text_no_database_can_store_is_refused_with_a_400_everywhere(client, auth, world):
    """A NUL character or a lone surrogate reached PostgreSQL and failed there as a 500 (found by
    schemathesis on /api/v1/routing/suggest); now every route refuses it first."""
    from slrt.accounts.services import issue_token
    from slrt.extensions import db

    _, token = issue_token(world.users["desk_a"])
    db.session.commit()
    api = client.post(
        "/api/v1/routing/suggest",
        json={"village_code": "32.04\u0000", "needs": ["pangan"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 400 and api.get_json()["status"] == 400
    surrogate = client.post(
        "/api/v1/routing/suggest",
        data='{"village_code": "\\udba3", "needs": []}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert surrogate.status_code == 400
    page = client.get("/status?code=AB%00CD")
    assert page.status_code == 400 and "karakter NUL" in page.get_data(as_text=True)
    auth.login("desk.a")
    search = client.get("/search?q=Siti%00")
    assert search.status_code == 400


def test_page_numbers_beyond_any_list_are_answered_not_a_500(client, auth, world):
    """A page number too large for the database's OFFSET (found by fuzzing the referrals API)
    shows an empty last page on the pages, and a 400 naming the field on the API."""
    huge = "3489471983640408752128"
    auth.login("slrt.bdg")
    for path in ("/referrals/overdue", "/reports/records", "/search?q=siti"):
        response = client.get(f"{path}{'&' if '?' in path else '?'}page={huge}")
        assert response.status_code == 200, path
    assert client.get(f"/hsds/services?page={huge}").status_code == 200

    from slrt.accounts import services as accounts

    _, clear = accounts.issue_token(world.users["slrt"])
    db.session.commit()
    bearer = {"Authorization": f"Bearer {clear}"}
    for page in (huge, "²"):  # "²" is a digit to str.isdigit() but no number to int()
        response = client.get(f"/api/v1/referrals?page={page}", headers=bearer)
        assert response.status_code == 400
        assert response.get_json()["problems"][0]["field"] == "page"
