"""Issue 8 (privacy): NIK/No. KK encrypted at rest and masked, audited reveal, consent records and
their withdrawal, the data-subject export, erasure requests and retention, key rotation."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from slrt.accounts.models import Role
from slrt.core import crypto
from slrt.core.audit import AuditEvent
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy import consent, retention
from slrt.privacy.models import ConsentRecord, ErasureRequest, ErasureStatus
from slrt.referrals.models import ReferralStatus
from slrt.referrals.transitions import TransitionNotAllowed, transition
from tests.factories import VILLAGE_A, make_case, make_person, make_referral
from tests.intake_factories import intake_form, post_intake
from tests.public_factories import report_form

NIK = "3204055102930007"
KK = "3204050101010001"
NEW_NIK = "3204051705800001"
NEW_KK = "3204059999990002"


def register(auth, **overrides):
    """A visitor with NIK and No. KK, through the real intake page."""
    data = intake_form(nik=NIK, nik_missing_reason="", kk_number=KK, **overrides)
    response = post_intake(auth, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalar(sa.select(m.Person).where(m.Person.nik_hash == crypto.nik_digest(NIK)))


def login_as(auth, username: str) -> None:
    """Logs out whoever is logged in, then logs `username` in."""
    if auth.client.get("/login").status_code == 302:
        auth.client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login(username)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --- at rest ------------------------------------------------------------------------------------


def _database_bytes(app) -> bytes:
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(url.database)
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    pg_dump = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"
    if not Path(pg_dump).exists():
        pytest.skip("pg_dump is not installed")
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run([pg_dump, "--data-only", dsn], check=True, capture_output=True, timeout=120).stdout


def test_seeded_nik_and_kk_are_nowhere_in_the_database_in_plaintext(app, client, auth, world, monkeypatch):
    monkeypatch.setitem(app.config, "SLRT_REPORT_MIN_SECONDS", 0)
    login_as(auth, "desk.a")
    person = register(auth)
    # A correction of both numbers through the same page (the change log keeps them masked).
    data = intake_form(
        person_id=str(person.id), nik=NEW_NIK, nik_missing_reason="", kk_number=NEW_KK,
        duplicate_reason="Kunjungan kedua", idempotency_key="key-2",
    )  # fmt: skip
    assert post_intake(auth, data).status_code == 302
    login_as(auth, "slrt.bdg")
    client.get(f"/persons/{person.id}")
    assert (
        client.post(
            f"/persons/{person.id}/reveal", data={"csrf_token": auth.csrf("/"), "reason": "Cocokkan KTP asli"}
        ).status_code
        == 302
    )
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    client.post("/lapor", data=report_form(client, name="Ani Lestari", contact="0812-3456-7890", consent="y"))
    db.session.commit()
    dump = _database_bytes(app)
    assert len(dump) > 10_000
    for number in (NIK, KK, NEW_NIK, NEW_KK):
        assert number.encode() not in dump, f"{number} stored in plaintext"
    assert crypto.mask(NEW_NIK).encode() in dump  # the masked change log is there: the search works
    db.session.expire_all()
    assert db.session.get(m.Person, person.id).nik == NEW_NIK


def test_lookup_by_nik_and_kk_goes_through_the_digest(client, auth, world):
    login_as(auth, "desk.a")
    person = register(auth)
    stored = db.session.execute(
        sa.text("SELECT nik_encrypted, nik_hash FROM persons WHERE id = :i"), {"i": person.id}
    ).one()
    assert NIK not in stored[0] and stored[1] == crypto.nik_digest(NIK)
    for q in (NIK, "3204 0551 0293 0007", KK):
        assert "Wati Suryani" in client.get(f"/search?q={q}", follow_redirects=True).get_data(as_text=True), q
    found = client.get(f"/cases/new?nik={NIK}", follow_redirects=True).get_data(as_text=True)
    assert "Wati Suryani" in found
    login_as(auth, "desk.b")
    assert "Wati Suryani" not in client.get(f"/search?q={NIK}", follow_redirects=True).get_data(as_text=True)


def test_nik_clash_outside_scope_says_nothing_about_the_other_person(client, auth, world):
    make_person(VILLAGE_A, name="Rahasia Warga", nik=NIK)
    db.session.commit()
    login_as(auth, "desk.b")
    from tests.factories import VILLAGE_B

    response = post_intake(auth, intake_form(nik=NIK, nik_missing_reason="", village_code=VILLAGE_B))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "di luar wilayah Anda" in html and "Hubungi SLRT" in html
    assert "Rahasia Warga" not in html and "Cileunyi Kulon" not in html
    login_as(auth, "desk.a")
    html = post_intake(auth, intake_form(nik=NIK, nik_missing_reason="")).get_data(as_text=True)
    assert "sudah tercatat di wilayah Anda" in html


def test_rotation_reencrypts_and_old_key_values_decrypt_until_rotated(app, runner, world):
    person = make_person(nik=NIK, household=m.Household(village_code=VILLAGE_A, kk_number=KK))
    db.session.commit()
    old_key = crypto._config_keys()[0]
    new_key = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEYS"] = f"{new_key},{old_key}"
    try:
        db.session.expire_all()
        assert db.session.get(m.Person, person.id).nik == NIK  # old-key value still opens
        token = db.session.execute(
            sa.text("SELECT nik_encrypted FROM persons WHERE id = :i"), {"i": person.id}
        ).scalar()
        assert crypto.key_id(token) == 1
        result = runner.invoke(args=["keys", "rotate", "--batch", "1"])
        assert result.exit_code == 0 and "1 NIK(s) and 1 No. KK(s)" in result.output, result.output
        token = db.session.execute(
            sa.text("SELECT nik_encrypted FROM persons WHERE id = :i"), {"i": person.id}
        ).scalar()
        assert crypto.key_id(token) == 0
        app.config["ENCRYPTION_KEYS"] = new_key  # the old key can now be dropped
        db.session.expire_all()
        assert db.session.get(m.Person, person.id).nik == NIK
        assert db.session.get(m.Person, person.id).household.kk_number == KK
        assert events("keys.rotate")
    finally:
        app.config["ENCRYPTION_KEYS"] = old_key


def test_production_refuses_missing_or_development_keys(monkeypatch):
    from config import DEV_ENCRYPTION_KEY, DEV_HASH_KEY, ProdConfig

    monkeypatch.setenv("SLRT_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("SLRT_PUBLIC_BASE_URL", "https://slrt.example.go.id")
    good = Fernet.generate_key().decode()
    refused = [
        (None, "h" * 40),
        (DEV_ENCRYPTION_KEY, "h" * 40),
        ("nonsense", "h" * 40),
        (good, DEV_HASH_KEY),
        (good, None),
    ]
    for keys, hash_key in refused:
        for name, value in (("SLRT_ENCRYPTION_KEYS", keys), ("SLRT_HASH_KEY", hash_key)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        with pytest.raises(RuntimeError):
            ProdConfig.check()
    monkeypatch.setenv("SLRT_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("SLRT_HASH_KEY", "h" * 40)
    ProdConfig.check()


# --- masking and reveal --------------------------------------------------------------------------


def test_pages_show_the_numbers_masked(client, auth, world):
    login_as(auth, "desk.a")
    person = register(auth)
    masked_nik, masked_kk = "3204********0007", "3204********0001"
    pages = [
        f"/persons/{person.id}",
        f"/households/{person.household_id}",
        f"/cases/new?person_id={person.id}",
        f"/persons/{person.id}/privacy",
        f"/cases/{consent.consents_of(person)[0].case_id}/receipt",
    ]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert NIK not in html and KK not in html, path
    # A search shows back what the officer typed, and the matches masked.
    for path in (f"/search?q={NIK}", f"/cases/new?nik={NIK}", f"/search?q={KK}"):
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert "Wati Suryani" in html and masked_nik in html, path
    assert masked_nik in client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert masked_kk in client.get(f"/households/{person.household_id}").get_data(as_text=True)


def test_reveal_needs_a_reason_is_audited_and_shows_the_number(client, auth, world):
    login_as(auth, "desk.a")
    person = register(auth)
    csrf = auth.csrf("/")
    client.post(f"/persons/{person.id}/reveal", data={"csrf_token": csrf, "reason": ""})
    assert NIK not in client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert not events("person.reveal_nik")
    client.post(
        f"/persons/{person.id}/reveal", data={"csrf_token": csrf, "reason": "Cocokkan dengan KTP asli"}
    )
    assert NIK in client.get(f"/persons/{person.id}").get_data(as_text=True)
    (event,) = events("person.reveal_nik")
    assert event.actor_id == world.users["desk_a"].id and event.object_id == str(person.id)
    assert event.detail == {"reason": "Cocokkan dengan KTP asli"} and event.ip
    client.post(
        f"/households/{person.household_id}/reveal", data={"csrf_token": csrf, "reason": "Cocokkan KK asli"}
    )
    assert KK in client.get(f"/households/{person.household_id}").get_data(as_text=True)
    assert events("household.reveal_kk_number")


def test_reveal_is_refused_to_roles_that_may_not_and_outside_the_scope(client, auth, world):
    person = world.case_a.reporter
    person.nik = NIK
    db.session.commit()
    # dukcapil has no referral of this person; dinsos has one (see the next test).
    for username, status in (("admin", 403), ("dukcapil", 404), ("desk.b", 404)):
        login_as(auth, username)
        answer = client.post(
            f"/persons/{person.id}/reveal", data={"csrf_token": auth.csrf("/"), "reason": "Ingin tahu saja"}
        )
        assert answer.status_code == status, username
    assert not events("person.reveal_nik")


def test_agency_may_reveal_only_for_a_referral_whose_service_needs_a_nik(client, auth, world):
    from slrt.referrals.access import can_reveal_identity

    person = world.case_a.reporter
    person.nik = NIK
    db.session.commit()
    dinsos = world.users["agency"]
    assert world.referral_a.service.needs_nik  # BPNT needs a NIK
    assert can_reveal_identity(dinsos, person)
    world.referral_a.service.needs_nik = False
    db.session.flush()
    assert not can_reveal_identity(dinsos, person)


# --- consent --------------------------------------------------------------------------------------


def test_intake_and_online_report_record_consent_with_the_purpose_version(
    app, client, auth, world, monkeypatch
):
    monkeypatch.setitem(app.config, "SLRT_REPORT_MIN_SECONDS", 0)
    login_as(auth, "desk.a")
    person = register(auth)
    (record,) = consent.consents_of(person)
    assert record.purpose_version == "2026-01" and record.method.value == "written"
    assert record.given_by is m.ConsentBy.SELF and record.recorded_by_id == world.users["desk_a"].id
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    client.post("/lapor", data=report_form(client, name="Ani Lestari", contact="0812-3456-7890", consent="y"))
    online = db.session.scalar(sa.select(ConsentRecord).where(ConsentRecord.method == "online"))
    assert online.purpose_version == "lapor-2026-01" and online.person.name == "Ani Lestari"


def test_withdrawn_consent_is_shown_and_no_referral_can_be_sent(client, auth, world):
    login_as(auth, "desk.a")
    person = register(auth)
    (record,) = consent.consents_of(person)
    case = record.case
    referral = make_referral(case, agency=world.agency, status=ReferralStatus.DRAFT)
    db.session.commit()
    answer = auth.post(
        f"/persons/{person.id}/consent/withdraw",
        {"consent_id": str(record.id), "method": "verbal", "note": "Tidak mau data dibagikan"},
        page=f"/persons/{person.id}/privacy",
    )
    assert answer.status_code == 302
    db.session.refresh(record)
    assert record.withdrawn_at and record.withdrawal_method.value == "verbal"
    assert record.withdrawn_recorded_by_id == world.users["desk_a"].id and events("consent.withdraw")
    assert "sudah menarik persetujuan" in client.get(f"/persons/{person.id}").get_data(as_text=True)
    with pytest.raises(TransitionNotAllowed):
        transition(referral, ReferralStatus.SENT, world.users["desk_a"])
    db.session.rollback()
    assert db.session.get(type(referral), referral.id).status is ReferralStatus.DRAFT


# --- data-subject export ------------------------------------------------------------------------


def test_subject_export_holds_cases_and_who_viewed_them_and_is_audited(client, auth, world):
    login_as(auth, "desk.a")
    person = register(auth)
    case = consent.consents_of(person)[0].case
    client.get(f"/cases/{case.id}")
    client.get(f"/persons/{person.id}")
    login_as(auth, "koor.a")
    answer = auth.post(
        f"/persons/{person.id}/export", {"format": "json"}, page=f"/persons/{person.id}/privacy"
    )
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    data = json.loads(answer.get_data(as_text=True))
    assert data["person"]["nik"] == NIK and data["household"]["kk_number"] == KK
    assert [c["tracking_code"] for c in data["cases"]] == [case.tracking_code]
    assert {n["category"] for n in data["cases"][0]["needs"]} == {"pangan", "pendidikan"}
    assert data["consents"][0]["purpose_version"] == "2026-01"
    viewers = {(e["action"], e["by"].split(" (")[1].split(",")[0]) for e in data["trail"] if e["by"]}
    assert ("case.view", "desk.a") in viewers and ("person.view", "desk.a") in viewers
    assert all(e["ip"] for e in data["trail"] if e["action"].endswith(".view"))
    pdf = auth.post(f"/persons/{person.id}/export", {"format": "pdf"}, page=f"/persons/{person.id}/privacy")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert len(events("person.subject_export")) == 2
    login_as(auth, "desk.a")  # desk officers cannot export; another village's coordinator gets 404
    assert auth.post(f"/persons/{person.id}/export", {"format": "json"}, page="/").status_code == 403


# --- erasure and retention ------------------------------------------------------------------------


def _close(case: m.Case, when: datetime) -> None:
    case.status, case.closed_at = m.CaseStatus.CLOSED, when


def test_retention_anonymises_old_closed_cases_keeps_statistics_and_is_idempotent(app, runner, world):
    old = make_case(
        need="pangan", summary="Beras habis", reporter=make_person(nik=NIK, phone="+6281200000000")
    )
    old.reporter.household.kk_number = KK
    _close(old, datetime.now(UTC) - timedelta(days=6 * 365))
    recent = make_case(need="pendidikan")
    _close(recent, datetime.now(UTC) - timedelta(days=365))
    db.session.commit()

    def counts() -> tuple[int, int]:
        return (
            db.session.scalar(sa.select(sa.func.count(m.Case.id))),
            db.session.scalar(sa.select(sa.func.count(m.Need.id))),
        )

    before = counts()
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0 and "Anonymised 1 case(s), 1 person(s), 1 household(s)" in result.output
    db.session.expire_all()
    person = db.session.get(m.Person, old.reporter_id)
    assert person.name == retention.ANONYMOUS_NAME and person.nik is None and person.phone is None
    assert person.household.kk_number is None and person.anonymised_at
    case = db.session.get(m.Case, old.id)
    assert case.summary is None and case.needs[0].category_code == "pangan" and case.village_code == VILLAGE_A
    assert db.session.get(m.Case, recent.id).anonymised_at is None
    assert counts() == before
    again = runner.invoke(args=["retention", "run"])
    assert "Anonymised 0 case(s), 0 person(s)" in again.output
    assert events("case.anonymise") and events("person.anonymise")


def test_erasure_request_is_approved_by_slrt_only_after_open_cases_close(client, auth, runner, world):
    person = world.case_a.reporter
    login_as(auth, "desk.a")
    page = f"/persons/{person.id}/privacy"
    assert (
        auth.post(f"/persons/{person.id}/erasure", {"reason": "Pindah ke luar negeri"}, page=page).status_code
        == 302
    )
    request = db.session.scalar(sa.select(ErasureRequest))
    assert request.status is ErasureStatus.PENDING and request.requested_by_id == world.users["desk_a"].id
    assert (
        auth.post(f"/persons/{person.id}/erasure/decide", {"decision": "approve"}, page=page).status_code
        == 403
    )
    login_as(auth, "slrt.bdg")
    refused = auth.post(f"/persons/{person.id}/erasure/decide", {"decision": "approve"}, page=page)
    assert refused.status_code == 422 and "masih punya kasus terbuka" in refused.get_data(as_text=True)
    _close(world.case_a, datetime.now(UTC))
    db.session.commit()
    assert (
        auth.post(f"/persons/{person.id}/erasure/decide", {"decision": "approve"}, page=page).status_code
        == 302
    )
    db.session.refresh(request)
    assert request.status is ErasureStatus.APPROVED and request.decided_by_id == world.users["slrt"].id
    result = runner.invoke(args=["retention", "run"])
    assert "1 erasure request(s) done" in result.output, result.output
    db.session.expire_all()
    assert db.session.get(m.Person, person.id).name == retention.ANONYMOUS_NAME
    assert db.session.get(ErasureRequest, request.id).status is ErasureStatus.DONE
    assert db.session.get(m.Case, world.case_a.id).needs  # the statistics keep the case and its needs


def test_a_person_shared_by_an_open_case_is_not_anonymised(runner, world):
    person = make_person(nik=NIK)
    old = make_case(reporter=person)
    _close(old, datetime.now(UTC) - timedelta(days=6 * 365))
    make_case(reporter=person)  # still open
    db.session.commit()
    result = runner.invoke(args=["retention", "run"])
    assert "Kept 1 person(s)" in result.output
    db.session.expire_all()
    assert db.session.get(m.Person, person.id).nik == NIK


def test_export_roles_are_coordinator_and_slrt():
    from slrt.core.permissions import Permission, roles_with

    assert set(roles_with(Permission.EXPORT_SUBJECT_DATA)) == {Role.COORDINATOR, Role.SLRT}


def test_the_masked_number_posted_back_unchanged_keeps_the_stored_one(client, auth, world):
    login_as(auth, "desk.a")
    person = register(auth)
    form = client.get(f"/cases/new?person_id={person.id}").get_data(as_text=True)
    assert 'value="3204********0007"' in form and 'value="3204********0001"' in form
    data = intake_form(
        person_id=str(person.id),
        nik="3204********0007",
        nik_missing_reason="",
        kk_number="3204********0001",
        duplicate_reason="Kunjungan kedua",
        idempotency_key="key-2",
    )
    assert post_intake(auth, data).status_code == 302
    db.session.expire_all()
    person = db.session.get(m.Person, person.id)
    assert person.nik == NIK and person.household.kk_number == KK
    fields = set(db.session.scalars(sa.select(m.RecordChange.field)))
    assert not fields & {"nik", "kk_number"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_referral_letter_and_receipt_carry_the_numbers_masked(app, world, tmp_path):
    from slrt.intake.receipt import receipt_pdf
    from slrt.referrals.letter import render_letter

    person = world.case_a.reporter
    person.nik = NIK
    person.household.kk_number = KK
    world.referral_a.letter_number = "PKS-A/001/2026"
    db.session.commit()
    with app.test_request_context():
        for name, pdf in (
            ("letter", render_letter(world.referral_a, False)),
            ("receipt", receipt_pdf(world.case_a)),
        ):
            path = tmp_path / f"{name}.pdf"
            path.write_bytes(pdf)
            text = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert NIK not in text and KK not in text, name
            if name == "letter":
                assert "3204********0007" in text and "3204********0001" in text
