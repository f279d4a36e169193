"""Helpers for intake tests: a complete new-case form, ready to post."""

from __future__ import annotations

import re
from typing import Any

from tests.factories import VILLAGE_A

KEY_RE = re.compile(r'name="idempotency_key" type="hidden" value="([^"]+)"')


def intake_form(**overrides: Any) -> dict[str, Any]:
    """A new visitor without NIK, with two needs and consent, in village A."""
    data = {
        "consent": "y",
        "consent_by": "self",
        "nik": "",
        "nik_missing_reason": "never_registered",
        "kk_number": "",
        "name": "Wati Suryani",
        "birth_date": "1985-03-02",
        "sex": "P",
        "phone": "0812-3456-7890",
        "relationship": "head",
        "disability": "none",
        "schooling": "",
        "village_code": VILLAGE_A,
        "rt": "3",
        "rw": "7",
        "street": "Kp. Babakan No. 5",
        "in_dtsen": "",
        "desil": "",
        "programmes_other": "",
        "channel": "walk_in",
        "case_type": "need",
        "needs-0-category": "pangan",
        "needs-0-description": "Beras habis",
        "needs-0-person": "self",
        "needs-1-category": "pendidikan",
        "needs-1-description": "Seragam anak",
        "needs-1-person": "m0",
        "needs-2-category": "",
        "members-0-name": "Dede",
        "members-0-birth_date": "2014-06-01",
        "members-0-sex": "L",
        "members-0-relationship": "child",
        "members-0-disability": "none",
        "members-0-schooling": "in_school",
        "urgency": "auto",
        "urgency_reason": "",
        "answer": "",
        "idempotency_key": "key-1",
        # The officer has checked the duplicate warning (issue 18): many tests register the same
        # visitor twice on purpose. Pass not_duplicate=None to see the warning.
        "not_duplicate": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post_intake(auth, data: dict[str, Any], **kwargs: Any):
    return auth.post("/cases/new", data, page="/cases/new?new=1", **kwargs)
