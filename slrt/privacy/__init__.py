"""Privacy (UU 27/2022): revealing protected numbers, data-subject exports, consent, erasure and
retention, key rotation."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
