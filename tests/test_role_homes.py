"""Each role's home shows its own work (issue 20 item 4): the desk its visitors and cases, an
agency its inbox and nothing of the desk, an administrator the accounts it runs and no citizen."""

from __future__ import annotations

from datetime import timedelta

from slrt.accounts.services import issue_token
from slrt.core.db import utcnow
from slrt.extensions import db

DESK_WIDGETS = ("Kunjungan hari ini", "Pengunjung hari ini", "Kasus terbuka")


def home(client, auth, username: str) -> str:
    auth.login(username)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_desk_home_keeps_its_visitors_and_cases(client, auth, world):
    html = home(client, auth, "desk.a")
    assert all(widget in html for widget in DESK_WIDGETS)
    assert "Pekerjaan administrator" not in html


def test_the_agency_home_shows_its_inbox_and_no_desk_widgets(client, auth, world):
    html = home(client, auth, "dinsos")
    assert "Kotak masuk rujukan" in html and "Rujukan baru" in html
    assert not any(widget in html for widget in DESK_WIDGETS)
    assert "Pekerjaan administrator" not in html


def test_the_administrator_home_shows_accounts_and_no_citizen(client, auth, world):
    world.users["desk_b"].must_change_password = True
    world.users["desk_other"].active = False
    token, _clear = issue_token(world.users["agency"], "Aplikasi lembaga", days=10)
    db.session.commit()
    assert token.expires_at is not None and token.expires_at < utcnow() + timedelta(days=30)
    html = home(client, auth, "admin")
    assert "Pekerjaan administrator" in html
    assert not any(widget in html for widget in DESK_WIDGETS)
    for name in ("Budi Santoso", "Joko", world.case_a.reporter.name):
        assert name not in html
    for section in ("Menunggu persetujuan", "Rujukan terlambat", "Rujukan menunggu desk"):
        assert f"<h2>{section}</h2>" not in html  # (the overdue list stays in the menu)
    assert "Belum mengganti kata sandi awal" in html and "Token API berakhir dalam 30 hari" in html


def test_a_province_administrator_counts_only_its_own_accounts(world, app):
    from slrt.accounts.home import admin_home_data

    with app.test_request_context():
        from flask_login import login_user

        login_user(world.users["admin_jatim"])
        figures = admin_home_data()
    assert figures is not None and figures["active"] == 1  # only admin.jatim itself lives in 35
