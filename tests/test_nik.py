from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slrt.core.nik import check_nik

TODAY = date(2026, 11, 22)


def test_valid_male_nik_gives_sex_and_birth_date():
    result = check_nik("3204051705800003", today=TODAY)
    assert result.valid, result.errors
    assert result.sex == "L"
    assert result.birth_date == date(1980, 5, 17)


def test_women_have_forty_added_to_the_day():
    result = check_nik("3204 0557 0580 0003", today=TODAY)
    assert result.valid
    assert result.sex == "P"
    assert result.birth_date == date(1980, 5, 17)


@pytest.mark.parametrize(
    ("nik", "fragment"),
    [
        ("320405170580000", "16 digit"),
        ("32040517058000AB", "16 digit"),
        ("9904051705800003", "provinsi"),
        ("3200001705800003", "00"),
        ("3204053102800003", "Tanggal lahir"),
        ("3204057205800003", "Tanggal lahir"),
        ("3204051705800000", "0000"),
        ("3204051712260003", "masa depan"),
    ],
)
def test_impossible_niks_are_refused_with_an_indonesian_message(nik, fragment, app):
    with app.test_request_context():
        result = check_nik(nik, today=TODAY)
        assert not result.valid
        assert any(fragment in e for e in result.errors), result.errors


@given(st.text(max_size=30))
def test_any_text_gives_an_answer_not_an_exception(text):
    result = check_nik(text, today=TODAY)
    assert result.valid or result.errors
