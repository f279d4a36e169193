"""Properties of NIK parsing over generated numbers (hypothesis): a NIK built from a region, a
birth date, a sex and a serial parses back to that date and sex; separators never matter."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from slrt.core.nik import check_nik

TODAY = date(2026, 11, 22)
births = st.dates(min_value=date(1930, 1, 1), max_value=TODAY)


def build_nik(region: str, born: date, female: bool, serial: int) -> str:
    day = born.day + (40 if female else 0)
    return f"{region}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


@given(born=births, female=st.booleans(), serial=st.integers(1, 9999))
def test_a_well_formed_nik_gives_back_its_birth_date_and_sex(born, female, serial):
    result = check_nik(build_nik("320405", born, female, serial), today=TODAY)
    assert result.valid, result.errors
    assert result.sex == ("P" if female else "L")
    assert (result.birth_date.month, result.birth_date.day, result.birth_date.year % 100) == (
        born.month,
        born.day,
        born.year % 100,
    )


@given(born=births, female=st.booleans(), serial=st.integers(1, 9999), sep=st.sampled_from([" ", ".", "-"]))
def test_separators_do_not_change_the_answer(born, female, serial, sep):
    nik = build_nik("320405", born, female, serial)
    spaced = sep.join(nik[i : i + 4] for i in range(0, 16, 4))
    assert check_nik(spaced, today=TODAY).nik == check_nik(nik, today=TODAY).nik == nik
