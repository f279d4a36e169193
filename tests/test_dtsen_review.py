"""DTSEN import conflicts and proposals out (issue 18 items 5 and 6): a row fitting several
persons, or whose NIK another person holds, waits in the review queue with both sides and is
applied exactly once; the proposals list has documented columns and is audited."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from slrt.core.audit import AuditEvent
from slrt.directory.catalog import load_catalog
from slrt.dtsen.models import ConflictKind, ConflictStatus, DtsenConflict
from slrt.extensions import db
from slrt.intake import models as m
from slrt.reports.dtsen_proposals import HEADER
from tests.dtsen_factories import nik_for, row, write_csv
from tests.factories import VILLAGE_A, make_case, make_person

KK = "3204050101200001"
BORN = date(1980, 5, 17)


@pytest.fixture(autouse=True)
def catalogue(app):
    load_catalog()
    db.session.commit()


def run_import(runner, path):
    return runner.invoke(args=["dtsen", "import", str(path), "--no-progress"])


def audits(action):
    return db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == action))


def test_a_row_fitting_two_persons_waits_with_both_sides_and_is_applied_exactly_once(
    runner, tmp_path, world, auth
):
    first = make_person(name="Ujang Sutisna", birth_date=BORN, sex=m.Sex.MALE)
    second = make_person(name="Oedjang Soetisna", birth_date=BORN, sex=m.Sex.MALE)
    first.household.rt, second.household.rt = "001", "007"
    db.session.commit()
    nik = nik_for(BORN, "L", 11)
    path = write_csv(tmp_path / "dtsen.csv", [row(11, KK, name="Ujang Sutisna", desil=2)])

    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "Menunggu keputusan koordinator: 1 baris" in result.output
    conflict = db.session.scalar(sa.select(DtsenConflict))
    assert conflict.kind is ConflictKind.SEVERAL and conflict.candidate_ids == [first.id, second.id]
    assert conflict.nik == nik and conflict.desil == 2
    assert db.session.scalar(sa.select(sa.func.count()).where(m.Person.name == "Ujang Sutisna")) == 1
    assert db.session.scalar(sa.select(m.Person.id).where(m.Person.nik_hash.is_not(None))) is None

    # Importing the same file again queues nothing more.
    run_import(runner, path)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DtsenConflict)) == 1

    auth.login("koor.a")
    page = auth.client.get(f"/dtsen/conflicts/{conflict.id}").get_data(as_text=True)
    assert "Baris DTSEN: Ujang Sutisna" in page
    assert "Ujang Sutisna" in page and "Oedjang Soetisna" in page
    assert "RT 001" in page and "RT 007" in page
    assert page.count("Terapkan pada warga ini") == 2
    assert nik not in page  # masked

    url = f"/dtsen/conflicts/{conflict.id}/apply"
    response = auth.post(url, {"person_id": str(first.id)}, page=f"/dtsen/conflicts/{conflict.id}")
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(m.Person, first.id)
    assert person.nik == nik and person.household.kk_number == KK and person.household.desil == 2
    assert db.session.get(DtsenConflict, conflict.id).status is ConflictStatus.APPLIED
    changes = db.session.scalar(sa.select(sa.func.count()).select_from(m.RecordChange))

    again = auth.post(url, {"person_id": str(second.id)}, page="/dtsen/conflicts")
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Person, second.id).nik is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.RecordChange)) == changes
    assert audits("dtsen.conflict.apply") == 1
    assert auth.client.get("/dtsen/conflicts").get_data(as_text=True).count("/dtsen/conflicts/") == 0


def test_a_nik_held_by_another_person_is_not_overwritten_and_can_be_dismissed_with_a_reason(
    runner, tmp_path, world, auth
):
    nik = nik_for(BORN, "L", 12)
    holder = make_person(nik=nik, name="Asep Kurnia", birth_date=date(1961, 1, 2), sex=m.Sex.MALE)
    db.session.commit()
    path = write_csv(tmp_path / "dtsen.csv", [row(12, KK, name="Dedi Mulyadi")])
    assert run_import(runner, path).exit_code == 0
    db.session.expire_all()
    assert db.session.get(m.Person, holder.id).name == "Asep Kurnia"
    conflict = db.session.scalar(sa.select(DtsenConflict))
    assert conflict.kind is ConflictKind.NIK_HELD and conflict.candidate_ids == [holder.id]

    auth.login("koor.a")
    detail = f"/dtsen/conflicts/{conflict.id}"
    assert auth.post(f"{detail}/dismiss", {"reason": " "}, page=detail).status_code == 302
    assert db.session.get(DtsenConflict, conflict.id).status is ConflictStatus.OPEN
    auth.post(f"{detail}/dismiss", {"reason": "NIK salah ketik di DTSEN"}, page=detail)
    db.session.expire_all()
    done = db.session.get(DtsenConflict, conflict.id)
    assert done.status is ConflictStatus.DISMISSED and done.dismiss_reason == "NIK salah ketik di DTSEN"
    assert audits("dtsen.conflict.dismiss") == 1
    assert db.session.get(m.Person, holder.id).name == "Asep Kurnia"


def test_a_desk_officer_may_not_decide_a_conflict(world, auth):
    conflict = DtsenConflict(
        kind=ConflictKind.NIK_HELD,
        line=2,
        nik=nik_for(BORN, "L", 13),
        kk_number=KK,
        name="Warga",
        birth_date=BORN,
        sex=m.Sex.MALE,
        village_code=VILLAGE_A,
        desil=3,
        programmes=[],
        candidate_ids=[world.case_a.reporter_id],
    )
    db.session.add(conflict)
    db.session.commit()
    auth.login("desk.a")
    response = auth.post(f"/dtsen/conflicts/{conflict.id}/dismiss", {"reason": "x"}, page="/")
    assert response.status_code == 403


def _proposal(world):
    nik = nik_for(BORN, "P", 21)
    person = make_person(nik=nik, name="Enok Sumarni", birth_date=BORN)
    household = person.household
    household.kk_number, household.rt, household.rw, household.street = KK, "002", "005", "Kp. Babakan"
    household.in_dtsen = False
    db.session.add(
        m.DtsenCheck(
            household_id=household.id,
            in_dtsen=False,
            checked_on=date(2026, 11, 20),
            source=m.DtsenSource.HOME_VISIT,
        )
    )
    case = make_case(VILLAGE_A, world.office_a, need="dtsen.daftar", reporter=person)
    db.session.commit()
    return nik, case


def test_the_proposals_list_has_the_documented_header_and_one_row_per_proposal(runner, world):
    nik, case = _proposal(world)
    make_case(VILLAGE_A, world.office_a, need="pangan")  # not a DTSEN proposal
    db.session.commit()
    result = runner.invoke(args=["dtsen", "proposals", "--region", VILLAGE_A])
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(result.output.lstrip("\ufeff"))))
    assert lines[0] == HEADER
    assert len(lines) == 2
    values = dict(zip(HEADER, lines[1], strict=True))
    assert values["jenis_usulan"] == "DTSEN-USULAN"
    assert (values["kode_desa"], values["rt"], values["rw"]) == (VILLAGE_A, "002", "005")
    assert (values["nik"], values["no_kk"], values["nama"]) == (nik, KK, "Enok Sumarni")
    assert (values["tanggal_lahir"], values["jenis_kelamin"]) == ("1980-05-17", "P")
    assert values["terdaftar_dtsen"] == "tidak"
    assert values["tanggal_kunjungan_rumah"] == "2026-11-20"
    assert values["hasil_kunjungan_rumah"] == "Tidak terdaftar di DTSEN"
    assert values["kode_kasus"] == case.tracking_code
    assert audits("dtsen.proposals.export") == 1
    other = runner.invoke(args=["dtsen", "proposals", "--region", "35"])
    assert len(list(csv.reader(io.StringIO(other.output)))) == 1


def test_the_proposals_xlsx_from_the_cli_has_the_same_header(runner, world, tmp_path):
    from openpyxl import load_workbook

    _proposal(world)
    target = tmp_path / "usulan.xlsx"
    args = ["dtsen", "proposals", "--region", "32.04", "--format", "xlsx", "--output", str(target)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and rows[1][0] == "DTSEN-USULAN" and len(rows) == 2


def test_a_desk_officer_downloads_the_proposals_of_their_village_and_the_download_is_audited(world, auth):
    nik, _case = _proposal(world)
    auth.login("desk.a")
    page = auth.client.get("/dtsen/proposals/").get_data(as_text=True)
    assert "1 usulan terbuka." in page
    response = auth.client.get("/dtsen/proposals/file.csv")
    assert response.status_code == 200 and nik in response.get_data(as_text=True)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dtsen.proposals.export"))
    assert event.actor_id == world.users["desk_a"].id and event.detail["rows"] == 1
    assert auth.client.get("/dtsen/proposals/file.xlsx").status_code == 200
