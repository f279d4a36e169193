"""XLSX files as Excel users expect them (issue 20 item 14), opened with openpyxl."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl

from slrt.core import tracking
from slrt.core.workdays import JAKARTA
from slrt.extensions import db
from slrt.intake import models as m
from tests import factories


def _book(response):
    assert response.status_code == 200, response.status_code
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def _header(sheet) -> list[str]:
    return [c.value for c in next(sheet.iter_rows(max_row=1))]


def _filename(response) -> str:
    return response.headers["Content-Disposition"].split('filename="')[1].rstrip('"')


def test_case_list_cells_are_typed_sized_frozen_and_named_in_indonesian(client, auth, world):
    person = factories.make_person(factories.VILLAGE_A, name="Ani Lestari")
    person.phone = "+6281234567890"
    case = factories.make_case(factories.VILLAGE_A, world.office_a, reporter=person)
    db.session.commit()
    auth.login("desk.a")
    response = client.get("/reports/records.xlsx", query_string={"subject": "case"})
    assert _filename(response).startswith("data-kasus-") and _filename(response).endswith(".xlsx")
    sheet = _book(response).active
    header = _header(sheet)
    assert header[:4] == ["Kode pelacakan", "Dibuat", "Kode desa", "Desa/kelurahan"]
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width == 17 and sheet.column_dimensions["D"].width == 24
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == tracking.display(case.tracking_code))
    created = row[1]
    assert isinstance(created.value, datetime) and created.number_format == "dd/mm/yyyy hh:mm"
    local = case.created_at.astimezone(JAKARTA).replace(tzinfo=None, microsecond=0)
    assert abs((created.value - local).total_seconds()) < 1
    assert row[2].value == factories.VILLAGE_A and row[3].value == "Cileunyi Kulon"
    phone = row[header.index("Telepon")]
    assert phone.value == "+6281234567890" and phone.data_type == "s"
    assert all(not str(c.value or "").startswith("'") for r in sheet.iter_rows() for c in r)


def test_the_records_page_shows_the_date_day_first_and_no_village_lookup_column(client, auth, world):
    auth.login("desk.a")
    page = client.get("/reports/records", query_string={"subject": "case"}).get_data(as_text=True)
    assert "Desa/kelurahan" not in page
    day = world.case_a.created_at.astimezone(JAKARTA)
    assert f"{day.day} " in page and str(day.year) in page


def test_list_files_have_indonesian_names(client, auth, world):
    auth.login("slrt.bdg")
    assert _filename(client.get("/reports/export/cases.xlsx")).startswith("kasus-terbuka-")
    assert _filename(client.get("/reports/export/overdue.csv")).startswith("rujukan-terlambat-")
    assert _filename(client.get("/reports/records.csv")).startswith("data-rujukan-")
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("dinsos")
    assert _filename(client.get("/reports/export/inbox.xlsx")).startswith("kotak-masuk-rujukan-")


def test_monthly_report_opens_on_a_recap_with_regions_as_rows_and_indicators_as_columns(client, auth, world):
    auth.login("slrt.bdg")
    book = _book(client.get("/reports/monthly.xlsx"))
    assert book.sheetnames == ["Rekap bulanan", "Laporan bulanan"]
    recap = book["Rekap bulanan"]
    assert _header(recap) == [
        "Bulan",
        "Kode wilayah",
        "Wilayah",
        "Kasus",
        "Rujukan",
        "Rujukan terlambat",
        "Median hari kerja sampai diterima",
        "Median hari kerja sampai selesai",
    ]
    assert recap.freeze_panes == "A2"
    rows = [[c.value for c in r] for r in recap.iter_rows(min_row=2)]
    total = next(r for r in rows if r[1] == "32.04")
    assert total[3] == sum(r[3] for r in rows if r[1] != "32.04") == 2
    assert isinstance(total[0], datetime) and recap.cell(2, 1).number_format == "mm/yyyy"
    long_table = book["Laporan bulanan"]
    indicators = {r[3].value for r in long_table.iter_rows(min_row=2)}
    assert "Median hari kerja sampai selesai" in indicators
    assert not any("Rata-rata" in str(v) for v in indicators)


def test_the_monthly_median_is_the_dashboards_median(client, auth, world):
    from collections import Counter

    from slrt.reports.rollup import Figures
    from slrt.reports.views import _median

    # Three referrals accepted after 1 working day, one after 10: mean 3.25, median 1.
    figures = Figures(Counter({("referral", "accept_days", "1"): 3, ("referral", "accept_days", "10"): 1}))
    assert _median(figures, "accept_days") == 1 == figures.median_days("accept_days")


def test_contact_details_of_a_violence_report_stay_out_of_exports_but_for_the_agency(client, auth, world):
    person = factories.make_person(factories.VILLAGE_A, name="Rina Korban")
    person.phone = "081200000001"
    case = factories.make_case(factories.VILLAGE_A, world.office_a, need="kekerasan", reporter=person)
    need = db.session.scalar(db.select(m.Need).where(m.Need.case_id == case.id))
    referral = factories.make_referral(case, agency=world.agency)
    referral.need = need
    db.session.commit()
    auth.login("slrt.bdg")
    for path in ("/reports/records.csv?subject=case", "/reports/records.csv", "/reports/export/cases.csv"):
        body = client.get(path).get_data(as_text=True)
        assert tracking.display(case.tracking_code) in body, path
        assert "Rina Korban" not in body and "081200000001" not in body, path
    # On the page the SLRT officer handling the case still sees whom it concerns.
    assert "Rina Korban" in client.get("/reports/records?subject=case").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("dinsos")
    inbox = client.get("/reports/export/inbox.csv").get_data(as_text=True)
    assert "Rina Korban" in inbox and "081200000001" in inbox
