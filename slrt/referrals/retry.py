"""An inline action form that comes back after a refusal keeps what was chosen and typed, with
each message at its field (issue 20 item 2). The action forms sit folded inside a referral's
row or page (templates/referrals/_macros.html) and post to one view, which redirects back;
the refused form's values and problems ride the session across that redirect, once."""

from __future__ import annotations

from typing import Any

from flask import g, session

KEY = "slrt_retry"
FIELDS = ("note", "message", "reason", "outcome", "agency_id", "confirm_unknown")


def keep(referral_id: int, to: str | None, values: Any, errors: dict[str | None, list[str]]) -> None:
    """Remembers a refused form for the next page: values by field, messages by field (None:
    the form as a whole)."""
    session[KEY] = {
        "referral": referral_id,
        "to": to or "",
        "values": {name: values.get(name, "") for name in FIELDS},
        "errors": {("" if k is None else k): [str(m) for m in v] for k, v in errors.items()},
    }


def retry_for(referral_id: int, to: str) -> dict[str, Any] | None:
    """Template global: the refused form of this referral and action, if the last post was one.
    Read once per request (a page may draw the same form twice), then gone."""
    if "slrt_retry" not in g:
        g.slrt_retry = session.pop(KEY, None)
    kept = g.slrt_retry
    if kept and kept["referral"] == referral_id and kept["to"] == to:
        return kept
    return None
