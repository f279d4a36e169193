"""Spam guards for the public report form, without third-party services: a hidden honeypot
field, and a signed time stamp that proves when the form was shown (too fast is a robot).

The signed token also carries the form's idempotency key, so a key is always one the server
issued and a double submit of one form files one case.
"""

from __future__ import annotations

import time

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from slrt.public.services import new_idempotency_key

SALT = "slrt.public.report"


class Refused(Exception):
    """The submission is refused; `reason` is one of "honeypot", "too_fast", "expired"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def issue_token() -> str:
    return _serializer().dumps({"k": new_idempotency_key()})


def check(token: str | None, honeypot: str | None, now: float | None = None) -> str:
    """The idempotency key of a genuine submission; raises Refused otherwise."""
    if honeypot and honeypot.strip():
        raise Refused("honeypot")
    try:
        payload, issued = _serializer().loads(
            token or "", max_age=current_app.config["SLRT_REPORT_MAX_AGE"], return_timestamp=True
        )
    except SignatureExpired as exc:
        raise Refused("expired") from exc
    except BadSignature as exc:
        raise Refused("expired") from exc
    elapsed = (now or time.time()) - issued.timestamp()
    if elapsed < current_app.config["SLRT_REPORT_MIN_SECONDS"]:
        raise Refused("too_fast")
    return payload["k"]
