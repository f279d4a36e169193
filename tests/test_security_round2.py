"""Security review, round two (issue 15): each test performs an attack that used to work."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from slrt.accounts import services
from slrt.accounts.models import ApiToken, Role, User
from slrt.core.audit import AuditEvent
from slrt.extensions import db
from tests import factories
from tests.conftest import csrf_from

STRONG = "kabut-pagi-di-lembang"


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _new_user(auth, **fields):
    data = {"name": "Orang Baru", "password": STRONG, "active": "y", **fields}
    return auth.post("/admin/users/new", data)


# -- 1. administrators stay inside their own scope ---------------------------------------------


def test_province_admin_cannot_create_a_national_admin(client, auth, world):
    auth.login("admin.jabar")
    page = _new_user(auth, username="admin.baru", role="admin").get_data(as_text=True)
    assert "hanya dapat dibuat oleh administrator nasional" in page
    assert _user("admin.baru") is None


def test_province_admin_cannot_create_a_user_in_another_province(client, auth, world):
    auth.login("admin.jabar")
    page = _new_user(auth, username="slrt.aceh", role="slrt", region_code="11.01").get_data(as_text=True)
    assert "di dalam wilayah Anda" in page
    assert _user("slrt.aceh") is None


def test_province_admin_cannot_attach_a_user_to_an_agency_of_another_province(client, auth, world):
    factories.make_agency("DINSOS-1101", ["11.01"])
    db.session.commit()
    auth.login("admin.jabar")
    page = _new_user(
        auth, username="agen.aceh", role="agency", agency_code="DINSOS-1101", region_code="32"
    ).get_data(as_text=True)
    assert "di luar wilayah Anda" in page and _user("agen.aceh") is None


def test_admin_cannot_widen_their_own_scope_or_change_their_own_role(client, auth, world):
    me = world.users["admin_jabar"]
    auth.login("admin.jabar")
    base = {"username": "admin.jabar", "name": "Admin Jabar", "active": "y"}
    page = auth.post(f"/admin/users/{me.id}", {**base, "role": "admin", "region_code": ""})
    assert "akun sendiri" in page.get_data(as_text=True)
    page = auth.post(f"/admin/users/{me.id}", {**base, "role": "slrt", "region_code": "32.04"})
    assert "akun sendiri" in page.get_data(as_text=True)
    db.session.refresh(me)
    assert me.scope_region_code == "32" and me.role is Role.ADMIN


def test_national_admin_still_creates_a_province_admin_and_it_is_audited(client, auth, world):
    auth.login("admin")
    assert _new_user(auth, username="admin.aceh", role="admin", region_code="11").status_code == 302
    created = _user("admin.aceh")
    assert created.scope_region_code == "11"
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.create", AuditEvent.object_id == str(created.id)
        )
    )
    assert event.actor_id == world.users["admin"].id and event.detail["scope"] == "11"


def test_cli_still_creates_a_national_admin(runner, world):
    result = runner.invoke(
        args=["users", "create", "--username", "admin.dua", "--role", "admin"], input=STRONG + "\n"
    )
    assert result.exit_code == 0, result.output
    assert _user("admin.dua").scope_region_code is None


# -- 3. ended sessions stop working -------------------------------------------------------------


def _session_cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_copied_session_cookie_stops_working_after_logout(app, client, auth, world):
    auth.login("desk.a")
    stolen = _session_cookie(client)
    assert _with_cookie(app, stolen).get("/").status_code == 200
    auth.post("/logout", page="/")
    assert _with_cookie(app, stolen).get("/search").status_code == 302


def test_a_copied_session_cookie_stops_working_after_an_admin_resets_the_password(app, client, auth, world):
    auth.login("desk.a")
    stolen = _session_cookie(client)
    admin = app.test_client()
    from tests.conftest import Auth

    admin_auth = Auth(admin)
    admin_auth.login("admin")
    desk = world.users["desk_a"]
    response = admin_auth.post(
        f"/admin/users/{desk.id}",
        {
            "username": "desk.a",
            "name": "Desk A",
            "role": "desk",
            "office_code": "PKS-A",
            "password": STRONG,
            "active": "y",
        },
    )
    assert response.status_code == 302
    assert _with_cookie(app, stolen).get("/search").status_code == 302


def test_a_change_of_role_or_scope_ends_the_sessions(app, client, auth, world):
    auth.login("desk.a")
    stolen = _session_cookie(client)
    services.save_user(
        world.users["desk_a"],
        username="desk.a",
        name="Desk A",
        role="desk",
        office_code="PKS-B",
        actor=world.users["admin"],
    )
    db.session.commit()
    assert _with_cookie(app, stolen).get("/search").status_code == 302


def test_admin_ends_every_session_of_a_user_with_one_button(app, client, auth, world):
    auth.login("desk.a")
    stolen = _session_cookie(client)
    admin = app.test_client()
    from tests.conftest import Auth

    admin_auth = Auth(admin)
    admin_auth.login("admin.jabar")
    desk = world.users["desk_a"]
    assert "Akhiri semua sesi" in admin.get(f"/admin/users/{desk.id}").get_data(as_text=True)
    response = admin_auth.post(f"/admin/users/{desk.id}/sessions/end", page=f"/admin/users/{desk.id}")
    assert response.status_code == 302
    assert _with_cookie(app, stolen).get("/search").status_code == 302
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.sessions_ended"))
    # Another province's administrator cannot reach the user at all.
    other = app.test_client()
    Auth(other).login("admin.jatim")
    assert Auth(other).post(f"/admin/users/{desk.id}/sessions/end", page="/").status_code == 404


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app, client, auth, world):
    auth.login("desk.a")
    elsewhere = app.test_client()
    from tests.conftest import Auth

    Auth(elsewhere).login("desk.a")
    response = auth.post(
        "/account/password",
        {"current": factories.PASSWORD, "password": STRONG, "confirm": STRONG},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert elsewhere.get("/search").status_code == 302


# -- 5. login does not tell known names from unknown ones, and cannot be used to lock others out -


def test_an_unknown_name_costs_the_same_password_check_as_a_known_one(app, world, monkeypatch):
    calls = []
    real = services.check_password_hash

    def counting(hash_, password):
        calls.append(hash_.split("$")[0])
        return real(hash_, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    import slrt.accounts.models as models

    monkeypatch.setattr(models, "check_password_hash", counting)
    services.authenticate("nobody", "x", "10.0.0.1")
    services.authenticate("desk.a", "x", "10.0.0.1")
    # One check each with the same method: an unknown name is compared against a dummy hash.
    method = app.config["PASSWORD_HASH_METHOD"].split(":")[0]
    assert calls and len(calls) == 2 and calls[0] == calls[1] and calls[0].startswith(method)


def test_failures_from_another_address_do_not_lock_the_desk_officer_out(client, auth, world):
    for _ in range(10):
        services.authenticate("desk.a", "tebakan-penyerang", "203.0.113.9")
    db.session.commit()
    # The officer's own desk (the test client's 127.0.0.1) still signs in.
    assert auth.login("desk.a").status_code == 302


def test_the_lockout_answers_the_same_for_unknown_and_known_names(client, auth, world):
    pages = {}
    for name in ("desk.a", "tidak.ada"):
        for _ in range(6):
            pages[name] = auth.login(name, "salah-sandi").get_data(as_text=True)
    assert "dikunci 15 menit" in pages["desk.a"] and "dikunci 15 menit" in pages["tidak.ada"]
    strip = re.compile(r'name="(csrf_token|username)"[^>]*>')
    assert strip.sub("", pages["desk.a"]).replace("desk.a", "") == strip.sub("", pages["tidak.ada"]).replace(
        "tidak.ada", ""
    )


def test_many_addresses_together_still_lock_the_account(world):
    for i in range(50):
        services.authenticate("desk.a", "salah", f"198.51.100.{i}")
    assert services.authenticate("desk.a", factories.PASSWORD, "192.0.2.1").locked


# -- 6. the password rule ------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["password", "12345678", "Password1!", "jakarta123", "desk.baru2026"])
def test_common_or_breached_style_passwords_are_refused(world, weak):
    with pytest.raises(services.ValidationFailed) as failed:
        services.save_user(
            None, username="desk.baru", name="Desk Baru", role="desk", office_code="PKS-A", password=weak
        )
    assert "mudah ditebak" in " ".join(failed.value.errors["password"])


def test_a_long_passphrase_without_symbols_or_digits_is_accepted(world):
    phrase = "kopi hitam di warung dekat balai desa " * 3
    user = services.save_user(
        None, username="desk.baru", name="Desk Baru", role="desk", office_code="PKS-A", password=phrase
    )
    assert user.check_password(phrase)


def test_an_account_made_by_an_administrator_must_change_its_password_first(client, auth, world):
    auth.login("admin")
    assert _new_user(auth, username="desk.baru", role="desk", office_code="PKS-A").status_code == 302
    auth.post("/logout", page="/")
    auth.login("desk.baru", STRONG)
    assert client.get("/").headers["Location"].endswith("/account/password")
    assert client.get(f"/cases/{world.case_a.id}").headers["Location"].endswith("/account/password")
    new = "sawah-hijau-di-cileunyi"
    response = auth.post("/account/password", {"current": STRONG, "password": new, "confirm": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert not _user("desk.baru").must_change_password


def test_a_password_an_administrator_resets_must_be_changed_at_the_next_sign_in(client, auth, world):
    """Issue 20 item 9: checked again; the same rule covers a reset, not only a new account."""
    desk = world.users["desk_a"]
    auth.login("admin")
    fields = {"username": "desk.a", "name": desk.name, "role": "desk", "office_code": "PKS-A"}
    response = auth.post(f"/admin/users/{desk.id}", {**fields, "password": STRONG, "active": "y"})
    assert response.status_code == 302
    assert _user("desk.a").must_change_password
    auth.post("/logout", page="/")
    auth.login("desk.a", STRONG)
    assert client.get("/cases/new").headers["Location"].endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    assert 'name="current"' in page and 'name="confirm"' in page


# -- 8. tokens only for integrations, and who minted them ---------------------------------------


def test_admin_cannot_mint_a_token_for_a_person_and_act_as_them(client, auth, world):
    auth.login("admin.jabar")
    page = auth.post(
        "/admin/tokens", {"username": "desk.a", "name": "x", "days": "5", "scopes": ["referrals:read"]}
    ).get_data(as_text=True)
    assert "hanya untuk akun integrasi" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_tokens_record_who_minted_them_also_from_the_cli(runner, world):
    bridge = world.users["slrt"]
    bridge.service_account = True
    db.session.commit()
    token, _ = services.issue_token(bridge, scopes=["referrals:read"], created_by=world.users["admin"])
    assert token.created_by_name == "admin"
    result = runner.invoke(args=["tokens", "create", "--username", "slrt.bdg", "--scope", "referrals:read"])
    assert result.exit_code == 0, result.output
    minted = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()
    assert minted[-1].created_by_name.startswith("cli:")


def test_a_user_may_mint_a_token_for_themselves(world):
    token, _ = services.issue_token(
        world.users["desk_a"], scopes=["referrals:read"], created_by=world.users["desk_a"]
    )
    assert token.created_by_id == world.users["desk_a"].id


_ = (time, csrf_from)


# -- 4. a returned referral is re-sent only where the service is offered ------------------------


def _returned_referral(world):
    from slrt.referrals.models import ReferralStatus
    from slrt.referrals.transitions import transition
    from tests.referral_factories import referral_in

    referral = referral_in(world, ReferralStatus.SENT)
    transition(referral, "returned", world.users["agency"], note="Bukan wewenang kami")
    db.session.commit()
    return referral


def test_a_returned_referral_cannot_be_resent_to_an_agency_in_another_province(client, world):
    aceh = factories.make_agency("DINSOS-1101", ["11.01"])
    referral = _returned_referral(world)
    _, clear = services.issue_token(world.users["desk_a"], scopes=["referrals:write"])
    db.session.commit()
    response = client.post(
        f"/api/v1/referrals/{referral.id}/transitions",
        json={"to": "sent", "agency": "DINSOS-1101", "version": referral.version},
        headers={"Authorization": f"Bearer {clear}"},
    )
    assert response.status_code == 422, response.get_json()
    db.session.refresh(referral)
    assert referral.agency_id != aceh.id and referral.status.value == "returned"


def test_a_returned_referral_goes_to_an_agency_of_the_routing_table(world):
    from slrt.referrals.transitions import transition
    from tests.referral_factories import offer_service

    referral = _returned_referral(world)
    offer_service(world.other_agency)
    transition(referral, "sent", world.users["desk_a"], agency=world.other_agency)
    assert referral.agency_id == world.other_agency.id


def test_an_slrt_officer_overrides_the_routing_table_with_a_written_reason_and_it_is_audited(world):
    from slrt.referrals.transitions import transition

    aceh = factories.make_agency("DINSOS-1101", ["11.01"])
    referral = _returned_referral(world)
    with pytest.raises(services.ValidationFailed):
        transition(referral, "sent", world.users["desk_a"], agency=aceh, note="Warga pindah")
    with pytest.raises(services.ValidationFailed):
        transition(referral, "sent", world.users["slrt"], agency=aceh)
    transition(referral, "sent", world.users["slrt"], agency=aceh, note="Warga pindah ke Aceh minggu ini")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "referral.resend_override"))
    assert event.detail["agency"] == "DINSOS-1101" and "Aceh" in event.detail["reason"]


# -- 9. an upload over the limit gets the app's own page; a limit of attachments per case ------

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def test_an_upload_over_the_size_limit_gets_the_apps_own_413_page_in_the_users_language(
    app, client, auth, world, monkeypatch
):
    import io

    from tests.intake_factories import intake_form, post_intake

    auth.login("desk.a")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4000)
    big = intake_form(file_kk=(io.BytesIO(b"%PDF-" + b"0" * 8000), "kk.pdf"))
    response = post_intake(auth, big, content_type="multipart/form-data")
    assert response.status_code == 413 and "Berkas terlalu besar" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 26 * 1024 * 1024)
    auth.post("/lang/en", {"next": "/"}, page="/")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4000)
    big = intake_form(file_kk=(io.BytesIO(b"%PDF-" + b"0" * 8000), "kk.pdf"))
    english = post_intake(auth, big, content_type="multipart/form-data")
    assert english.status_code == 413 and "File too large" in english.get_data(as_text=True)


def test_more_attachments_than_the_limit_per_case_are_refused_at_the_field(
    app, client, auth, world, monkeypatch
):
    import io

    from slrt.intake import models as m
    from tests.intake_factories import intake_form, post_intake

    assert app.config["MAX_ATTACHMENTS_PER_CASE"] == 10
    monkeypatch.setitem(app.config, "MAX_ATTACHMENTS_PER_CASE", 3)
    auth.login("desk.a")
    cases = db.session.scalar(sa.select(sa.func.count()).select_from(m.Case))
    data = intake_form(file_house=[(io.BytesIO(PNG), f"rumah{i}.png") for i in range(4)])
    response = post_intake(auth, data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Paling banyak 3 lampiran per kasus" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.Case)) == cases
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.Attachment)) == 0
    three = intake_form(file_house=[(io.BytesIO(PNG), f"rumah{i}.png") for i in range(3)])
    assert post_intake(auth, three, content_type="multipart/form-data").status_code == 302


# -- 2. administrators never see personal data, on pages, PDFs or attachments -------------------


def _citizen_with_a_ktp_scan(world, app, tmp_path):
    from slrt.intake import models as m

    case = world.case_a
    person = case.reporter
    person.name, person.phone = "Rahasia Warganingsih", "081234567890"
    case.household.street = "Jalan Kenanga Rahasia 7"
    monkey_dir = app.config["UPLOAD_DIR"]
    stored = "ktp-test.png"
    (__import__("pathlib").Path(monkey_dir)).mkdir(parents=True, exist_ok=True)
    (__import__("pathlib").Path(monkey_dir) / stored).write_bytes(PNG)
    scan = m.Attachment(
        case=case,
        kind=m.AttachmentKind.KTP,
        original_name="ktp.png",
        stored_name=stored,
        content_type="image/png",
        size=len(PNG),
        uploaded_by_id=world.users["desk_a"].id,
    )
    db.session.add(scan)
    db.session.commit()
    return case, person, scan


@pytest.mark.parametrize("admin", ["admin.jabar", "admin"])
def test_an_administrator_sees_no_personal_data_on_pages_pdfs_or_attachments(
    app, client, auth, world, tmp_path, monkeypatch, admin
):
    from slrt.referrals.models import ReferralStatus
    from tests.referral_factories import referral_in

    case, person, scan = _citizen_with_a_ktp_scan(world, app, tmp_path)
    referral = referral_in(world, ReferralStatus.SENT)
    db.session.commit()
    auth.login(admin)
    pages = [
        f"/persons/{person.id}",
        f"/households/{case.household_id}",
        f"/cases/{case.id}",
        f"/referrals/{referral.id}",
    ]
    for page in pages:
        response = client.get(page)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, page
        assert "Rahasia" not in html and "34567890" not in html, page
    for query in ("081234567890", "Warganingsih"):  # the search box shows the query itself
        html = client.get(f"/search?q={query}").get_data(as_text=True)
        assert "Rahasia" not in html and "Kenanga" not in html and "Aminah" not in html, query
    from slrt.referrals import letter as letters

    asked = []
    real = letters.render_letter
    monkeypatch.setattr(
        letters,
        "render_letter",
        lambda r, hide_reporter, **kw: (
            asked.append(hide_reporter) or real(r, hide_reporter=hide_reporter, **kw)
        ),
    )
    letter = client.get(f"/referrals/{referral.id}/letter.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    assert asked == [True]  # the letter leaves out the citizen's name, address and phone
    assert client.get(f"/attachments/{scan.id}").status_code == 404


def test_the_desk_still_sees_the_citizen_and_the_ktp_scan(app, client, auth, world, tmp_path):
    case, person, scan = _citizen_with_a_ktp_scan(world, app, tmp_path)
    auth.login("desk.a")
    assert "Rahasia Warganingsih" in client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert "Jalan Kenanga Rahasia 7" in client.get(f"/households/{case.household_id}").get_data(as_text=True)
    assert "Rahasia Warganingsih" in client.get("/search?q=Warganingsih").get_data(as_text=True)
    assert client.get(f"/attachments/{scan.id}").data == PNG


# -- 7. personal numbers never appear in a URL -------------------------------------------------


def test_a_search_by_nik_or_phone_leaves_no_number_in_the_url(client, auth, world):
    auth.login("desk.a")
    response = client.get("/search?q=3204011705800001")
    assert response.status_code == 302 and "3204" not in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Siti Aminah" in page or "Tidak ada warga" in page
    assert "/search?held=1" in response.headers["Location"]


def test_the_new_case_search_by_nik_leaves_no_number_in_a_url_or_a_readable_cookie(client, auth, world):
    nik = "3204011705800001"
    factories.make_person(nik=nik, name="Siti Aminah")
    db.session.commit()
    auth.login("desk.a")
    response = client.get(f"/cases/new?nik={nik}")
    assert response.status_code == 302 and nik[:6] not in response.headers["Location"]
    assert response.headers["Location"].endswith("/cases/new?held=1")
    # Flask's session cookie is only signed: what it holds is encrypted, so it cannot be read back.
    cookie = client.get_cookie("session").value
    assert nik not in _session_text(cookie)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Siti Aminah" in page  # the search still ran, on the held number
    assert not [href for href in re.findall(r'(?:href|action)="([^"]*)"', page) if nik in href]
    # "Register a new citizen" goes on with the held fields, not with the number in its link.
    response = client.get("/cases/new?nik=3204019999999999&new=1")
    assert response.headers["Location"].endswith("/cases/new?held=1&new=1")
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="3204019999999999"' in form  # the typed number reached the form


def _session_text(cookie: str) -> str:
    import base64
    import zlib

    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()


def test_the_idle_timeout_and_language_next_drop_a_query_with_a_personal_number(app, client, auth, world):
    from slrt.core.web import without_numbers

    assert without_numbers("/search?q=081234567890") == "/search"
    assert without_numbers("/cases/new?nik=3204011705800001") == "/cases/new"
    assert without_numbers("/search?q=siti&page=2") == "/search?q=siti&page=2"
    auth.login("desk.a")
    response = auth.post("/lang/en", {"next": "/cases/new?nik=3204011705800001"}, page="/")
    assert response.headers["Location"] == "/cases/new"
