"""Issue 18: names however they are spelled, duplicates with their evidence, merges with undo."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from slrt.core.audit import AuditEvent
from slrt.extensions import db
from slrt.intake import dedup, names
from slrt.intake import models as m
from slrt.privacy.models import ConsentMethod, ConsentRecord
from tests.factories import VILLAGE_A, VILLAGE_B, make_case, make_person


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Soekarni", "Sukarni"),  # oe/u
        ("Djoko Santoso", "Joko Santoso"),  # dj/j
        ("Tjahjono", "Cahyono"),  # tj/c and j/y
        ("Jusuf", "Yusuf"),  # j/y
        ("Chairul Anwar", "Khairul Anwar"),  # ch/kh
        ("Sjahrir", "Syahrir"),  # sj/sy
        ("Muhammad Ali", "Muhamad Ali"),  # doubled letters
        ("Hj. Siti Aminah, S.Pd.", "Siti Aminah"),  # titles before and after
        ("Ir. H. Dédé Sukmawati", "dede sukmawati"),  # titles, accents, case
        ("Ahmad bin Djafar", "Ahmad Jafar"),  # bin
        ("Nur binti Oesman", "Nur Usman"),  # binti
        ("Enok Sumarny", "Enok Sumarni"),  # a final y read as i
    ],
)
def test_old_and_new_spelling_meet_on_one_key(old, new):
    assert names.name_key(old) == names.name_key(new)
    assert names.name_phonetic(old) == names.name_phonetic(new)


def test_different_names_keep_different_keys_and_similarity_orders_them():
    assert names.name_key("Siti Aminah") != names.name_key("Siti Rahayu")
    assert names.name_key("Nyai Dasimah") == "nyai dasimah"  # "ny" is a sound, not old spelling
    close = dedup.name_similarity("Enok Sumarny", "Enok Sumarni")
    near = dedup.name_similarity("Enok Sumarni", "Enok Sumirah")
    far = dedup.name_similarity("Enok Sumarni", "Budi Santoso")
    assert close == 1.0 and far < near < close
    assert dedup.name_similarity("Aminah Siti", "Siti Aminah") == 1.0
    assert names.trigram_similarity("enok sumarni", "enok sumarni") == 1.0
    assert 0 < names.trigram_similarity("enok sumarny", "enok sumarni") < 1


def test_birth_date_and_nik_evidence():
    born = date(1980, 3, 5)
    assert dedup.birth_date_evidence(born, born) == 1.0
    assert dedup.birth_date_evidence(born, date(1980, 5, 3)) == dedup.BIRTH_DATE_SWAPPED
    assert dedup.birth_date_evidence(born, date(1980, 3, 20)) == dedup.BIRTH_DATE_CLOSE
    assert dedup.birth_date_evidence(born, date(1991, 8, 1)) == 0.0
    assert dedup.nik_evidence("3204051705800001", "3204051705800001") == 1.0
    assert dedup.nik_evidence("3204051705800001", "3204051750800001") == dedup.NIK_ONE_EDIT
    assert dedup.nik_evidence("3204051705800001", "3204059999990001") == 0.0


def test_the_weights_are_one_table_covering_every_kind_of_evidence():
    assert set(dedup.WEIGHTS) == set(dedup.EVIDENCE_LABELS)
    a = dedup.Record(1, "Enok Sumarny", date(1970, 2, 1), village_code=VILLAGE_A, rt="003")
    b = dedup.Record(2, "Enok Sumarni", date(1970, 1, 2), village_code=VILLAGE_A, rt="003")
    found = dedup.compare(a, b)
    assert found.score >= dedup.REVIEW_THRESHOLD
    assert found.evidence == {"name": 1.0, "birth_date": dedup.BIRTH_DATE_SWAPPED, "village_rt": 1.0}
    other = dedup.Record(3, "Enok Sumarni", date(1991, 8, 1), village_code=VILLAGE_B)
    assert dedup.compare(a, other).score < dedup.REVIEW_THRESHOLD


def test_search_forgives_a_misspelt_name_and_ranks_the_closest_first(client, auth, world):
    make_person(name="Enok Sumarni")
    make_person(name="Enok Sumirah")
    db.session.commit()
    auth.login("desk.a")
    html = client.get("/search?q=Enok Sumarny").get_data(as_text=True)
    assert "Enok Sumarni" in html
    assert html.index("Enok Sumarni") < html.index("Enok Sumirah")
    assert "Enok Sumarni" in client.get("/search?q=Hj. Enok Soemarni").get_data(as_text=True)


def test_search_by_rt_rw_and_street_and_an_empty_result_offers_registration(client, auth, world):
    household = m.Household(village_code=VILLAGE_A, rt="003", rw="007", street="Kp. Babakan No. 5")
    make_person(name="Ujang Saepudin", household=household)
    db.session.commit()
    auth.login("desk.a")
    assert "Ujang Saepudin" in client.get("/search?q=RT 3 RW 7").get_data(as_text=True)
    assert "Ujang Saepudin" in client.get("/search?q=rt 003/007").get_data(as_text=True)
    assert "Ujang Saepudin" not in client.get("/search?q=RT 3 RW 8").get_data(as_text=True)
    assert "Ujang Saepudin" in client.get("/search?q=babakan").get_data(as_text=True)
    empty = client.get("/search?q=Zulkarnaen").get_data(as_text=True)
    assert "Daftarkan warga baru dengan nama ini" in empty
    assert "/cases/new?name=Zulkarnaen" in empty


def test_desk_home_shows_the_search_before_the_lists(client, auth, world):
    auth.login("desk.a")
    html = client.get("/").get_data(as_text=True)
    assert html.index('id="home-q"') < html.index("Kasus terbuka")


def _pair(**b_kwargs):
    household = m.Household(village_code=VILLAGE_A, rt="003", rw="007")
    a = make_person(name="Enok Sumarni", birth_date=date(1970, 2, 1), household=household)
    b = make_person(
        name="Enok Sumarny",
        birth_date=date(1970, 1, 2),
        household=m.Household(village_code=VILLAGE_A, rt="003"),
        **b_kwargs,
    )
    return a, b


def test_scan_finds_the_pair_with_evidence_and_not_after_it_is_judged_two_people(app, runner, world):
    a, b = _pair()
    db.session.commit()
    found = dedup.scan("32.04")
    assert [(c.person_a, c.person_b) for c in found] == [(a.id, b.id)]
    assert found[0].evidence["birth_date"] == dedup.BIRTH_DATE_SWAPPED
    result = runner.invoke(args=["dedup", "scan", "--region", "32.04", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "person_a,person_b,score"
    assert lines[1].startswith(f"{a.id},{b.id},") and 0.8 <= float(lines[1].split(",")[2]) <= 1
    dedup.mark_distinct(b, a, world.users["coordinator_a"])
    db.session.commit()
    assert dedup.scan("32.04") == []
    assert "person_a" in runner.invoke(args=["dedup", "scan", "--region", "32.04", "--format", "csv"]).output


def test_intake_warns_of_a_likely_duplicate_before_creating_a_new_person(client, auth, world):
    from tests.intake_factories import intake_form, post_intake

    make_person(
        name="Wati Suryani",
        birth_date=date(1985, 3, 2),
        household=m.Household(village_code=VILLAGE_A, rt="003"),
    )
    db.session.commit()
    before = db.session.scalar(sa.select(sa.func.count(m.Person.id)))
    auth.login("desk.a")
    response = post_intake(auth, intake_form(name="Wati Soeryani", not_duplicate=None))
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "mungkin sudah terdaftar" in html and "Wati Suryani" in html
    assert db.session.scalar(sa.select(sa.func.count(m.Person.id))) == before
    response = post_intake(auth, intake_form(name="Wati Soeryani", not_duplicate="y"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(m.Person.id))) > before


AFFECTED = ("persons", "cases", "needs", "referrals", "consent_records", "record_changes")


def _dump() -> dict[str, list[tuple]]:
    tables = db.metadata.tables
    return {
        name: [tuple(row) for row in db.session.execute(sa.select(tables[name]).order_by(tables[name].c.id))]
        for name in AFFECTED
    }


def test_merge_moves_everything_to_the_survivor_and_undo_restores_the_database_exactly(app, world):
    a, b = _pair()
    case = make_case(VILLAGE_A, world.office_a, reporter=b)
    case.needs[0].person_id = b.id
    db.session.add(
        ConsentRecord(
            person_id=b.id,
            case_id=case.id,
            purpose_version="v1",
            given_by=m.ConsentBy.SELF,
            method=ConsentMethod.WRITTEN,
        )
    )
    db.session.add(
        m.RecordChange(object_type="person", object_id=b.id, field="phone", old_value=None, new_value="x")
    )
    db.session.commit()
    before = _dump()
    coordinator = world.users["coordinator_a"]
    record = dedup.merge(a, b, coordinator, score=0.9)
    db.session.commit()
    assert db.session.get(m.Case, case.id).reporter_id == a.id
    assert db.session.get(m.Person, b.id).merged_into_id == a.id
    assert set(record.moved) >= {
        "cases.reporter_id",
        "needs.person_id",
        "consent_records.person_id",
        "record_changes.object_id",
    }
    assert dedup.scan("32.04") == []  # a merged record is no longer a candidate
    dedup.undo(record, coordinator)
    db.session.commit()
    assert _dump() == before
    assert db.session.get(m.PersonMerge, record.id).undone_at is not None


def test_a_coordinator_reviews_a_pair_side_by_side_merges_and_undoes_it(client, auth, world):
    a, b = _pair()
    make_case(VILLAGE_A, world.office_a, reporter=b)
    db.session.commit()
    auth.login("koor.a")  # a desk officer gets 403 (tests/test_authz_matrix.py)
    listed = client.get("/duplicates").get_data(as_text=True)
    assert f"/persons/{a.id}/duplicates/{b.id}" in listed
    page = client.get(f"/persons/{a.id}/duplicates/{b.id}").get_data(as_text=True)
    assert "Enok Sumarni" in page and "Enok Sumarny" in page and "Tanggal lahir" in page
    page_path = f"/persons/{a.id}/duplicates/{b.id}"
    response = auth.post(f"{page_path}/merge", {"survivor": str(a.id)}, page=page_path)
    assert response.status_code == 302
    record = db.session.scalar(sa.select(m.PersonMerge))
    assert record.survivor_id == a.id and record.merged_id == b.id
    assert (
        db.session.scalar(sa.select(m.Case.reporter_id).where(m.Case.reporter_id.in_([a.id, b.id]))) == a.id
    )
    undo_page = f"/merges/{record.id}"
    assert "Batalkan penggabungan" in client.get(undo_page).get_data(as_text=True)
    assert auth.post(f"{undo_page}/undo", {}, page=undo_page).status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Person, b.id).merged_into_id is None
    assert db.session.scalar(sa.select(sa.func.count()).where(m.Case.reporter_id == b.id)) == 1
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"person.merge", "person.merge_undo"} <= actions
    assert auth.post(f"{page_path}/distinct", {}, page=page_path).status_code == 302
    assert f"/persons/{a.id}/duplicates/{b.id}" not in client.get("/duplicates").get_data(as_text=True)


def test_a_pair_outside_the_coordinators_village_is_not_found(client, auth, world):
    a = make_person(name="Enok Sumarni")
    b = make_person(VILLAGE_B, name="Enok Sumarny")
    db.session.commit()
    auth.login("koor.a")
    assert client.get(f"/persons/{a.id}/duplicates/{b.id}").status_code == 404
    page = f"/persons/{a.id}/duplicates/{a.id}"
    assert auth.post(f"/persons/{a.id}/duplicates/{b.id}/merge", {}, page="/duplicates").status_code == 404
    assert page  # the same person twice is no pair either
    assert client.get(page).status_code == 404


def test_the_demo_has_a_misspelt_duplicate_pair_to_review(runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    named = {
        frozenset(
            db.session.scalars(sa.select(m.Person.name).where(m.Person.id.in_([c.person_a, c.person_b])))
        )
        for c in dedup.scan("32.04.05.2001")
    }
    assert frozenset({"Enok Sumarni", "Hj. Enok Soemarny"}) in named


def test_data_quality_counts_per_village_and_lists_the_work_for_the_desk(client, auth, world):
    from datetime import timedelta

    from slrt.core.workdays import local_today

    _pair()  # two persons without NIK (no reason recorded), one pair, one household without RW
    make_person(name="Asep Bad Nik", nik="3204050000000000")  # serial 0000 and no birth date
    stale = m.Household(
        village_code=VILLAGE_A, rt="001", rw="001", dtsen_checked_on=local_today() - timedelta(days=400)
    )
    make_person(name="Ujang Lama", household=stale, nik_missing_reason=m.NikMissingReason.LOST)
    db.session.commit()
    auth.login("desk.a")
    html = client.get("/data-quality").get_data(as_text=True)
    assert "Cileunyi Kulon" in html and "Cileunyi Wetan" not in html  # village B is not the desk's
    row = html[html.index("Cileunyi Kulon") :].split("</tr>")[0]
    cells = [c.split("<")[0] for c in row.split("<td>")[1:]]
    no_nik = db.session.scalar(
        sa.select(sa.func.count()).where(m.Person.village_code == VILLAGE_A, m.Person.nik_hash.is_(None))
    )
    assert cells == [str(no_nik), "1", "1", "1", cells[4]] and int(cells[4]) >= 2
    assert "Asep Bad Nik" in html and "Ujang Lama" in html and "Enok Sumarni · Enok Sumarny" not in html
    assert "Enok Sumarni</a> · <a" in html  # a desk officer sees the pair, the coordinator merges


def test_the_dashboards_sum_the_nightly_quality_counts_from_village_to_regency(client, auth, world, runner):
    from slrt.core.workdays import local_today
    from slrt.intake import quality

    _pair()  # two persons without NIK, one suspected pair, one household without RW
    make_person(VILLAGE_B, name="Dadang Tanpa Nik", nik_missing_reason=m.NikMissingReason.LOST)
    db.session.commit()
    auth.login("desk.a")
    html = client.get("/reports/").get_data(as_text=True)
    assert "Kualitas data belum pernah dihitung" in html  # before the first night's run
    result = runner.invoke(args=["quality", "refresh"])
    assert result.exit_code == 0, result.output
    # The stored counts of village A are the ones the desk's own page counts live.
    live = quality.report(world.users["desk_a"], local_today()).total
    stored, computed = quality.summed(VILLAGE_A, len(VILLAGE_A))
    assert computed is not None
    village = stored[VILLAGE_A]
    assert (village.no_nik, village.duplicates, village.no_rt_rw, village.stale_dtsen, village.bad_nik) == (
        live.no_nik,
        live.duplicates,
        live.no_rt_rw,
        live.stale_dtsen,
        live.bad_nik,
    )
    assert village.duplicates == 1
    # Up the hierarchy: the district, the regency and the province hold the sum of their villages.
    for width, region in ((8, "32.04"), (5, "32"), (2, None)):
        level, villages = quality.summed(region, width)[0], quality.summed(region, len(VILLAGE_A))[0]
        assert all(len(code) == width for code in level)
        for kind in ("no_nik_total", "duplicates", "no_rt_rw"):
            assert sum(getattr(r, kind) for r in level.values()) == sum(
                getattr(v, kind) for v in villages.values()
            )
        assert sum(r.no_nik["lost"] for r in level.values()) == 1
        assert sum(r.no_nik_total for r in level.values()) >= 3
    assert set(quality.summed(None, 2)[0]) == {"32"}
    client.post("/logout", data={"csrf_token": auth.csrf()})
    auth.login("slrt.bdg")
    html = client.get("/reports/?region=32.04").get_data(as_text=True)
    section = html[html.index('id="kualitas-data"') :].split("</section>")[0]
    assert "Cileunyi" in section and "KTP/KK hilang 1" in section
    assert "Buka daftar pekerjaan kualitas data" in section
    client.post("/logout", data={"csrf_token": auth.csrf()})
    auth.login("admin")
    html = client.get("/reports/").get_data(as_text=True)
    section = html[html.index('id="kualitas-data"') :].split("</section>")[0]
    assert "Jawa Barat" in section and "Buka daftar pekerjaan" not in section  # counts, no people
