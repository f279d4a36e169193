"""The receipt reprinted after routing, and the desk's daily register (PDF and XLSX)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import openpyxl

from slrt.extensions import db
from slrt.referrals.models import ReferralStatus as S
from tests import factories
from tests.letter_factories import pdf_text
from tests.referral_factories import referral_in

# 01.15 UTC on 2 December is 08.15 WIB: the first visitor of the morning.
MORNING = datetime(2026, 12, 2, 1, 15, tzinfo=UTC)


def test_the_receipt_reprinted_after_routing_lists_the_referrals_and_the_officer(client, auth, world):
    world.case_a.created_by = world.users["desk_a"]
    world.users["desk_a"].name = "Rina Marlina"
    world.case_a.created_at = MORNING
    referral_in(world, S.SENT, service="PKH")
    referral_in(world, S.DRAFT, service="PBI-JK")  # not made yet: not on the receipt
    db.session.commit()
    auth.login("desk.a")
    for size in ("a4", "80mm"):
        text = pdf_text(client.get(f"/cases/{world.case_a.id}/receipt.pdf?size={size}").data)
        assert "Diterima: 2 Desember 2026 08.15 WIB" in text
        assert "Petugas: Rina Marlina" in text
        assert "Rujukan yang sudah dibuat" in text
        assert "Program Keluarga Harapan" in text and "ke Lembaga DINSOS-3204" in text
        assert "Penerima Bantuan Iuran" not in text
    html = client.get(f"/cases/{world.case_a.id}/receipt").get_data(as_text=True)
    assert "Rina Marlina" in html and "Rujukan yang sudah dibuat" in html


def test_a_receipt_before_routing_has_no_referral_list(client, auth, world):
    case = factories.make_case(office=world.office_a)
    db.session.commit()
    auth.login("desk.a")
    text = pdf_text(client.get(f"/cases/{case.id}/receipt.pdf").data)
    assert "Rujukan yang sudah dibuat" not in text


def test_a_bali_receipt_is_timed_in_wita(client, auth, world):
    office = factories.make_office("PKS-BALI", "51.71.01.2007")
    factories.make_user("desk.bali", "desk", office_code="PKS-BALI")
    case = factories.make_case("51.71.01.2007", office, reporter=factories.make_person("51.71.01.2007"))
    case.created_at = MORNING
    db.session.commit()
    auth.login("desk.bali")
    assert "Diterima: 2 Desember 2026 09.15 WITA" in pdf_text(
        client.get(f"/cases/{case.id}/receipt.pdf").data
    )


def _day_of_visitors(world) -> None:
    household = world.case_a.reporter.household
    household.street, household.rt, household.rw = "Kp. Babakan No. 4", "002", "005"
    world.case_a.created_at = MORNING  # with world.referral_a, sent to DINSOS-3204
    answered = factories.make_case(
        office=world.office_a, need="informasi", reporter=factories.make_person(name="Ujang Supriatna")
    )
    answered.created_at = datetime(2026, 12, 2, 3, 40, tzinfo=UTC)
    answered.answer = "Jadwal penyaluran BPNT dijelaskan"
    late = factories.make_case(office=world.office_a, reporter=factories.make_person(name="Esih"))
    late.created_at = datetime(2026, 12, 2, 17, 5, tzinfo=UTC)  # 00.05 WIB on 3 December: not today
    other = factories.make_case(office=world.office_b, reporter=factories.make_person(name="Dari desa lain"))
    other.created_at = MORNING
    db.session.commit()


def test_the_register_lists_the_desks_visitors_of_the_local_day(client, auth, world):
    _day_of_visitors(world)
    auth.login("desk.a")
    assert 'href="/reports/register"' in client.get("/").get_data(as_text=True)  # from the desk home
    html = client.get("/reports/register?day=2026-12-02").get_data(as_text=True)
    assert "Siti Aminah" in html and "Ujang Supriatna" in html
    assert "Esih" not in html and "Dari desa lain" not in html
    text = pdf_text(client.get("/reports/register.pdf?day=2026-12-02").data)
    assert "BUKU REGISTER HARIAN PENGUNJUNG" in text
    assert "Hari/tanggal: Rabu, 2 Desember 2026 · Waktu: WIB" in text
    # A row's main line; long cells wrap onto the lines around it.
    assert "1 08.15 Siti Aminah Kebutuhan pangan Dirujuk (1 layanan) BPNT – Lembaga DINSOS-3204" in text
    assert "Kp. Babakan No. 4, RT 002/RW 005," in text
    assert "2 10.40 Ujang Supriatna Cileunyi Kulon Informasi / pertanyaan –" in text
    assert "Dijawab di desk: Jadwal" in text and "penyaluran BPNT dijelaskan" in text
    assert "Jumlah pengunjung: 2 orang" in text and "Desk.A" in text  # signed by the officer
    later = client.get("/reports/register?day=2026-12-03").get_data(as_text=True)
    assert "Esih" in later and "Siti Aminah" not in later


def test_the_register_as_xlsx_has_the_same_rows(client, auth, world):
    _day_of_visitors(world)
    auth.login("desk.a")
    response = client.get("/reports/register.xlsx?day=2026-12-02")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("No.", "Jam", "Nama", "Alamat", "Kebutuhan", "Tindakan", "Dirujuk ke")
    assert rows[1][:3] == (1, "08.15", "Siti Aminah") and rows[1][6] == "BPNT – Lembaga DINSOS-3204"
    assert rows[2][2] == "Ujang Supriatna" and len(rows) == 3


def test_the_register_refuses_a_bad_day_and_a_user_without_office(client, auth, world):
    auth.login("desk.a")
    assert client.get("/reports/register?day=2-12-2026").status_code == 400
    assert client.get("/reports/register.csv").status_code == 404
    assert client.get(f"/reports/register?day={date(2026, 12, 2)}").status_code == 200
