"""Hardening: headers, idle timeout, append-only audit trail, audited denials, production checks,
the audit search page, API tokens (scopes, expiry, revocation, admin page)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from slrt.accounts import services
from slrt.accounts.models import ApiToken, User
from slrt.core.audit import AuditEvent, AuditTrailIsAppendOnly, audit
from slrt.core.db import utcnow
from slrt.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# -- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/status", "/api/v1/openapi.json", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # development and tests: plain HTTP


def test_hsts_is_sent_in_production_only(app, client):
    app.config["HSTS_SECONDS"] = 31536000
    try:
        assert "max-age=31536000" in client.get("/login").headers["Strict-Transport-Security"]
    finally:
        app.config["HSTS_SECONDS"] = 0
    from config import DevConfig, ProdConfig

    assert ProdConfig.HSTS_SECONDS > 0 and not DevConfig.HSTS_SECONDS
    assert ProdConfig.SESSION_COOKIE_SECURE and ProdConfig.SESSION_COOKIE_HTTPONLY
    assert ProdConfig.SESSION_COOKIE_SAMESITE == "Lax"


def test_no_template_or_script_needs_unsafe_inline():
    offending = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)
    files = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("static/js/**/*.js")]
    found = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in files for m in offending.finditer(p.read_text())]
    assert not found, found


# -- production refusals ------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "dev-only-not-secret", "short"])
def test_production_refuses_to_start_without_a_real_secret_key(key, monkeypatch):
    from config import ProdConfig

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/x")
    if key is None:
        monkeypatch.delenv("SLRT_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SLRT_SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SLRT_SECRET_KEY"):
        ProdConfig.check()
    monkeypatch.setenv("SLRT_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SLRT_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("SLRT_HASH_KEY", "h" * 40)
    monkeypatch.setenv("SLRT_PUBLIC_BASE_URL", "https://slrt.example.go.id")
    ProdConfig.check()  # real keys pass


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://127.0.0.1:5000",
        "http://localhost:8000",
        "https://LOCALHOST./",
        "http://[::1]:5000",
        "http://0.0.0.0",
        "http://slrt.local",
        "slrt.example.go.id",
        "ftp://slrt.example.go.id",
    ],
)
def test_production_refuses_to_start_while_the_public_base_url_is_unset_or_local(url, monkeypatch):
    """Receipts and letters print this address in their QR code (issue 20 item 8)."""
    from config import ProdConfig

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/x")
    monkeypatch.setenv("SLRT_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SLRT_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("SLRT_HASH_KEY", "h" * 40)
    if url is None:
        monkeypatch.delenv("SLRT_PUBLIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("SLRT_PUBLIC_BASE_URL", url)
    with pytest.raises(RuntimeError, match="SLRT_PUBLIC_BASE_URL"):
        ProdConfig.check()
    for good in ("https://slrt.bandungkab.go.id", "http://10.20.0.5:8080", "https://slrt.example.go.id/"):
        monkeypatch.setenv("SLRT_PUBLIC_BASE_URL", good)
        ProdConfig.check()


def test_production_app_will_not_start_with_the_development_base_url(monkeypatch, tmp_path):
    from slrt import create_app

    monkeypatch.setenv("SLRT_CONFIG", "production")
    monkeypatch.setenv("SLRT_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://x@127.0.0.1/x")
    monkeypatch.setenv("SLRT_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SLRT_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("SLRT_HASH_KEY", "h" * 40)
    monkeypatch.delenv("SLRT_PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SLRT_PUBLIC_BASE_URL"):
        create_app()


def test_no_private_key_or_live_secret_is_committed():
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    pattern = re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}"
        # An API token (mixed case, unlike the snake_case test names that start with slrt_)
        r"|slrt_(?=[a-z0-9_-]*[A-Z])[A-Za-z0-9_-]{40,}"
        r"|SLRT_SECRET_KEY\s*=\s*['\"][^'\"]{16,}"
    )
    hits = []
    for name in listed:
        path = ROOT / name
        if path.suffix in {".png", ".jpg", ".mo", ".pdf", ".ico"} or not path.is_file():
            continue
        text = path.read_text(errors="ignore")
        hits += [f"{name}: {m.group(0)[:30]}" for m in pattern.finditer(text)]
    assert not hits, hits


def test_bandit_finds_no_high_severity_issue():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "slrt", "-lll", "-f", "txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- idle timeout -------------------------------------------------------------------------------


def test_idle_session_is_logged_out_with_a_message_and_comes_back_to_the_page(app, client, auth, world):
    auth.login("desk.a")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["_last_seen"] = int(time.time()) - 31 * 60
    response = client.get(f"/cases/{world.case_a.id}")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"] and "next=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sesi Anda berakhir karena 30 menit tidak ada kegiatan" in page
    assert client.get("/search").status_code == 302  # really logged out
    assert events("session.expired")[0].actor_id == world.users["desk_a"].id


def test_activity_keeps_the_session_alive(app, client, auth, world):
    auth.login("desk.a")
    with client.session_transaction() as session:
        session["_last_seen"] = int(time.time()) - 29 * 60
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert session["_last_seen"] >= int(time.time()) - 5
    assert client.get("/").status_code == 200


# -- the audit trail ----------------------------------------------------------------------------


def test_audit_rows_cannot_be_updated_or_deleted_through_the_app(app, world):
    event = audit("test.event", world.case_a, actor=world.users["admin"])
    db.session.commit()
    event.action = "tampered"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(sa.delete(AuditEvent))
    db.session.rollback()
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(sa.update(AuditEvent).values(action="x"))
    db.session.rollback()
    assert db.session.get(AuditEvent, event.id).action == "test.event"


def test_database_itself_refuses_to_change_audit_rows_on_postgresql(app, world):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only (SQLite tests empty tables with DELETE)")
    audit("test.event", world.case_a, actor=world.users["admin"])
    db.session.commit()
    for statement in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) >= 1


def test_login_success_and_failure_are_audited_with_ip(client, auth, world):
    auth.login("desk.a", "wrong-password")
    auth.login("nobody", "x")
    auth.login("desk.a")
    failed = events("login.failed")
    assert len(failed) == 2 and {e.ip for e in failed} == {"127.0.0.1"}
    assert failed[0].actor_id == world.users["desk_a"].id
    assert failed[1].detail["username"] == "nobody"
    assert events("login.success")[0].actor_id == world.users["desk_a"].id


@pytest.mark.parametrize(
    ("path", "action", "table"),
    [
        ("/cases/{case}", "case.view", "cases"),
        ("/persons/{person}", "person.view", "persons"),
        ("/households/{household}", "household.view", "households"),
        ("/referrals/{referral}", "referral.view", "referrals"),
    ],
)
def test_every_view_of_a_record_is_audited(client, auth, world, path, action, table):
    case = world.case_a
    auth.login("desk.a")
    url = path.format(
        case=case.id, person=case.reporter_id, household=case.household_id, referral=world.referral_a.id
    )
    assert client.get(url).status_code == 200
    (event,) = events(action)
    assert event.actor_id == world.users["desk_a"].id and event.object_type == table and event.ip


def test_scope_404_and_role_403_are_audited_as_denials(client, auth, world):
    auth.login("desk.a")
    assert client.get(f"/cases/{world.case_b.id}").status_code == 404
    assert client.get("/admin/users").status_code == 403
    denied = events("access.denied")
    assert [(e.detail["status"], e.object_type, e.object_id) for e in denied] == [
        (404, "cases", str(world.case_b.id)),
        (403, None, None),
    ]
    assert all(e.actor_id == world.users["desk_a"].id for e in denied)


def test_denied_api_calls_are_audited(client, world):
    _, token = services.issue_token(world.users["desk_a"], scopes=["routing:suggest"])
    db.session.commit()
    assert client.get("/api/v1/referrals").status_code == 401
    response = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403 and "referrals:read" in response.get_json()["error"]
    assert [e.detail["status"] for e in events("api.denied")] == [401]
    assert events("access.denied")[0].actor_id == world.users["desk_a"].id


# -- audit search page --------------------------------------------------------------------------


def test_admin_searches_the_audit_trail_by_actor_action_object_and_date(client, auth, world):
    auth.login("desk.a")
    client.get(f"/cases/{world.case_a.id}")
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("admin")
    page = client.get("/admin/audit?actor=desk.a&action=case").get_data(as_text=True)
    assert "case.view" in page and "login.success" not in page
    from slrt.core.workdays import local_today

    today = local_today().isoformat()  # the form takes Jakarta calendar days
    page = client.get(
        f"/admin/audit?object_type=cases&object_id={world.case_a.id}&date_from={today}&date_to={today}"
    ).get_data(as_text=True)
    assert "case.view" in page
    page = client.get("/admin/audit?date_to=2000-01-01").get_data(as_text=True)
    assert "Tidak ada catatan yang cocok" in page


def test_audit_page_pages_through_many_events(client, auth, world):
    for n in range(60):
        audit("bulk.event", actor=world.users["desk_a"], detail={"n": n})
    db.session.commit()
    auth.login("admin")
    first = client.get("/admin/audit?action=bulk").get_data(as_text=True)
    assert first.count("bulk.event") == 50 and 'rel="next"' in first
    second = client.get("/admin/audit?action=bulk&page=2").get_data(as_text=True)
    assert second.count("bulk.event") == 10 and 'rel="prev"' in second


def test_region_admin_sees_only_events_of_users_in_the_region(client, auth, world):
    audit("probe.event", actor=world.users["desk_a"])  # Jawa Barat
    audit("probe.event", detail={"anonymous": True})  # no actor: national admins only
    db.session.commit()
    auth.login("admin.jatim")
    assert "probe.event" not in client.get("/admin/audit?action=probe").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("admin.jabar")
    assert client.get("/admin/audit?action=probe").get_data(as_text=True).count("probe.event") == 1


def test_audit_page_is_for_administrators_only(client, auth, world):
    auth.login("slrt.bdg")
    assert client.get("/admin/audit").status_code == 403


# -- API tokens ---------------------------------------------------------------------------------


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_expired_or_revoked_token_gets_401_at_once(client, world):
    token, clear = services.issue_token(world.users["desk_a"], scopes=["referrals:read"])
    db.session.commit()
    assert client.get("/api/v1/referrals", headers=_bearer(clear)).status_code == 200
    assert db.session.get(ApiToken, token.id).last_used_at is not None
    services.revoke_token(token, world.users["admin"])
    db.session.commit()
    response = client.get("/api/v1/referrals", headers=_bearer(clear))
    assert response.status_code == 401 and response.is_json
    token2, clear2 = services.issue_token(world.users["desk_a"], scopes=["referrals:read"])
    token2.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/referrals", headers=_bearer(clear2)).status_code == 401


def test_token_scopes_are_enforced_per_route(client, world):
    _, clear = services.issue_token(world.users["desk_a"], scopes=["referrals:read"])
    db.session.commit()
    assert client.get("/api/v1/referrals", headers=_bearer(clear)).status_code == 200
    response = client.post("/api/v1/routing/suggest", json={}, headers=_bearer(clear))
    assert response.status_code == 403 and "routing:suggest" in response.get_json()["error"]
    response = client.post(
        f"/api/v1/referrals/{world.referral_a.id}/transitions", json={}, headers=_bearer(clear)
    )
    assert response.status_code == 403


def test_issuing_a_token_rejects_unknown_or_missing_scopes(world):
    with pytest.raises(services.ValidationFailed) as failed:
        services.issue_token(world.users["desk_a"], name="", scopes=["root"])
    assert set(failed.value.errors) == {"scopes", "name"}
    with pytest.raises(services.ValidationFailed):
        services.issue_token(world.users["desk_a"], scopes=[])


def test_admin_creates_a_token_sees_the_secret_once_and_revokes_it(client, auth, world):
    # Tokens are minted for integrations only (round 2): slrt.bdg plays the SLRT's system here.
    world.users["slrt"].service_account = True
    db.session.commit()
    auth.login("admin.jabar")
    response = auth.post(
        "/admin/tokens",
        {"username": "slrt.bdg", "name": "Sistem SLRT", "days": "30", "scopes": ["referrals:read"]},
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="token-secret">(slrt_[^<]+)<', response.get_data(as_text=True)).group(1)
    token = db.session.scalar(sa.select(ApiToken))
    assert token.token_hash == ApiToken.hash(secret) and token.scopes == ["referrals:read"]
    assert token.created_by_id == world.users["admin_jabar"].id
    listing = client.get("/admin/tokens").get_data(as_text=True)
    assert "Sistem SLRT" in listing and secret not in listing
    assert client.get("/api/v1/referrals", headers=_bearer(secret)).status_code == 200
    confirm = client.get(f"/admin/tokens/{token.id}/revoke")
    assert "Cabut token?" in confirm.get_data(as_text=True)
    auth.post(f"/admin/tokens/{token.id}/revoke", page=f"/admin/tokens/{token.id}/revoke")
    assert client.get("/api/v1/referrals", headers=_bearer(secret)).status_code == 401
    assert [
        e.action
        for e in db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_type == "api_tokens"))
    ] == ["token.create", "token.revoke"]


def test_token_form_shows_every_problem_and_creates_nothing(client, auth, world):
    auth.login("admin")
    page = auth.post("/admin/tokens", {"username": "nobody", "name": "", "days": "0"}).get_data(as_text=True)
    assert "tidak ada di wilayah Anda" in page and "Masa berlaku 1 sampai 3650 hari" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_region_admin_manages_tokens_of_the_region_only(client, auth, world):
    token, _ = services.issue_token(world.users["desk_a"])
    db.session.commit()
    auth.login("admin.jatim")
    assert "desk.a" not in client.get("/admin/tokens").get_data(as_text=True)
    assert client.get(f"/admin/tokens/{token.id}/revoke").status_code == 404
    page = auth.post(
        "/admin/tokens", {"username": "desk.a", "name": "x", "days": "5", "scopes": ["referrals:read"]}
    ).get_data(as_text=True)
    assert "tidak ada di wilayah Anda" in page


def test_service_account_cannot_sign_in_but_its_token_works(client, auth, runner, world):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "open311.bridge",
            "--role",
            "slrt",
            "--region",
            "32.04",
            "--service-account",
        ],
    )
    assert result.exit_code == 0, result.output
    bridge = db.session.scalar(sa.select(User).where(User.username == "open311.bridge"))
    assert bridge.service_account
    result = runner.invoke(
        args=["tokens", "create", "--username", "open311.bridge", "--scope", "referrals:read"]
    )
    assert result.exit_code == 0, result.output
    clear = result.output.strip()
    assert db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == bridge.id)).scopes == [
        "referrals:read"
    ]
    assert client.get("/api/v1/referrals", headers=_bearer(clear)).status_code == 200
    bridge.set_password("rahasia-123")
    db.session.commit()
    auth.login("open311.bridge", "rahasia-123")
    assert client.get("/search").status_code == 302  # still not signed in


def test_an_id_beyond_the_integer_range_is_404_not_500(client, auth, world):
    auth.login("desk.a")
    assert client.get("/cases/99999999999999999999").status_code == 404
    _, clear = services.issue_token(world.users["desk_a"])
    db.session.commit()
    assert client.get("/api/v1/referrals/6242333576976035479552", headers=_bearer(clear)).status_code == 404


def test_a_change_to_a_person_is_audited_with_the_fields_not_the_values(world):
    from slrt.intake.records import apply_changes

    person = world.case_a.reporter
    changed = apply_changes(
        person, {"name": "Siti Aminah Baru", "phone": "081234567890"}, world.users["desk_a"]
    )
    db.session.commit()
    (event,) = events("person.update")
    assert event.object_id == str(person.id) and event.actor_id == world.users["desk_a"].id
    assert sorted(event.detail["fields"]) == sorted(changed)
    assert "Siti Aminah Baru" not in str(event.detail)


def test_reading_referrals_through_the_api_is_audited(client, world):
    _, clear = services.issue_token(world.users["desk_a"], scopes=["referrals:read"])
    db.session.commit()
    assert client.get(f"/api/v1/referrals/{world.referral_a.id}", headers=_bearer(clear)).status_code == 200
    assert client.get("/api/v1/referrals", headers=_bearer(clear)).status_code == 200
    (viewed,) = events("referral.view")
    assert viewed.object_id == str(world.referral_a.id) and viewed.detail == {"api": True}
    (listed,) = events("referral.list")
    assert listed.detail["ids"] == [world.referral_a.id]
