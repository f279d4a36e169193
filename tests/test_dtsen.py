"""`flask dtsen import`: valid rows upsert households and persons, bad rows land in the rejects
file with their reasons, a re-import changes nothing, and a batch is written whole or not at all."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from slrt.core.audit import AuditEvent
from slrt.core.crypto import nik_digest
from slrt.directory.catalog import load_catalog
from slrt.dtsen import matching
from slrt.extensions import db
from slrt.intake import models as m
from tests.conftest import Auth
from tests.dtsen_factories import nik_for, read_rejects, row, write_csv
from tests.factories import make_person

KK_1 = "3204050101200001"
KK_2 = "3204050101200002"
KK_3 = "3204050101200003"


@pytest.fixture(autouse=True)
def catalogue(app):
    load_catalog()
    db.session.commit()


def run_import(runner, path, *extra):
    return runner.invoke(args=["dtsen", "import", str(path), "--no-progress", *extra])


def snapshot():
    """Everything an import could touch, to compare before and after."""
    db.session.expire_all()
    persons = db.session.execute(
        sa.select(
            m.Person.id, m.Person.nik, m.Person.name, m.Person.household_id, m.Person.updated_at
        ).order_by(m.Person.id)
    ).all()
    households = db.session.execute(
        sa.select(m.Household.id, m.Household.desil, m.Household.programmes, m.Household.updated_at).order_by(
            m.Household.id
        )
    ).all()
    changes = db.session.scalar(sa.select(sa.func.count()).select_from(m.RecordChange))
    return persons, households, changes


def household_of(kk):
    return db.session.scalar(sa.select(m.Household).where(m.Household.kk_hash == nik_digest(kk)))


def test_import_creates_households_with_desil_programmes_and_persons(runner, tmp_path):
    path = write_csv(
        tmp_path / "dtsen.csv",
        [
            row(1, KK_1, desil=3, programmes="pkh; BPNT"),
            row(2, KK_1, born=date(1983, 2, 1), sex="P", desil=3, programmes="BPNT;PKH"),
            row(3, KK_2, village="3204052002", desil=7, programmes=""),
        ],
    )
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "Warga: 3 baru, 0 diperbarui, 0 tidak berubah." in result.output
    assert "Keluarga: 2 baru" in result.output
    first = household_of(KK_1)
    assert (first.in_dtsen, first.desil, first.programmes) == (True, 3, ["BPNT", "PKH"])
    assert sorted(p.nik for p in first.members) == [
        nik_for(date(1980, 5, 17), "L", 1),
        nik_for(date(1983, 2, 1), "P", 2),
    ]
    woman_digest = nik_digest(nik_for(date(1983, 2, 1), "P", 2))
    woman = db.session.scalar(sa.select(m.Person).where(m.Person.nik_hash == woman_digest))
    assert (woman.sex, woman.birth_date, woman.village_code) == (
        m.Sex.FEMALE,
        date(1983, 2, 1),
        "32.04.05.2001",
    )
    assert woman.name_search == "warga 2"
    second = household_of(KK_2)
    assert (second.village_code, second.desil, second.programmes) == ("32.04.05.2002", 7, [])
    assert not (tmp_path / "dtsen.rejected.csv").exists()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "dtsen.import"))
    assert event.detail["persons_inserted"] == 3 and event.detail["file"] == "dtsen.csv"


BAD_ROWS = [
    (row(10, nik="32040517058"), "NIK harus 16 digit angka."),
    (row(11, nik="9904051705800011"), "bukan kode provinsi"),
    (row(12, tanggal_lahir="1981-05-17"), "tidak sesuai dengan tanggal lahir di NIK"),
    (row(13, tanggal_lahir="17 Mei 1980"), "Tanggal lahir tidak terbaca"),
    (row(14, jenis_kelamin="P"), "Jenis kelamin tidak sesuai dengan NIK"),
    (row(15, jenis_kelamin="X"), "Jenis kelamin harus L atau P."),
    (row(16, kode_desa="32.04.05.9999"), "Kode desa/kelurahan tidak dikenal."),
    (row(17, desil=11), "Desil harus angka 1 sampai 10."),
    (row(18, desil="dua"), "Desil harus angka 1 sampai 10."),
    (row(19, programmes="PKH;BLT-XYZ"), "Kode program tidak dikenal: BLT-XYZ."),
    (row(20, name="   "), "Nama kosong."),
    (row(21, no_kk="12345"), "No. KK harus 16 digit angka."),
    (row(1, KK_3, desil=4), "NIK sudah ada di baris 2 berkas ini."),
    (row(22, KK_1, desil=9), "berbeda dengan baris 2 yang No. KK-nya sama"),
]


def test_bad_rows_of_every_kind_land_in_rejects_with_reasons_and_nothing_of_theirs_is_written(
    runner, tmp_path
):
    good = row(1, KK_1, desil=3)
    path = write_csv(tmp_path / "dtsen.csv", [good] + [bad for bad, _ in BAD_ROWS])
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert f"Ditolak: {len(BAD_ROWS)}." in result.output
    rejects = read_rejects(tmp_path / "dtsen.rejected.csv")
    assert [r["baris"] for r in rejects] == [str(line) for line in range(3, 3 + len(BAD_ROWS))]
    for rejected, (bad, reason) in zip(rejects, BAD_ROWS, strict=True):
        assert reason in rejected["alasan"], (reason, rejected)
        assert rejected["nik"] == bad["nik"]  # the row comes back as it was, to fix and re-import
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.Person)) == 1
    assert db.session.scalars(sa.select(m.Household.kk_number)).all() == [KK_1]
    assert household_of(KK_1).desil == 3


def test_a_clean_run_removes_the_rejects_file_of_an_earlier_one(runner, tmp_path):
    path = write_csv(tmp_path / "dtsen.csv", [row(1, desil=0)])
    run_import(runner, path)
    assert (tmp_path / "dtsen.rejected.csv").exists()
    write_csv(path, [row(1, desil=1)])
    assert "Ditolak: 0." in run_import(runner, path).output
    assert not (tmp_path / "dtsen.rejected.csv").exists()


def test_rejects_path_option_and_formula_cells_neutralised(runner, tmp_path):
    path = write_csv(tmp_path / "in.csv", [row(1, name="=HYPERLINK(1)", desil=0)])
    target = tmp_path / "out" / "bad.csv"
    target.parent.mkdir()
    result = run_import(runner, path, "--rejects", str(target))
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    assert read_rejects(target)[0]["nama"] == "'=HYPERLINK(1)"


def test_missing_columns_refused_before_anything_is_written(runner, tmp_path):
    path = write_csv(tmp_path / "x.csv", [row(1)], header=("nik", "nama", "desil"))
    result = run_import(runner, path)
    assert result.exit_code != 0
    assert "Kolom wajib tidak ada: no_kk, tanggal_lahir, jenis_kelamin, kode_desa, program" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.Person)) == 0


def test_reimport_of_the_same_file_changes_nothing(runner, tmp_path):
    rows = [row(i, KK_1 if i < 4 else KK_2, desil=2) for i in range(1, 8)]
    path = write_csv(tmp_path / "dtsen.csv", rows)
    assert run_import(runner, path, "--batch-size", "3").exit_code == 0
    before = snapshot()
    again = run_import(runner, path, "--batch-size", "3")
    assert again.exit_code == 0, again.output
    assert "Total berubah: 0. Ditolak: 0." in again.output
    assert "Warga: 0 baru, 0 diperbarui, 7 tidak berubah." in again.output
    assert "Keluarga: 0 baru, 0 diperbarui, 2 tidak berubah." in again.output
    assert snapshot() == before
    batches = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "dtsen.import.batch")
    )
    assert batches == 3  # from the first import only: the second wrote nothing


def test_changed_desil_and_programmes_are_applied_and_kept_in_the_trail(runner, tmp_path):
    path = write_csv(tmp_path / "dtsen.csv", [row(1, KK_1, desil=5, programmes="BPNT"), row(2, KK_2)])
    run_import(runner, path)
    untouched = household_of(KK_2).updated_at
    write_csv(path, [row(1, KK_1, desil=3, programmes="BPNT;PKH"), row(2, KK_2)])
    result = run_import(runner, path)
    assert "Keluarga: 0 baru, 1 diperbarui, 1 tidak berubah." in result.output
    assert "Warga: 0 baru, 0 diperbarui, 2 tidak berubah." in result.output
    db.session.expire_all()
    household = household_of(KK_1)
    assert (household.desil, household.programmes) == (3, ["BPNT", "PKH"])
    assert household_of(KK_2).updated_at == untouched
    trail = db.session.execute(
        sa.select(m.RecordChange.field, m.RecordChange.old_value, m.RecordChange.new_value)
        .where(m.RecordChange.object_type == "household", m.RecordChange.object_id == household.id)
        .order_by(m.RecordChange.field)
    ).all()
    assert [tuple(t) for t in trail] == [("desil", "5", "3"), ("programmes", "BPNT", "BPNT, PKH")]


def test_person_known_at_the_desk_is_matched_by_nik_and_joins_the_dtsen_household(runner, tmp_path, app):
    nik = nik_for(date(1980, 5, 17), "L", 1)
    known = make_person(nik=nik, name="Ujang", birth_date=date(1980, 5, 17), sex=m.Sex.MALE)
    desk_household = known.household_id
    db.session.commit()
    path = write_csv(tmp_path / "dtsen.csv", [row(1, KK_1, name="Ujang Suryana")])
    result = run_import(runner, path)
    assert "Warga: 0 baru, 1 diperbarui, 0 tidak berubah." in result.output
    db.session.expire_all()
    person = db.session.get(m.Person, known.id)
    assert person.name == "Ujang Suryana" and person.name_search == "ujang suryana"
    assert person.household_id != desk_household and person.household.kk_number == KK_1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(m.Person)) == 1
    names = db.session.scalars(
        sa.select(m.RecordChange.new_value).where(
            m.RecordChange.object_type == "person", m.RecordChange.field == "name"
        )
    ).all()
    assert names == ["Ujang Suryana"]


def test_a_batch_the_database_refuses_is_rolled_back_whole(runner, tmp_path, monkeypatch):
    # Rows 1-3, 4-6, 7-8 in three batches. NIK 5 exists already, but the lookup is made to miss
    # it, so batch 2 inserts households and person 4 before the unique NIK stops it at person 5.
    nik_5 = nik_for(date(1980, 5, 17), "L", 5)
    make_person(nik=nik_5, name="Sudah Ada")
    db.session.commit()
    real_lookup = matching._existing_by_nik

    def blind_lookup(niks):
        found = real_lookup(niks)
        found.pop(nik_5, None)
        return found

    monkeypatch.setattr(matching, "_existing_by_nik", blind_lookup)
    rows = [row(i, f"32040501012000{i:02d}") for i in range(1, 9)]
    path = write_csv(tmp_path / "dtsen.csv", rows)
    result = run_import(runner, path, "--batch-size", "3")
    assert result.exit_code == 1
    assert "GAGAL: baris 5-7 tidak disimpan (IntegrityError)." in result.output
    kks = set(db.session.scalars(sa.select(m.Household.kk_number).where(m.Household.kk_number.is_not(None))))
    assert kks == {f"32040501012000{i:02d}" for i in (1, 2, 3, 7, 8)}
    niks = set(db.session.scalars(sa.select(m.Person.nik)))
    assert niks == {nik_for(date(1980, 5, 17), "L", i) for i in (1, 2, 3, 5, 7, 8)}
    rejects = read_rejects(tmp_path / "dtsen.rejected.csv")
    assert [r["baris"] for r in rejects] == ["5", "6", "7"]
    assert all("tidak ada baris kelompok ini yang disimpan" in r["alasan"] for r in rejects)


def test_desk_finds_the_imported_desil_and_programmes_in_search_and_on_the_household_page(
    runner, tmp_path, client, world
):
    path = write_csv(
        tmp_path / "dtsen.csv",
        [
            row(1, KK_1, name="Dadang Sunarya", desil=2, programmes="PKH;BPNT"),
            row(2, KK_2, village="32.04.05.2002"),
        ],
    )
    assert run_import(runner, path).exit_code == 0
    auth = Auth(client)
    auth.login("desk.a")
    found = client.get("/search?q=dadang").get_data(as_text=True)
    assert "Dadang Sunarya" in found
    assert "Terdaftar DTSEN" in found and "Desil 2" in found and "Program: BPNT, PKH" in found
    assert "Warga 2" not in client.get("/search?q=warga").get_data(as_text=True)  # village B: not in scope
    household = household_of(KK_1)
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "Terdaftar DTSEN" in page and "BPNT" in page and "PKH" in page
    assert "<dt>Desil</dt><dd>2</dd>" in page.replace("\n", "")
    person = db.session.scalar(sa.select(m.Person).where(m.Person.name == "Dadang Sunarya"))
    step_two = client.get(f"/cases/new?person_id={person.id}").get_data(as_text=True)
    assert "Desil 2" in step_two and "Program: BPNT, PKH" in step_two
