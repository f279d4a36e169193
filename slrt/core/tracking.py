"""Public tracking codes: unguessable, readable over the phone, self-checking.

A code is 11 Crockford base32 symbols plus Crockford's mod-37 check symbol, printed in groups:
``7K4Q-X9MZ-P3CA``. New codes are drawn again until the check symbol is a plain letter or digit
(never ``*~$=U``, awkward over the phone), which leaves 54.8 random bits, above the 50
required. Because 37 is prime and larger than 32, the check catches every single mistyped
symbol and every swap of two neighbouring symbols. Parsing forgives case, spaces and
hyphens, and reads O as 0 and I/L as 1, as Crockford intends.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_LENGTH = 11
_VALUE = {c: i for i, c in enumerate(CHECK_ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class InvalidCode(ValueError):
    """The text is not a tracking code (wrong length, symbol or check symbol)."""


def check_symbol(data: str) -> str:
    value = 0
    for char in data:
        value = value * 32 + _VALUE[char]
    return CHECK_ALPHABET[value % 37]


def generate() -> str:
    """A new code in its compact form (12 symbols, no hyphens)."""
    while True:
        data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
        check = check_symbol(data)
        if check in ALPHABET:
            return data + check


def normalize(text: str) -> str:
    """The compact form of a typed code, or InvalidCode. No database is touched."""
    compact = "".join(text.split()).replace("-", "").upper().translate(_ALIASES)
    if len(compact) != DATA_LENGTH + 1:
        raise InvalidCode("length")
    data, check = compact[:DATA_LENGTH], compact[DATA_LENGTH]
    if any(c not in ALPHABET for c in data) or check not in CHECK_ALPHABET:
        raise InvalidCode("symbol")
    if check_symbol(data) != check:
        raise InvalidCode("check")
    return compact


def is_valid(text: str) -> bool:
    try:
        normalize(text)
    except InvalidCode:
        return False
    return True


def display(code: str) -> str:
    """Groups of four for print and speech: 7K4Q-X9MZ-P3CA."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
