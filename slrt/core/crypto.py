"""Protected identity numbers (NIK, No. KK): encryption at rest, a keyed digest for exact lookup,
and the masked form shown on pages. The one place that knows the keys.

- Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a
  MultiFernet: `SLRT_ENCRYPTION_KEYS="newest,older,..."`. New values use the newest key; values
  under an older key still decrypt until `flask keys rotate` re-encrypts them.
- Fernet is randomised (the same NIK encrypts differently every time), so SQL cannot compare
  ciphertexts: lookups and the uniqueness rule use `nik_digest`, an HMAC-SHA256 under its own
  key `SLRT_HASH_KEY`. That key does not rotate with the encryption keys: every digest (and the
  unique index on it) would have to be recomputed in one go, and any system that matched persons
  by digest (the DTSEN import) would stop matching until then. Change it only after a leak of the
  key, with the app stopped, by re-saving every value (`flask keys rotate --rehash`).
- Development and tests use the fixed, public keys below; production refuses to start with them
  (config.ProdConfig.check).
"""

from __future__ import annotations

import hmac
import re
from functools import lru_cache
from typing import Any, overload

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from config import DEV_ENCRYPTION_KEY, DEV_HASH_KEY

_NON_DIGITS = re.compile(r"[\s.\-]")


class DecryptionFailed(Exception):
    """A stored value no configured key can open: a key was removed before `flask keys rotate`."""


def parse_keys(text: str | None) -> list[str]:
    """`"newest,older"` -> ["newest", "older"]; blanks dropped."""
    return [k.strip() for k in (text or "").split(",") if k.strip()]


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def _config_keys() -> tuple[str, ...]:
    keys = current_app.config.get("ENCRYPTION_KEYS") or [DEV_ENCRYPTION_KEY]
    return tuple(parse_keys(keys) if isinstance(keys, str) else keys)


def encrypt(text: str) -> str:
    return encrypt_with(_config_keys(), text)


def encrypt_with(keys: tuple[str, ...], text: str) -> str:
    """`encrypt` under explicit keys, for bulk loaders that run outside the app (bench/dataset.py)."""
    return _multifernet(keys).encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _multifernet(_config_keys()).decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("no configured encryption key opens this value") from exc


def key_id(token: str) -> int | None:
    """Index in SLRT_ENCRYPTION_KEYS of the key that opens `token` (0 = newest)."""
    for i, key in enumerate(_config_keys()):
        try:
            Fernet(key.encode()).decrypt(token.encode("ascii"))
            return i
        except InvalidToken:
            continue
    return None


def normalize_number(number: str | None) -> str:
    """The digits of a NIK or No. KK as typed (spaces, dots, hyphens dropped)."""
    return _NON_DIGITS.sub("", number or "")


@overload
def nik_digest(nik: str) -> str: ...
@overload
def nik_digest(nik: str | None) -> str | None: ...


def nik_digest(nik: str | None) -> str | None:
    """The keyed lookup digest of a NIK (also used for No. KK): hex HMAC-SHA256 of its digits.
    Two equal numbers give the same digest; without the key it reveals nothing. The DTSEN import
    and every exact search use this against `Person.nik_hash` / `Household.kk_hash`."""
    return digest_with(current_app.config.get("HASH_KEY") or DEV_HASH_KEY, nik)


def digest_with(hash_key: str, nik: str | None) -> str | None:
    """`nik_digest` under an explicit key, for bulk loaders that run outside the app."""
    digits = normalize_number(nik)
    if not digits:
        return None
    # hmac.digest: the one-shot C path, a third of hmac.new's cost (the DTSEN import takes two
    # digests per row).
    return hmac.digest(hash_key.encode(), digits.encode(), "sha256").hex()


def mask(number: str | None) -> str:
    """`3204052001930003` -> `3204********0003`: region of issue and the last digits only."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


class EncryptedString(TypeDecorator):
    """A text column stored encrypted; Python code reads and writes plaintext."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None or value == "":
            return None
        return encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return decrypt(value)
