"""Each need's own state, and whether a case may close (issue 16: follow-up until every need
has an answer). A case whose ADMINDUK referral was resolved closed itself with two needs never
referred; a case now closes only when every need has a closed state.

States (computed from the case and its referrals):
    answered  the desk answered it at once (a question closed at the desk)
    referred  at least one of its referrals is still open
    closed    every referral of it is closed (resolved, rejected or cancelled)
    open      nothing done yet: no referral, no answer
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from slrt.intake.models import Case, Need
from slrt.referrals.models import CLOSED_STATUSES, Referral


class NeedState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    REFERRED = "referred"
    CLOSED = "closed"


NEED_STATE_LABELS = {
    NeedState.OPEN: _l("Belum ditindaklanjuti"),
    NeedState.ANSWERED: _l("Dijawab di desk"),
    NeedState.REFERRED: _l("Dirujuk"),
    NeedState.CLOSED: _l("Selesai"),
}
CLOSED_NEED_STATES = frozenset({NeedState.ANSWERED, NeedState.CLOSED})


def need_states(case: Case, referrals: Iterable[Referral]) -> dict[int, NeedState]:
    """need id -> its state, from the case's referrals (passed in: the caller has read them)."""
    by_need: dict[int, list[Referral]] = {}
    for referral in referrals:
        by_need.setdefault(referral.need_id, []).append(referral)
    return {need.id: _state(case, need, by_need.get(need.id, [])) for need in case.needs}


def _state(case: Case, need: Need, referrals: list[Referral]) -> NeedState:
    if referrals:
        if any(r.status not in CLOSED_STATUSES for r in referrals):
            return NeedState.REFERRED
        return NeedState.CLOSED
    if case.answer:
        return NeedState.ANSWERED
    return NeedState.OPEN


def every_need_answered(case: Case, referrals: Iterable[Referral]) -> bool:
    """True when every need of the case is in a closed state (so the case may close)."""
    return all(state in CLOSED_NEED_STATES for state in need_states(case, referrals).values())
