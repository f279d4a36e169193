"""Desk intake: registering visitors and households, opening cases, safety nets."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa

from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import registration, search, uploads
from tests.factories import VILLAGE_A, VILLAGE_B, make_case, make_person
from tests.intake_factories import intake_form, post_intake


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def new_case() -> m.Case:
    stmt = sa.select(m.Case).where(m.Case.idempotency_key.is_not(None))
    return db.session.scalars(stmt.order_by(m.Case.id.desc())).first()


def test_desk_registers_a_household_without_nik_with_two_needs(client, auth, world):
    auth.login("desk.a")
    response = post_intake(auth, intake_form())
    assert response.status_code == 302
    case = new_case()
    assert response.headers["Location"].endswith(f"/cases/{case.id}/receipt")
    assert case.village_code == VILLAGE_A and case.office_id == world.office_a.id
    assert case.consent_given and case.consent_by is m.ConsentBy.SELF and case.consent_at
    person = case.reporter
    assert person.nik is None and person.nik_missing_reason.value == "never_registered"
    assert person.phone == "+6281234567890"
    assert person.name_search == "wati suryani"
    household = case.household
    assert household.rt == "003" and household.rw == "007"
    assert [p.name for p in household.members] == ["Wati Suryani", "Dede"]
    assert [(n.category_code, n.person.name) for n in case.needs] == [
        ("pangan", "Wati Suryani"),
        ("pendidikan", "Dede"),
    ]
    assert not case.urgent
    receipt = client.get(f"/cases/{case.id}/receipt").get_data(as_text=True)
    assert case.tracking_code[:4] + "-" in receipt and "<svg" in receipt


def test_resubmitting_the_same_form_never_creates_a_second_case(client, auth, world):
    auth.login("desk.a")
    before = count(m.Case)
    first = post_intake(auth, intake_form(idempotency_key="same-key"))
    second = post_intake(auth, intake_form(idempotency_key="same-key"))
    assert count(m.Case) == before + 1
    assert first.headers["Location"] == second.headers["Location"]
    assert count(m.Person) == 3 + 2  # the world's three reporters and one new household of two


def test_an_open_case_with_the_same_need_is_pointed_out_before_a_new_one(client, auth, world):
    auth.login("desk.a")
    person = world.case_a.reporter  # has an open case for `pangan`
    page = client.get(f"/cases/new?person_id={person.id}").get_data(as_text=True)
    assert world.case_a.tracking_code[:4] in page  # the open case is shown before saving
    data = intake_form(
        person_id=str(person.id), name=person.name, **{"needs-1-category": "", "needs-1-description": ""}
    )
    before = count(m.Case)
    warned = post_intake(auth, data)
    assert warned.status_code == 422
    html = warned.get_data(as_text=True)
    assert "sudah punya kasus terbuka" in html and count(m.Case) == before
    done = post_intake(auth, {**data, "duplicate_reason": "Kebutuhan baru setelah banjir"})
    assert done.status_code == 302 and count(m.Case) == before + 1
    assert new_case().duplicate_reason == "Kebutuhan baru setelah banjir"


def test_validation_lists_every_problem_keeps_the_input_and_saves_nothing(client, auth, world):
    auth.login("desk.a")
    before = (count(m.Case), count(m.Person), count(m.Household))
    data = intake_form(
        nik="1234", name="", phone="12", kk_number="99", rt="abcd", **{"needs-0-category": "nope"}
    )
    response = post_intake(auth, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for text in ("NIK harus 16 digit", "Nama wajib diisi", "Nomor telepon tidak dikenali", "No. KK harus 16"):
        assert html.count(text) == 2, text  # in the summary and beside the field
    assert 'value="Kp. Babakan No. 5"' in html and 'value="1234"' in html
    assert (count(m.Case), count(m.Person), count(m.Household)) == before


def test_without_consent_only_an_anonymous_question_is_stored(client, auth, world):
    auth.login("desk.a")
    persons, households = count(m.Person), count(m.Household)
    refused = post_intake(auth, intake_form(consent=None))
    assert refused.status_code == 422 and "pertanyaan anonim" in refused.get_data(as_text=True)
    data = intake_form(
        consent=None,
        case_type="question",
        idempotency_key="anon",
        **{
            "needs-0-category": "informasi",
            "needs-1-category": "",
            "needs-1-description": "",
            "needs-0-person": "self",
        },
    )
    assert post_intake(auth, data).status_code == 302
    case = new_case()
    assert case.anonymous and case.reporter is None and case.household is None
    assert not case.consent_given and case.village_code == VILLAGE_A
    assert (count(m.Person), count(m.Household)) == (persons, households)


def test_a_question_answered_at_the_desk_closes_at_once(client, auth, world):
    auth.login("desk.a")
    data = intake_form(
        case_type="question",
        answer="Syarat PKH: terdaftar DTSEN desil 1-4.",
        **{"needs-0-category": "informasi", "needs-1-category": "", "needs-1-description": ""},
    )
    assert post_intake(auth, data).status_code == 302
    case = new_case()
    assert case.status is m.CaseStatus.CLOSED and case.closed_at and case.answer.startswith("Syarat")


def test_a_desk_officer_cannot_register_outside_the_village(client, auth, world):
    auth.login("desk.a")
    before = count(m.Case)
    response = post_intake(auth, intake_form(village_code=VILLAGE_B))
    assert response.status_code == 422
    assert "di luar wilayah tugas" in response.get_data(as_text=True)
    assert count(m.Case) == before


def test_a_desk_officer_cannot_attach_a_case_to_a_person_of_another_village(client, auth, world):
    auth.login("desk.a")
    other = world.case_b.reporter_id
    assert client.get(f"/cases/new?person_id={other}").status_code == 404
    assert post_intake(auth, intake_form(person_id=str(other))).status_code == 404


def test_a_coordinator_of_a_regency_picks_any_village_inside_it_only(client, auth, world):
    auth.login("slrt.bdg")
    assert post_intake(auth, intake_form(village_code=VILLAGE_B)).status_code == 302
    assert new_case().village_code == VILLAGE_B
    response = post_intake(auth, intake_form(village_code="32.73.01.1001", idempotency_key="k2"))
    assert response.status_code == 422


def test_fast_track_is_computed_and_overriding_it_needs_a_reason(client, auth, world):
    auth.login("desk.a")
    elderly = intake_form(birth_date="1940-01-01", **{"needs-1-category": "", "needs-1-description": ""})
    assert post_intake(auth, elderly).status_code == 302
    case = new_case()
    assert case.urgent and "Lansia" in case.urgency_reason
    violence = intake_form(
        idempotency_key="k2", **{"needs-1-category": "kekerasan", "needs-1-person": "self"}
    )
    assert post_intake(auth, violence).status_code == 302
    assert new_case().urgent
    lowered = intake_form(idempotency_key="k3", urgency="no", **{"needs-1-category": "kekerasan"})
    response = post_intake(auth, lowered)
    assert response.status_code == 422 and "Tuliskan alasan" in response.get_data(as_text=True)
    raised = intake_form(idempotency_key="k4", urgency="yes", urgency_reason="Anak sakit keras")
    assert post_intake(auth, raised).status_code == 302
    assert new_case().urgent and new_case().urgency_reason == "Anak sakit keras"


def test_a_child_needs_consent_from_a_parent_or_guardian(client, auth, world):
    auth.login("desk.a")
    child = intake_form(
        birth_date="2012-01-01", relationship="child", **{"needs-1-category": "", "needs-1-description": ""}
    )
    response = post_intake(auth, child)
    assert response.status_code == 422 and "orang tua atau wali" in response.get_data(as_text=True)
    unnamed = post_intake(auth, {**child, "consent_by": "guardian"})
    assert unnamed.status_code == 422 and "nama orang tua/wali" in unnamed.get_data(as_text=True)
    named = {**child, "consent_by": "guardian", "guardian_name": "Ibu Wati"}
    assert post_intake(auth, named).status_code == 302


def test_changes_to_a_person_and_household_are_tracked_and_shown(client, auth, world):
    auth.login("desk.a")
    person = world.case_a.reporter
    data = intake_form(
        person_id=str(person.id),
        name="Siti Aminah",
        birth_date="1980-05-17",
        phone="081298765432",
        kk_number="3204051234567890",
        duplicate_reason="Kebutuhan lain",
        **{"needs-1-category": "", "needs-1-description": ""},
    )
    assert post_intake(auth, data).status_code == 302
    changes = {(c.object_type, c.field): c for c in db.session.scalars(sa.select(m.RecordChange))}
    assert changes[("person", "phone")].old_value is None
    assert changes[("person", "phone")].new_value == "+6281298765432"
    # Identity numbers enter the change log masked (issue 8).
    assert changes[("household", "kk_number")].new_value == "3204********7890"
    assert changes[("person", "phone")].changed_by_id == world.users["desk_a"].id
    assert ("person", "name") not in changes  # unchanged fields leave no trace
    page = client.get(f"/persons/{person.id}").get_data(as_text=True)
    assert "Riwayat perubahan data" in page and "+6281298765432" in page
    page = client.get(f"/households/{person.household_id}").get_data(as_text=True)
    assert "3204********7890" in page and "3204051234567890" not in page and "Desk.A" in page


def test_name_search_is_partial_and_ignores_case_and_accents(client, auth, world):
    make_person(name="Dédé  Sukmawati", name_search=m.normalize_name("Dédé  Sukmawati"))
    db.session.commit()
    assert m.normalize_name("  Dédé  SUKMAwati ") == "dede sukmawati"
    auth.login("desk.a")
    html = client.get("/search?q=DEDE sukma").get_data(as_text=True)
    assert "Dédé  Sukmawati" in html
    html = client.get("/search?q=kmaw").get_data(as_text=True)
    assert "Sukmawati" in html
    assert "Budi Santoso" not in client.get("/search?q=budi").get_data(as_text=True)


def test_search_by_code_nik_kk_and_phone(client, auth, world):
    household = m.Household(village_code=VILLAGE_A, kk_number="3204050101010001")
    make_person(name="Ujang", nik="3204051705800001", phone="+6281311112222", household=household)
    db.session.commit()
    auth.login("desk.a")
    code = world.case_a.tracking_code
    assert code[:4] in client.get(f"/search?q={code[:4]}-{code[4:8]}-{code[8:].lower()}").get_data(
        as_text=True
    )
    for q in ("3204051705800001", "3204050101010001", "0813-1111-2222", "+62 813 1111 2222"):
        assert "Ujang" in client.get(f"/search?q={q}", follow_redirects=True).get_data(as_text=True), q
    other = client.get(f"/search?q={world.case_b.tracking_code}").get_data(as_text=True)
    assert "Tidak ada kasus dengan kode ini" in other and "Budi" not in other


def test_find_step_shows_matches_or_goes_straight_to_registration(client, auth, world):
    auth.login("desk.a")
    found = client.get("/cases/new?name=siti&birth_date=1980-05-17").get_data(as_text=True)
    assert "Siti Aminah" in found and "Pilih" in found
    fresh = client.get("/cases/new?name=Wati&birth_date=1985-03-02").get_data(as_text=True)
    assert 'name="idempotency_key"' in fresh and 'value="Wati"' in fresh


JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def test_attachments_are_checked_by_content_and_served_only_in_scope(client, auth, world, app):
    auth.login("desk.a")
    data = intake_form(
        file_ktp=(io.BytesIO(JPEG), "ktp.pdf"),  # the name lies; the content is a JPEG
        file_house=[(io.BytesIO(PNG), "rumah.png")],
    )
    assert post_intake(auth, data, content_type="multipart/form-data").status_code == 302
    case = new_case()
    kinds = {(a.kind.value, a.content_type) for a in case.attachments}
    assert kinds == {("ktp", "image/jpeg"), ("house", "image/png")}
    stored = case.attachments[0]
    assert app.config["UPLOAD_DIR"] in str(uploads.attachment_path(stored))
    assert "static" not in str(uploads.attachment_path(stored))
    response = client.get(f"/attachments/{stored.id}")
    assert response.status_code == 200 and response.data == JPEG
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    client.post("/logout", data={"csrf_token": auth.csrf("/")})
    auth.login("desk.b")
    assert client.get(f"/attachments/{stored.id}").status_code == 404


def test_attachments_that_are_not_images_or_pdf_or_too_big_are_refused(client, auth, world):
    auth.login("desk.a")
    before = count(m.Case)
    data = intake_form(
        file_ktp=(io.BytesIO(b"MZ\x90\x00 not an image"), "ktp.jpg"),
        file_kk=(io.BytesIO(b"%PDF-" + b"0" * (5 * 1024 * 1024)), "kk.pdf"),
    )
    response = post_intake(auth, data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ktp.jpg bukan JPEG, PNG atau PDF" in html and "kk.pdf lebih dari 5 MB" in html
    assert count(m.Case) == before and count(m.Attachment) == 0


def test_home_lists_todays_visitors_fast_track_first(client, auth, world):
    make_case(VILLAGE_A, world.office_a, reporter=make_person(name="Biasa Saja"))
    make_case(VILLAGE_A, world.office_a, reporter=make_person(name="Nenek Prioritas"), urgent=True)
    db.session.commit()
    auth.login("desk.a")
    html = client.get("/").get_data(as_text=True)
    today = html.split("Pengunjung hari ini")[1].split("Kasus terbuka")[0]
    assert today.index("Nenek Prioritas") < today.index("Biasa Saja")
    assert 'action="/search"' in html


def test_agency_officer_cannot_open_the_new_case_form_or_search(client, auth, world):
    auth.login("dinsos")
    assert client.get("/cases/new").status_code == 403
    assert client.get("/search?q=siti").status_code == 403


def test_fast_track_rules(world):
    cat = db.session.get(m.Need.category.property.mapper.class_, "kekerasan")
    facts = registration.PersonFacts("A", date(1950, 1, 1), m.Disability.NONE, False)
    assert registration.fast_track_reasons([facts], [], date(2026, 1, 1))
    young = registration.PersonFacts("B", date(2000, 1, 1), m.Disability.NONE, False)
    assert registration.fast_track_reasons([young], [], date(2026, 1, 1)) == []
    assert registration.fast_track_reasons([young], [cat], date(2026, 1, 1))
    severe = registration.PersonFacts("C", None, m.Disability.SEVERE, False)
    pregnant = registration.PersonFacts("D", None, m.Disability.NONE, True)
    assert len(registration.fast_track_reasons([severe, pregnant], [], date(2026, 1, 1))) == 2


def test_name_search_needs_three_letters_and_caps_very_common_names(client, auth, world, monkeypatch):
    auth.login("desk.a")
    assert "minimal 3 huruf" in client.get("/search?q=si").get_data(as_text=True)
    for i in range(4):
        make_person(name=f"Asep {i}", name_search=f"asep {i}")
    db.session.commit()
    monkeypatch.setattr(search, "MAX_NAME_MATCHES", 3)
    html = client.get("/search?q=asep").get_data(as_text=True)
    assert "Terlalu banyak yang cocok" in html and html.count("Asep ") == 3


def test_a_key_reused_by_a_case_outside_the_scope_saves_nothing_and_explains(client, auth, world):
    world.case_b.idempotency_key = "stolen"
    db.session.commit()
    auth.login("desk.a")
    before = count(m.Case)
    response = post_intake(auth, intake_form(idempotency_key="stolen"))
    assert response.status_code == 409 and "tidak ada yang tersimpan" in response.get_data(as_text=True)
    assert count(m.Case) == before


def test_a_regency_officer_moving_a_household_moves_its_members_scope(client, auth, world):
    person = world.case_a.reporter
    child = make_person(name="Anak Siti", household=person.household)
    db.session.commit()
    auth.login("slrt.bdg")
    data = intake_form(
        person_id=str(person.id),
        name=person.name,
        birth_date="1980-05-17",
        village_code=VILLAGE_B,
        duplicate_reason="Pindah desa",
        **{"needs-1-category": "", "needs-1-description": ""},
    )
    assert post_intake(auth, data).status_code == 302
    db.session.expire_all()
    assert {person.village_code, child.village_code, person.household.village_code} == {VILLAGE_B}
    assert post_intake(auth, {**data, "person_id": "abc", "idempotency_key": "k9"}).status_code == 422


def test_every_person_is_searchable_by_an_accent_free_name_however_it_was_created(app):
    from slrt.extensions import db
    from slrt.intake.models import Household, Person

    person = Person(
        name="  Dédé   SUKMAWATI ",
        village_code="32.04.05.2001",
        household=Household(village_code="32.04.05.2001"),
    )
    db.session.add(person)
    db.session.flush()
    assert person.name_search == "dede sukmawati"
    person.name = "Ëndang Rahayu"
    assert person.name_search == "endang rahayu"


def test_long_lists_page_with_the_shared_pager(client, auth, world):
    from slrt.extensions import db
    from tests.factories import make_case

    for _ in range(25):
        make_case(office=world.office_a)
    db.session.commit()
    auth.login("desk.a")
    first = client.get("/").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first and 'href="/?page=2"' in first
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Halaman 2 dari 2" in second and 'href="/?page=1"' in second and "page=3" not in second
