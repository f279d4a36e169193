"""English that is complete and dates that read one way (issue 20 item 13): the desk's need
list in the chosen language, every date day before month, in the office's time zone."""

import re
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from slrt.core.web import local_date, local_datetime
from tests.test_privacy import login_as

# 21.13 UTC on 1 December is 04.13 on 2 December in the office (Asia/Jakarta, UTC+7).
LATE_EVENING_UTC = datetime(2026, 12, 1, 21, 13, tzinfo=UTC)
US_STYLE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{1,2}:\d{2}\s?[AP]M\b")


@pytest.mark.parametrize(("lang", "expected"), [("en", "2 Dec 2026 04.13"), ("id", "2 Des 2026 04.13")])
def test_a_timestamp_reads_day_first_in_the_offices_time_zone(app, lang, expected):
    with app.test_request_context(), force_locale(lang):
        assert local_datetime(LATE_EVENING_UTC, "short") == expected
        assert local_datetime(LATE_EVENING_UTC) == expected


@pytest.mark.parametrize(
    ("lang", "size", "expected"),
    [
        ("en", "short", "2 Dec 2026"),
        ("en", "medium", "2 Dec 2026"),
        ("en", "long", "2 December 2026"),
        ("en", "full", "Wednesday, 2 December 2026"),
        ("id", "long", "2 Desember 2026"),
        ("id", "full", "Rabu, 2 Desember 2026"),
        ("en", "MMM yyyy", "Dec 2026"),
    ],
)
def test_a_date_reads_day_first_in_every_size(app, lang, size, expected):
    with app.test_request_context(), force_locale(lang):
        assert local_date(date(2026, 12, 2), size) == expected


def test_the_local_day_of_a_timestamp_is_the_offices_day(app):
    with app.test_request_context(), force_locale("en"):
        assert local_date(LATE_EVENING_UTC) == "2 Dec 2026"


def test_a_missing_date_shows_a_dash(app):
    with app.test_request_context():
        assert local_date(None) == "–" and local_datetime(None) == "–"


def test_the_desk_need_list_is_english_when_english_is_chosen(client, auth, world):
    login_as(auth, "desk.a")
    english = client.get("/cases/new?new=1&lang=en").get_data(as_text=True)
    assert ">Food needs<" in english and ">Kebutuhan pangan<" not in english
    indonesian = client.get("/cases/new?new=1&lang=id").get_data(as_text=True)
    assert ">Kebutuhan pangan<" in indonesian


@pytest.mark.parametrize(
    ("path", "dated"), [("/", True), ("/cases/{case}", True), ("/referrals/{referral}", False)]
)
def test_desk_pages_in_english_show_no_month_first_dates(client, auth, world, path, dated):
    login_as(auth, "desk.a")
    url = path.format(case=world.case_a.id, referral=world.referral_a.id) + "?lang=en"
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert not US_STYLE.findall(page)
    assert not dated or re.search(
        r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b", page
    )
