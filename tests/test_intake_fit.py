"""Intake that fits the person: as many needs as the citizen has, a birth year when the date is
not known, and fields only where they can change something (issue 16, point 7).

Dates are taken from the office's today (local_today), so the tests never age."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from slrt.core import ages
from slrt.core.workdays import local_today
from slrt.extensions import db
from slrt.intake import models as m
from slrt.intake import visit_form
from slrt.routing import facts
from tests.intake_factories import intake_form, post_intake


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def new_case() -> m.Case:
    stmt = sa.select(m.Case).where(m.Case.idempotency_key.is_not(None))
    return db.session.scalars(stmt.order_by(m.Case.id.desc())).first()


def years_ago(n: int) -> str:
    return str(local_today().year - n)


def exact_age(n: int) -> str:
    """An exact birth date that makes someone `n` today (a birthday a month ago or so)."""
    today = local_today()
    born = date(today.year - n, 1, 1) if today.month > 1 else date(today.year - n - 1, 12, 1)
    return born.isoformat()


ONE_NEED = {"needs-1-category": "", "needs-1-description": ""}


def field_errors(html: str, field_id: str) -> list[str]:
    """The messages shown beside one field (not the summary at the top)."""
    start = html.index(f'id="{field_id}"')
    block = html[start : html.index("</div>", start)]
    return re.findall(r'<p class="field-error">([^<]+)</p>', block)


# --- birth year -------------------------------------------------------------------------------


def test_a_year_only_birth_is_stored_as_1_july_with_its_precision(client, auth, world):
    auth.login("desk.a")
    data = intake_form(birth_date="", birth_precision="year", birth_year=years_ago(74), **ONE_NEED)
    assert post_intake(auth, data).status_code == 302
    person = new_case().reporter
    assert person.birth_date == date(local_today().year - 74, 7, 1)
    assert person.birth_precision is m.BirthPrecision.YEAR
    # 73 or 74: known to be 70+, so the visit goes to the fast track, saying what is known.
    assert new_case().urgent and "Lansia 73 sampai 74 tahun" in new_case().urgency_reason


def test_about_a_year_is_stored_as_about(client, auth, world):
    auth.login("desk.a")
    data = intake_form(birth_date="", birth_precision="about", birth_year=years_ago(50), **ONE_NEED)
    assert post_intake(auth, data).status_code == 302
    person = new_case().reporter
    assert (
        person.birth_precision is m.BirthPrecision.ABOUT and person.birth_date.year == local_today().year - 50
    )


def test_a_year_typed_alone_means_year_only_without_the_script(client, auth, world):
    auth.login("desk.a")
    data = intake_form(birth_date="", birth_precision="day", birth_year=years_ago(60), **ONE_NEED)
    assert post_intake(auth, data).status_code == 302
    assert new_case().reporter.birth_precision is m.BirthPrecision.YEAR


def test_an_exact_date_is_stored_with_day_precision(client, auth, world):
    auth.login("desk.a")
    assert post_intake(auth, intake_form(birth_date=exact_age(40), **ONE_NEED)).status_code == 302
    assert new_case().reporter.birth_precision is m.BirthPrecision.DAY


def test_a_birth_year_in_the_future_or_badly_written_is_refused_at_the_field(client, auth, world):
    auth.login("desk.a")
    before = (count(m.Case), count(m.Person))
    future = str(local_today().year + 1)
    for year, message in (
        (future, "Tahun lahir tidak boleh di masa depan"),
        ("52", "4 angka"),
        ("1850", "lampau"),
    ):
        data = intake_form(birth_date="", birth_precision="year", birth_year=year, **ONE_NEED)
        response = post_intake(auth, data)
        assert response.status_code == 422, year
        html = response.get_data(as_text=True)
        assert [e for e in field_errors(html, "birth_year") if message in e], year
        assert f'value="{year}"' in html  # what was typed stays
    missing = post_intake(auth, intake_form(birth_date="", birth_precision="year", **ONE_NEED))
    assert "Isi tahun lahir" in missing.get_data(as_text=True)
    assert (count(m.Case), count(m.Person)) == before


def test_the_messages_are_english_for_an_english_reader(client, auth, world):
    auth.login("desk.a")
    client.get("/?lang=en")
    auth.post("/lang/en", {"next": "/"}, page="/")
    data = intake_form(
        birth_date="", birth_precision="year", birth_year=str(local_today().year + 1), **ONE_NEED
    )
    html = post_intake(auth, data).get_data(as_text=True)
    assert "Tahun lahir tidak boleh" not in html
    assert field_errors(html, "birth_year")  # the message, in English, beside the field


def test_an_invalid_date_gives_one_message_and_no_derived_one(client, auth, world):
    """A date in the future would make a negative age, which the consent rule read as a child."""
    auth.login("desk.a")
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    for bad in (tomorrow, "2020-02-31"):
        html = post_intake(auth, intake_form(birth_date=bad, **ONE_NEED)).get_data(as_text=True)
        assert len(field_errors(html, "birth_date")) == 1, bad
        assert "Warga di bawah 18 tahun" not in html and html.count("field-error") == 1, bad


# --- fields only where they can change something --------------------------------------------


def test_pregnancy_that_cannot_apply_is_ignored_not_an_error(client, auth, world):
    auth.login("desk.a")
    man = intake_form(sex="L", pregnant="y", birth_date=exact_age(30), **ONE_NEED)
    assert post_intake(auth, man).status_code == 302
    assert new_case().reporter.pregnant is False and not new_case().urgent
    widow = intake_form(
        idempotency_key="k2",
        pregnant="y",
        birth_date="",
        birth_precision="year",
        birth_year=years_ago(74),
        **ONE_NEED,
    )
    assert post_intake(auth, widow).status_code == 302
    assert new_case().reporter.pregnant is False and "Hamil" not in new_case().urgency_reason
    young = intake_form(idempotency_key="k3", pregnant="y", birth_date=exact_age(30), **ONE_NEED)
    assert post_intake(auth, young).status_code == 302
    assert new_case().reporter.pregnant is True and "Hamil" in new_case().urgency_reason


def test_schooling_is_kept_for_school_ages_only(client, auth, world):
    auth.login("desk.a")
    data = intake_form(
        schooling="not_in_school",
        birth_date=exact_age(40),
        **{
            "members-0-birth_date": "",
            "members-0-birth_precision": "year",
            "members-0-birth_year": years_ago(10),
        },
    )
    assert post_intake(auth, data).status_code == 302
    case = new_case()
    grandson = next(p for p in case.household.members if p.name == "Dede")
    assert case.reporter.schooling is None
    assert grandson.schooling is m.Schooling.IN_SCHOOL and grandson.birth_precision is m.BirthPrecision.YEAR
    # A member's pregnancy that cannot apply (a boy of 10) is ignored the same way.
    assert grandson.pregnant is False


def test_guardian_consent_is_for_minors_only(client, auth, world):
    auth.login("desk.a")
    adult = intake_form(
        consent_by="guardian", guardian_name="Ibu Siapa", birth_date=exact_age(40), **ONE_NEED
    )
    assert post_intake(auth, adult).status_code == 302
    assert new_case().consent_by is m.ConsentBy.SELF
    child = intake_form(idempotency_key="k2", birth_date=exact_age(12), relationship="child", **ONE_NEED)
    assert "orang tua atau wali" in post_intake(auth, child).get_data(as_text=True)


def test_the_form_marks_each_conditional_field_for_the_script(client, auth, world):
    auth.login("desk.a")
    html = client.get("/cases/new?new=1").get_data(as_text=True)
    for when in ("day", "year", "school", "pregnancy", "minor"):
        assert f'data-when="{when}"' in html, when
    assert f'data-today="{local_today().isoformat()}"' in html
    assert 'id="birth_year"' in html and 'id="members-0-birth_precision"' in html


def test_a_known_person_born_in_a_year_only_shows_the_year(client, auth, world):
    person = world.case_a.reporter
    person.birth_date, person.birth_precision = date(local_today().year - 74, 7, 1), m.BirthPrecision.YEAR
    db.session.flush()
    auth.login("desk.a")
    html = client.get(f"/cases/new?person_id={person.id}").get_data(as_text=True)
    year_input = re.search(r'<input[^>]*id="birth_year"[^>]*>', html).group(0)
    assert f'value="{local_today().year - 74}"' in year_input
    assert '<option selected value="year">' in html


# --- as many needs as the citizen has --------------------------------------------------------


def need_rows(n: int, start: int = 0) -> dict[str, str]:
    codes = ["pangan", "kesehatan.jaminan", "rumah", "adminduk", "pendidikan"]
    return {
        f"needs-{i}-{k}": v
        for i in range(start, n)
        for k, v in (
            ("category", codes[i % len(codes)]),
            ("person", "self"),
            ("description", f"Kebutuhan {i}"),
        )
    }


def test_twenty_needs_are_saved_and_a_twenty_first_is_refused_with_a_message(client, auth, world):
    auth.login("desk.a")
    limit = visit_form.MAX_NEEDS
    data = intake_form(**need_rows(limit))
    assert post_intake(auth, data).status_code == 302
    assert len(new_case().needs) == limit
    before = count(m.Case)
    over = intake_form(idempotency_key="k2", **need_rows(limit + 1))
    response = post_intake(auth, over)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and count(m.Case) == before
    assert field_errors(html, f"needs-{limit}-category") == [
        f"Satu kunjungan paling banyak {limit} kebutuhan. Kosongkan kebutuhan ke-{limit + 1} dan "
        "seterusnya, lalu catat sebagai kunjungan baru."
    ]
    assert f'value="Kebutuhan {limit}"' not in html or f"Kebutuhan {limit}</textarea>" in html


def test_adding_a_row_without_the_script_keeps_everything_and_saves_nothing(client, auth, world):
    auth.login("desk.a")
    before = (count(m.Case), count(m.Person))
    data = intake_form(birth_date="", birth_precision="year", birth_year=years_ago(74), add_row="needs")
    response = post_intake(auth, data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="needs-3-category"' in html and 'id="needs-4-category"' not in html
    assert 'value="Wati Suryani"' in html and "Beras habis</textarea>" in html
    assert f'value="{years_ago(74)}"' in html and 'class="field-error"' not in html
    assert (count(m.Case), count(m.Person)) == before
    members = post_intake(auth, intake_form(add_row="members")).get_data(as_text=True)
    assert 'id="members-3-name"' in members and '<option value="m3">' in members


def test_no_row_is_added_past_the_limit_and_the_page_says_why(client, auth, world):
    auth.login("desk.a")
    limit = visit_form.MAX_NEEDS
    html = post_intake(auth, intake_form(add_row="needs", **need_rows(limit))).get_data(as_text=True)
    assert f'id="needs-{limit - 1}-category"' in html and f'id="needs-{limit}-category"' not in html
    assert f"Sudah {limit} kebutuhan, batas satu kunjungan." in html
    assert re.search(r'<button type="submit" class="btn" name="add_row" value="needs"[^>]* hidden>', html)


# --- one reading of ages ---------------------------------------------------------------------


def test_intake_reads_ages_as_the_routing_engine_does():
    assert ages.ABOUT_YEARS == facts.ABOUT_YEARS
    today = local_today()
    for born, precision in (
        (date(today.year - 74, 7, 1), "year"),
        (date(today.year - 56, 7, 1), "about"),
        (date(today.year - 10, 3, 4), "day"),
        (date(today.year - 10, 3, 4), None),
    ):
        person = facts.PersonData(birth_date=born, birth_precision=precision)
        engine = facts.age_of(person, today)
        low, high = (engine.low, engine.high) if isinstance(engine, facts.Interval) else (engine, engine)
        assert ages.age_bounds(born, precision, today) == (low, high), (born, precision)
    assert ages.year_only_date(today.year, today) <= today
