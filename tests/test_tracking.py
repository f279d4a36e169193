import pytest
from hypothesis import given
from hypothesis import strategies as st

from slrt.core import tracking

data_codes = st.text(alphabet=tracking.ALPHABET, min_size=11, max_size=11)


def with_check(data: str) -> str:
    return data + tracking.check_symbol(data)


def test_generated_codes_are_valid_and_distinct():
    codes = {tracking.generate() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(tracking.is_valid(c) and len(c) == 12 and c[-1] in tracking.ALPHABET for c in codes)


def test_display_groups_of_four():
    assert tracking.display("7K4QX9MZP3CA") == "7K4Q-X9MZ-P3CA"


@given(data_codes)
def test_parsing_forgives_case_spaces_hyphens_and_lookalikes(data):
    code = with_check(data)
    typed = tracking.display(code).lower().replace("0", "o").replace("1", "l")
    assert tracking.normalize(" " + typed.replace("-", " - ") + " ") == code


@given(data_codes, st.integers(0, 11), st.sampled_from(tracking.CHECK_ALPHABET))
def test_check_catches_every_single_substitution(data, position, symbol):
    code = with_check(data)
    if position == 11 and symbol == code[11]:
        return
    if position < 11 and (symbol == code[position] or symbol not in tracking.ALPHABET):
        return
    mistyped = code[:position] + symbol + code[position + 1 :]
    assert not tracking.is_valid(mistyped)


@given(data_codes, st.integers(0, 10))
def test_check_catches_every_swap_of_neighbours(data, position):
    code = with_check(data)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    if swapped == code:
        return
    assert not tracking.is_valid(swapped)


@pytest.mark.parametrize("text", ["", "123", "7K4Q-X9MZ-P3CAA", "7K4Q-X9MZ-P!CA", "UUUU-UUUU-UUU0"])
def test_malformed_codes_are_refused(text):
    assert not tracking.is_valid(text)
