"""Recording and correcting facts: the person and household pages, members, DTSEN checks with
their provenance, and the route page's "?" links that lead to them and back."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from slrt.core.audit import AuditEvent
from slrt.core.crypto import mask
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from tests.factories import VILLAGE_A, VILLAGE_OTHER, make_case, make_person

KK_OLD = "3204050101200001"
KK_NEW = "3204050101200002"


def widow_case(world) -> m.Case:
    """A widow of 74 without NIK, living with her grandson of 10 in school, never checked in DTSEN."""
    today = local_today()
    widow = make_person(
        VILLAGE_A,
        name="Mak Onah",
        birth_date=date(today.year - 74, 7, 1),
        birth_precision=m.BirthPrecision.YEAR,
        nik=None,
        nik_missing_reason="never_registered",
        disability=m.Disability.NONE,
    )
    grandson = make_person(
        VILLAGE_A,
        name="Asep",
        household=widow.household,
        birth_date=date(today.year - 10, 3, 3),
        sex=m.Sex.MALE,
        schooling=m.Schooling.IN_SCHOOL,
        disability=m.Disability.NONE,
    )
    grandson.relationship_to_head = m.Relationship.GRANDCHILD
    widow.household.kk_number = KK_OLD
    case = make_case(VILLAGE_A, world.office_a, need="lansia", reporter=widow)
    db.session.commit()
    return case


def dtsen_form(**overrides) -> dict:
    data = {
        "in_dtsen": "yes",
        "desil": "3",
        "programmes": [],
        "checked_on": local_today().isoformat(),
        "source": "siks_ng",
    }
    data.update(overrides)
    return data


def _desil_criterion_line(html: str) -> str:
    start = html.index("Desil paling tinggi 4")
    return html[html.rindex("<li", 0, start) : html.index("</li>", start)]


def test_a_dtsen_check_turns_the_desil_criterion_from_unknown_to_met(client, auth, world):
    case = widow_case(world)
    auth.login("desk.a")
    route = f"/cases/{case.id}/route"
    html = client.get(route).get_data(as_text=True)
    line = _desil_criterion_line(html)
    assert "crit-open" in line and "Belum dicek di DTSEN, jadi desilnya belum diketahui." in line
    household_id = case.reporter.household_id
    response = auth.post(f"/households/{household_id}/dtsen-check?next={route}", dtsen_form())
    assert response.status_code == 302 and response.headers["Location"] == route
    html = client.get(route).get_data(as_text=True)
    line = _desil_criterion_line(html)
    assert "crit-yes" in line and "Desil 3, jadi syarat “Desil paling tinggi 4” terpenuhi." in line
    assert "cek DTSEN (SIKS-NG)" in line and world.users["desk_a"].name in line


def test_the_question_mark_links_to_the_dtsen_form_with_next_back_to_the_route_page(client, auth, world):
    case = widow_case(world)
    auth.login("desk.a")
    route = f"/cases/{case.id}/route"
    html = client.get(route).get_data(as_text=True)
    line = _desil_criterion_line(html)
    href = line.split('class="crit-fix" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    parts = urlsplit(href)
    assert parts.path == f"/households/{case.reporter.household_id}/dtsen-check"
    assert parse_qs(parts.query)["next"] == [route]
    assert "Catat hasil cek DTSEN" in line
    page = client.get(href).get_data(as_text=True)
    assert f'value="{local_today().isoformat()}"' in page  # today by default


def test_a_next_off_site_is_ignored(client, auth, world):
    case = widow_case(world)
    auth.login("desk.a")
    household_id = case.reporter.household_id
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = auth.post(
            f"/households/{household_id}/dtsen-check?next={target}",
            dtsen_form(),
            page=f"/households/{household_id}/dtsen-check",
        )
        assert response.status_code == 302
        assert response.headers["Location"] == f"/households/{household_id}"


def test_every_check_is_kept_and_the_household_follows_the_latest(client, auth, world):
    case = widow_case(world)
    household = case.reporter.household
    auth.login("desk.a")
    today = local_today()
    auth.post(f"/households/{household.id}/dtsen-check", dtsen_form(programmes=["BPNT"]))
    older = (today - timedelta(days=30)).isoformat()
    auth.post(f"/households/{household.id}/dtsen-check", dtsen_form(desil="5", checked_on=older))
    db.session.expire_all()
    checks = db.session.scalars(
        sa.select(m.DtsenCheck).where(m.DtsenCheck.household_id == household.id)
    ).all()
    assert len(checks) == 2
    household = db.session.get(m.Household, household.id)
    # The later-dated check rules, whatever the order they were recorded in.
    assert (household.in_dtsen, household.desil, household.programmes) == (True, 3, ["BPNT"])
    assert household.dtsen_checked_on == today and household.dtsen_source is m.DtsenSource.SIKS_NG
    assert household.dtsen_checked_by_id == world.users["desk_a"].id
    fields = {
        c.field
        for c in db.session.scalars(
            sa.select(m.RecordChange).where(
                m.RecordChange.object_type == "household", m.RecordChange.object_id == household.id
            )
        )
    }
    assert {"in_dtsen", "desil", "programmes"} <= fields


def test_an_invalid_check_keeps_what_was_typed_and_changes_nothing(client, auth, world):
    case = widow_case(world)
    household_id = case.reporter.household_id
    auth.login("desk.a")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    response = auth.post(
        f"/households/{household_id}/dtsen-check",
        dtsen_form(in_dtsen="no", desil="4", checked_on=tomorrow, programmes=["PKH"]),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "tidak memiliki desil" in html and "tidak boleh di masa depan" in html
    assert f'value="{tomorrow}"' in html
    assert 'value="PKH" checked' in html or 'checked id="programmes-0"' in html or "checked" in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(m.DtsenCheck.id))) == 0
    household = db.session.get(m.Household, household_id)
    assert household.in_dtsen is None and household.desil is None


def test_a_check_older_than_the_configured_age_is_stale(app, client, auth, world):
    case = widow_case(world)
    household_id = case.reporter.household_id
    auth.login("desk.a")
    max_days = app.config["DTSEN_CHECK_MAX_AGE_DAYS"]
    old = (local_today() - timedelta(days=max_days + 1)).isoformat()
    auth.post(f"/households/{household_id}/dtsen-check", dtsen_form(checked_on=old))
    html = client.get(f"/households/{household_id}").get_data(as_text=True)
    assert "perlu dicek ulang" in html
    route = client.get(f"/cases/{case.id}/route").get_data(as_text=True)
    line = _desil_criterion_line(route)
    assert "perlu dicek ulang" in line and "Cek ulang DTSEN" in line
    recent = (local_today() - timedelta(days=max_days)).isoformat()
    auth.post(f"/households/{household_id}/dtsen-check", dtsen_form(checked_on=recent))
    html = client.get(f"/households/{household_id}").get_data(as_text=True)
    assert "perlu dicek ulang" not in html and "cek DTSEN (SIKS-NG)" in html


def test_the_case_page_shows_where_the_dtsen_facts_come_from(client, auth, world):
    case = widow_case(world)
    auth.login("desk.a")
    auth.post(f"/households/{case.reporter.household_id}/dtsen-check", dtsen_form(source="cek_bansos"))
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'Desil 3 · <span class="provenance">cek DTSEN (Cek Bansos) · ' in html


def test_a_kk_change_keeps_the_old_number_encrypted_and_shows_it_masked(client, auth, world):
    case = widow_case(world)
    household_id = case.reporter.household_id
    auth.login("desk.a")
    response = auth.post(
        f"/households/{household_id}/edit",
        {"kk_number": KK_NEW, "rt": "2", "rw": "5", "house_uninhabitable": "yes"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    household = db.session.get(m.Household, household_id)
    assert household.kk_number == KK_NEW and household.rt == "002" and household.house_uninhabitable is True
    (old,) = db.session.scalars(sa.select(m.KkChange).where(m.KkChange.household_id == household_id)).all()
    assert old.old_kk == KK_OLD and old.changed_by_id == world.users["desk_a"].id
    stored = db.session.execute(sa.text("SELECT old_kk_encrypted, old_kk_hash FROM kk_changes")).one()
    assert KK_OLD not in stored[0] and stored[1] == household_kk_hash(KK_OLD)
    change = db.session.scalar(
        sa.select(m.RecordChange).where(
            m.RecordChange.field == "kk_number", m.RecordChange.object_id == household_id
        )
    )
    assert change.old_value == mask(KK_OLD) and change.new_value == mask(KK_NEW)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "household.update"))
    assert set(event.detail["fields"]) >= {"kk_number", "rt", "rw", "house_uninhabitable"}
    assert KK_OLD not in str(event.detail) and KK_NEW not in str(event.detail)
    html = client.get(f"/households/{household_id}").get_data(as_text=True)
    assert "Riwayat No. KK" in html and mask(KK_OLD) in html and KK_OLD not in html


def household_kk_hash(kk: str) -> str:
    from slrt.core.crypto import nik_digest

    return nik_digest(kk)


def test_correcting_a_person_records_each_changed_field(client, auth, world):
    case = widow_case(world)
    widow = case.reporter
    auth.login("desk.a")
    response = auth.post(
        f"/persons/{widow.id}/edit",
        {
            "name": "Mak Onah Binti Karta",
            "nik_missing_reason": "lost",
            "birth_precision": "about",
            "birth_year": str(local_today().year - 74),
            "sex": "P",
            "pregnant": "no",
            "schooling": "",
            "disability": "mild",
            "relationship_to_head": "head",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    widow = db.session.get(m.Person, widow.id)
    assert widow.name == "Mak Onah Binti Karta" and widow.birth_precision is m.BirthPrecision.ABOUT
    assert widow.disability is m.Disability.MILD and widow.nik_missing_reason.value == "lost"
    fields = {
        c.field
        for c in db.session.scalars(
            sa.select(m.RecordChange).where(
                m.RecordChange.object_type == "person", m.RecordChange.object_id == widow.id
            )
        )
    }
    assert {"name", "birth_precision", "disability", "nik_missing_reason", "pregnant"} <= fields
    html = client.get(f"/persons/{widow.id}").get_data(as_text=True)
    assert "sekitar tahun" in html and "diubah petugas" in html


def test_an_invalid_person_form_keeps_what_was_typed_and_changes_nothing(client, auth, world):
    case = widow_case(world)
    widow = case.reporter
    auth.login("desk.a")
    response = auth.post(
        f"/persons/{widow.id}/edit",
        {
            "name": "Nama Baru Sekali",
            "nik": "12345",
            "birth_precision": "year",
            "birth_year": "18",
            "sex": "L",
            "pregnant": "yes",
            "disability": "none",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "NIK harus 16 digit angka." in html and "Hanya perempuan yang dapat dicatat hamil." in html
    assert 'value="Nama Baru Sekali"' in html and 'value="18"' in html
    db.session.expire_all()
    assert db.session.get(m.Person, widow.id).name == "Mak Onah"
    assert db.session.scalar(sa.select(sa.func.count(m.RecordChange.id))) == 0


def test_a_member_is_added_and_moved_to_another_household(client, auth, world):
    case = widow_case(world)
    household = case.reporter.household
    other = make_person(VILLAGE_A, name="Ujang", nik=None).household
    other.kk_number = KK_NEW
    db.session.commit()
    auth.login("desk.a")
    response = auth.post(
        f"/households/{household.id}/members/new",
        {
            "name": "Neng",
            "nik_missing_reason": "not_recorded",
            "birth_date": "2001-02-03",
            "sex": "P",
            "disability": "none",
            "relationship_to_head": "grandchild",
        },
    )
    assert response.status_code == 302
    neng = db.session.scalar(sa.select(m.Person).where(m.Person.name == "Neng"))
    assert neng.household_id == household.id and neng.village_code == VILLAGE_A
    response = auth.post(f"/persons/{neng.id}/move", {"kk_number": KK_NEW, "relationship_to_head": "other"})
    assert response.status_code == 302 and response.headers["Location"] == f"/households/{other.id}"
    db.session.expire_all()
    assert db.session.get(m.Person, neng.id).household_id == other.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "household.member_move"))
    assert event.detail == {"person": neng.id, "from": household.id}
    # and out of any household, the person kept
    response = auth.post(f"/persons/{neng.id}/leave-household", {}, page=f"/persons/{neng.id}/move")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Person, neng.id).household_id is None


def test_a_move_to_a_household_outside_the_scope_is_refused(client, auth, world):
    case = widow_case(world)
    far = make_person(VILLAGE_OTHER, name="Joko").household
    far.kk_number = KK_NEW
    db.session.commit()
    auth.login("desk.a")
    response = auth.post(f"/persons/{case.reporter_id}/move", {"kk_number": KK_NEW})
    assert response.status_code == 200
    assert "Tidak ada keluarga dengan No. KK ini di wilayah Anda." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(m.Person, case.reporter_id).household_id == case.household_id


def test_an_officer_of_another_village_gets_404(client, auth, world):
    case = widow_case(world)
    household_id = case.reporter.household_id
    auth.login("desk.b")
    for path in (
        f"/households/{household_id}/edit",
        f"/households/{household_id}/dtsen-check",
        f"/households/{household_id}/members/new",
        f"/persons/{case.reporter_id}/edit",
        f"/persons/{case.reporter_id}/move",
    ):
        assert client.get(path).status_code == 404, path
    response = auth.post(f"/households/{household_id}/dtsen-check", dtsen_form(), page="/")
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(m.DtsenCheck.id))) == 0


def test_administrators_may_not_correct_facts(client, auth, world):
    case = widow_case(world)
    auth.login("admin")
    assert client.get(f"/households/{case.reporter.household_id}/dtsen-check").status_code == 403


def test_the_dtsen_import_records_its_source(app, world):
    from slrt.intake.provenance import dtsen

    household = world.case_a.household
    household.in_dtsen, household.dtsen_source = True, m.DtsenSource.IMPORT
    household.dtsen_checked_on = local_today()
    db.session.flush()
    with app.test_request_context():
        assert dtsen(household).source == "impor data DTSEN"


def test_a_met_criterion_does_not_repeat_its_own_name(client, auth, world):
    case = widow_case(world)
    auth.login("desk.a")
    auth.post(f"/households/{case.reporter.household_id}/dtsen-check", dtsen_form())
    html = client.get(f"/cases/{case.id}/route").get_data(as_text=True)
    assert "Terdaftar di DTSEN, jadi syarat “Terdaftar di DTSEN”" not in html
    assert "Terdaftar di DTSEN · Terdaftar di DTSEN" not in html


def test_a_criterion_line_names_the_criterion_once_in_both_languages():
    from slrt.routing import reasons
    from slrt.routing.engine import CriterionOutcome

    def outcome(**kw):
        base = {"name": "Terdaftar di DTSEN", "name_en": "Registered in DTSEN", "expression": "in_dtsen"}
        base.update(kw)
        base.setdefault("values", {"in_dtsen": True})
        return CriterionOutcome(**base)

    met = outcome(result=True, missing=())
    assert reasons.criterion_line(met, "id") == "Syarat “Terdaftar di DTSEN” terpenuhi."
    assert reasons.criterion_line(met, "en") == "“Registered in DTSEN” is met."
    open_ = outcome(result=None, missing=("in_dtsen",), values={"in_dtsen": None})
    assert reasons.criterion_line(open_, "id") == (
        "Syarat “Terdaftar di DTSEN” belum pasti. Belum dicek apakah keluarga terdaftar di DTSEN."
    )
