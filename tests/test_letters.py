"""Referral letters to tata naskah dinas, read back from the PDF with pdftotext; the date on the
office's own clock; the public verification page of a letter."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.letter import render_letter
from slrt.referrals.models import IssuedLetter, Referral
from slrt.referrals.models import ReferralStatus as S
from tests import factories
from tests.letter_factories import dress_village_office, pdf_images, pdf_text, scan, send_at
from tests.referral_factories import referral_in

# 23.30 UTC on 1 December is 06.30 on 2 December in Bandung (WIB).
LATE_EVENING_UTC = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


@pytest.fixture()
def dressed(world):
    dress_village_office(world)
    world.office_a.requires_approval = True
    db.session.commit()
    return world


def _sent_letter(client, auth, world, monkeypatch, service: str = "BPNT", case=None) -> tuple[Referral, str]:
    referral = referral_in(world, S.AWAITING_APPROVAL, case=case, service=service)
    referral.reason = "desil 1-4 di DTSEN; belum menerima BPNT"
    db.session.commit()
    send_at(referral, world.users["coordinator_a"], LATE_EVENING_UTC, monkeypatch)
    auth.login("koor.a")
    response = client.get(f"/referrals/{referral.id}/letter.pdf")
    assert response.status_code == 200
    return db.session.get(Referral, referral.id), response.data


def test_the_village_letter_carries_every_part_of_an_official_letter(client, auth, dressed, monkeypatch):
    scan(dressed.case_a, m.AttachmentKind.KTP)
    referral, pdf = _sent_letter(client, auth, dressed, monkeypatch)
    text = pdf_text(pdf)
    # Letterhead from the region hierarchy, with the office's contacts and its logo.
    assert "PEMERINTAH KABUPATEN BANDUNG KECAMATAN CILEUNYI DESA CILEUNYI KULON" in text
    assert "Jl. Raya Cileunyi No. 12" in text
    assert "Telepon 022-7798123" in text and "puskesos.cileunyikulon@bandungkab.go.id" in text
    assert pdf_images(pdf) == 2  # the logo and the QR code
    # Place and date (next day in WIB), Nomor, Sifat, Lampiran, Hal.
    assert "Cileunyi Kulon, 2 Desember 2026" in text
    assert f"Nomor : {referral.letter_number}" in text
    assert "Sifat : Biasa" in text
    assert "Lampiran : 1 (satu) berkas" in text
    assert "Hal : Rujukan layanan BPNT a.n. Siti Aminah" in text
    assert "Yth. Pimpinan Lembaga DINSOS-3204" in text
    # The need and the reasons of this referral, in sentences; documents held and missing.
    assert "Kebutuhan warga yang dirujuk: Kebutuhan pangan. Butuh bantuan." in text
    assert "Warga dirujuk ke layanan ini karena: Desil 1-4 di DTSEN. Belum menerima BPNT." in text
    assert "Dokumen yang sudah ada: KTP." in text
    assert "Dokumen yang belum ada: KK." in text
    # The approver signs on behalf of the village head; village staff have no NIP.
    assert "a.n. Kepala Desa Cileunyi Kulon Sekretaris Desa" in text
    assert "Dede Kurniawan" in text and "NIP" not in text
    assert "Tembusan: 1. Kepala Dinas Sosial Kabupaten Bandung 2. Camat Cileunyi 3. Arsip" in text
    assert "(kode verifikasi " in text


def test_a_letter_without_any_document_says_which_are_missing(client, auth, dressed, monkeypatch):
    _referral, pdf = _sent_letter(client, auth, dressed, monkeypatch)
    text = pdf_text(pdf)
    assert "Dokumen yang belum ada: KTP, KK." in text
    assert "Dokumen yang sudah ada" not in text and "Lampiran : –" in text


def test_the_secretariat_letter_is_headed_dinas_sosial_and_signed_with_nip(world, monkeypatch):
    dress_village_office(world)
    case = factories.make_case(factories.VILLAGE_A, world.slrt_office)
    referral = referral_in(world, S.DRAFT, case=case)
    referral.office = world.slrt_office
    db.session.commit()
    send_at(referral, world.users["slrt"], LATE_EVENING_UTC, monkeypatch)
    text = pdf_text(render_letter(referral, hide_reporter=False, code="S2S4B3C7DNPB"))
    assert "PEMERINTAH KABUPATEN BANDUNG DINAS SOSIAL" in text and "KECAMATAN" not in text
    assert "Bandung, 2 Desember 2026" in text
    # The head signs in person: no "a.n.", and the NIP of a civil servant.
    assert "a.n. Kepala" not in text
    assert "Kepala Dinas Sosial Drs. Asep Mulyana NIP 197203151998031004" in text


def test_a_city_is_headed_kota(world):
    referral = factories.make_referral(world.case_other, agency=world.agency)
    referral.letter_number, referral.sent_at = "001/PKS-X/XII/2026", LATE_EVENING_UTC
    db.session.commit()
    text = pdf_text(render_letter(referral, hide_reporter=False))
    assert "PEMERINTAH KOTA BANDUNG" in text and "KABUPATEN" not in text


@pytest.mark.parametrize(
    "moment,bandung,bali",
    [
        # 16.30 UTC: 23.30 in Bandung (WIB), already 00.30 the next day in Denpasar (WITA).
        (datetime(2026, 12, 1, 16, 30, tzinfo=UTC), "1 Desember 2026", "2 Desember 2026"),
        (LATE_EVENING_UTC, "2 Desember 2026", "2 Desember 2026"),
    ],
)
def test_the_letter_is_dated_on_the_offices_own_clock(world, moment, bandung, bali):
    bali_office = factories.make_office("PKS-BALI", "51.71.01.2007")
    case = factories.make_case("51.71.01.2007", bali_office, reporter=factories.make_person("51.71.01.2007"))
    dates = {}
    for key, referral in (
        ("bali", factories.make_referral(case, agency=world.agency)),
        ("bandung", world.referral_a),
    ):
        referral.letter_number, referral.sent_at = f"001/{key}/XII/2026", moment
        db.session.flush()
        dates[key] = pdf_text(render_letter(referral, hide_reporter=False))
    assert f"Cileunyi Kulon, {bandung}" in dates["bandung"]
    assert f"Sidakarya, {bali}" in dates["bali"]
    assert "PEMERINTAH KOTA DENPASAR KECAMATAN DENPASAR SELATAN DESA SIDAKARYA" in dates["bali"]


def test_violence_letters_are_confidential_and_fast_track_ones_urgent(world):
    violence = factories.make_case(need="kekerasan", reporter=factories.make_person(name="Ani"))
    referral = factories.make_referral(violence, "UPTD-PPA", agency=world.agency)
    referral.letter_number, referral.sent_at, referral.urgent = "002/PKS-A/XII/2026", LATE_EVENING_UTC, True
    world.referral_a.letter_number, world.referral_a.sent_at = "003/PKS-A/XII/2026", LATE_EVENING_UTC
    world.referral_a.urgent = True
    db.session.flush()
    assert "Sifat : Rahasia" in pdf_text(render_letter(referral, hide_reporter=False))
    assert "Sifat : Segera" in pdf_text(render_letter(world.referral_a, hide_reporter=False))


def test_the_adminduk_letter_names_its_own_need_not_the_need_it_unlocks(world):
    bpnt = world.referral_a
    admin = factories.make_referral(world.case_a, "ADMINDUK", agency=world.other_agency)
    admin.prerequisite_of_id = bpnt.id
    admin.reason = "Belum punya NIK"
    admin.letter_number, admin.sent_at = "004/PKS-A/XII/2026", LATE_EVENING_UTC
    db.session.flush()
    text = pdf_text(render_letter(admin, hide_reporter=False))
    assert "Kebutuhan pangan" not in text and "Butuh bantuan" not in text
    assert "Kebutuhan warga yang dirujuk: Tidak punya NIK, KK, akta kelahiran." in text
    assert (
        "diperlukan lebih dulu agar rujukan layanan Bantuan Pangan Non Tunai (Sembako) dapat diproses" in text
    )
    assert "Hal : Rujukan layanan ADMINDUK a.n. Siti Aminah" in text
    assert "Dokumen yang belum ada: Surat keterangan desa." in text


# -- verification -----------------------------------------------------------------------------


def test_the_letter_is_kept_as_first_printed_and_verified_by_its_digest(
    app, client, auth, dressed, monkeypatch
):
    referral, pdf = _sent_letter(client, auth, dressed, monkeypatch)
    again = client.get(f"/referrals/{referral.id}/letter.pdf").data
    assert again == pdf  # the kept copy, not a new drawing
    letter = db.session.scalar(sa.select(IssuedLetter).where(IssuedLetter.referral_id == referral.id))
    assert letter.sha256 == hashlib.sha256(pdf).hexdigest()
    page = app.test_client().get(f"/verifikasi/{letter.code}")  # anyone, signed in or not
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for shown in (
        referral.letter_number,
        "2 Desember 2026",
        "Puskesos Cileunyi Kulon",
        "Bantuan Pangan Non Tunai (Sembako)",
        "Lembaga DINSOS-3204",
        "Terkirim ke lembaga",
        letter.sha256,
        "Asli dan berlaku",
    ):
        assert shown in html, shown
    assert "Siti Aminah" not in html
    assert letter.code[:4] in pdf_text(pdf)  # the letter prints its code beside the QR


def test_a_mistyped_or_unknown_verification_code_is_refused(client, world):
    from tests.public_factories import unknown_code, wrong_check

    code = unknown_code()
    mistyped = client.get(f"/verifikasi/{wrong_check(code)}")
    assert mistyped.status_code == 400
    assert "Kode verifikasi tidak valid" in mistyped.get_data(as_text=True)
    unknown = client.get(f"/verifikasi/{code}")
    assert unknown.status_code == 404
    assert "tidak terdaftar" in unknown.get_data(as_text=True)
    assert client.get("/verifikasi").status_code == 200


def test_a_reader_without_personal_data_gets_a_redacted_copy(client, auth, dressed, monkeypatch):
    referral, pdf = _sent_letter(client, auth, dressed, monkeypatch)
    dressed.case_a.anonymous = True
    db.session.commit()
    text = pdf_text(client.get(f"/referrals/{referral.id}/letter.pdf").data)
    assert "Siti Aminah" not in text and "a.n. warga (dirahasiakan)" in text
    assert "Siti Aminah" in pdf_text(pdf)


def test_letter_lookups_share_the_status_pages_budget(app, client, world, monkeypatch):
    from tests.public_factories import unknown_code

    monkeypatch.setitem(app.config, "SLRT_STATUS_RATE_LIMIT", "3/minute")
    code = unknown_code()
    client.get(f"/status?code={code}")
    assert [client.get(f"/verifikasi/{code}").status_code for _ in range(2)] == [404, 404]
    limited = client.get(f"/verifikasi/{code}")
    assert limited.status_code == 429 and "Mohon tunggu sebentar" in limited.get_data(as_text=True)
    assert client.get(f"/verifikasi?code={code}").status_code == 429  # the typed form too
    assert client.get("/verifikasi").status_code == 200  # the empty form is no lookup


# -- the office's letterhead page -----------------------------------------------------------


def _office_form(office, **changes) -> dict:
    data = {"name": office.name, "address": "Jl. Desa 1", "phone": "022-1", "email": "desa@example.go.id"}
    data.update({"head_title": "Kepala Desa Cileunyi Kulon", "tembusan": "Camat Cileunyi\n\nArsip"})
    data.update(changes)
    return data


def test_an_administrator_sets_the_letterhead_and_uploads_the_logo(client, auth, world):
    import io

    from tests.letter_factories import logo_png

    auth.login("admin.jabar")
    office = world.office_a
    page = f"/directory/offices/{office.id}"
    assert "Kantor PKS-A" in client.get("/directory/offices").get_data(as_text=True)
    data = _office_form(office, logo=(io.BytesIO(logo_png()), "logo.png"))
    saved = auth.post(page, data, content_type="multipart/form-data")
    assert saved.status_code == 302
    db.session.expire_all()
    assert office.logo == logo_png() and office.logo_type == "image/png"
    assert office.tembusan == "Camat Cileunyi\nArsip" and office.head_title == "Kepala Desa Cileunyi Kulon"
    assert client.get(f"/directory/offices/{office.id}/logo").data == logo_png()
    # The change is in the office's history, the image by its digest only.
    assert "Jabatan pimpinan" in client.get(page).get_data(as_text=True)
    world.referral_a.letter_number, world.referral_a.sent_at = "009/PKS-A/XII/2026", LATE_EVENING_UTC
    db.session.commit()
    pdf = render_letter(world.referral_a, hide_reporter=False)
    assert pdf_images(pdf) == 1 and "desa@example.go.id" in pdf_text(pdf)


@pytest.mark.parametrize(
    "content",
    [b"GIF89a not a logo", b"\x89PNG\r\n\x1a\n but broken", b"<svg xmlns='http://www.w3.org/2000/svg'/>"],
)
def test_a_logo_that_is_not_a_readable_png_or_jpeg_is_refused(client, auth, world, content):
    import io

    auth.login("admin.jabar")
    office = world.office_a
    data = _office_form(office, logo=(io.BytesIO(content), "logo.png"))
    refused = auth.post(f"/directory/offices/{office.id}", data, content_type="multipart/form-data")
    assert refused.status_code == 200
    assert "Logo harus berkas PNG atau JPEG" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert office.logo is None


def test_an_office_outside_the_administrators_region_is_not_found(client, auth, world):
    auth.login("admin.jatim")
    assert client.get(f"/directory/offices/{world.office_a.id}").status_code == 404
    assert "PKS-A" not in client.get("/directory/offices").get_data(as_text=True)


def test_the_signers_position_and_nip_are_set_on_the_user(world):
    from slrt.accounts.services import ValidationFailed, save_user

    user = world.users["slrt"]
    common = {"username": user.username, "name": user.name, "role": "slrt", "office_code": "SLRT-3204"}
    save_user(
        user, **common, region_code="32.04", position="Kepala Dinas Sosial", nip="19720315 199803 1 004"
    )
    assert (user.position, user.nip) == ("Kepala Dinas Sosial", "197203151998031004")
    save_user(user, **common, region_code="32.04")  # not given: kept
    assert user.nip == "197203151998031004"
    with pytest.raises(ValidationFailed) as failed:
        save_user(user, **common, region_code="32.04", nip="12345")
    assert "nip" in failed.value.errors
