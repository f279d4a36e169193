"""Each need's own state, and whether a case may close (issue 16: follow-up until every need
has an answer). A case whose ADMINDUK referral was resolved closed itself with two needs never
referred; a case now closes only when every need has a closed state.

States (computed from the case and its referrals; plain Python, the callers read the rows):
    closed_by_desk  the desk closed it on purpose, with a written reason (slrt.referrals.closure)
    referred        at least one of its own referrals is still open
    waiting         its services need a NIK the person lacks, and the prerequisite referral
                    (ADMINDUK: KTP and KK) for that person is still open
    closed          every one of its own referrals is closed (resolved, rejected or cancelled)
    answered        the desk answered it at once (a question closed at the desk)
    open            nothing done yet: no referral, no answer

A prerequisite referral (ADMINDUK chosen for a need that ADMINDUK does not itself answer, e.g.
made under the food need because BPNT waits for it) is not the need's own answer: resolving it
leaves the need open, and its waiting services then become ready ("Tindak lanjut").
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from slrt.intake.models import Case, Need
from slrt.referrals.models import CLOSED_STATUSES, Referral, ReferralStatus

PREREQUISITE_SERVICE = "ADMINDUK"  # as slrt.routing.engine.PREREQUISITE_SERVICE (a layer above)


class NeedState(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    REFERRED = "referred"
    WAITING = "waiting"
    CLOSED = "closed"
    CLOSED_BY_DESK = "closed_by_desk"


NEED_STATE_LABELS = {
    NeedState.OPEN: _l("Belum ditindaklanjuti"),
    NeedState.ANSWERED: _l("Dijawab di desk"),
    NeedState.REFERRED: _l("Dirujuk"),
    NeedState.WAITING: _l("Menunggu dokumen kependudukan"),
    NeedState.CLOSED: _l("Selesai"),
    NeedState.CLOSED_BY_DESK: _l("Ditutup desk"),
}
CLOSED_NEED_STATES = frozenset({NeedState.ANSWERED, NeedState.CLOSED, NeedState.CLOSED_BY_DESK})

# Service code -> (the need categories it answers) of the active services that need a NIK: which
# services of a need wait while the person has none. Read by slrt.referrals.followup.
NikServices = Mapping[str, Sequence[str]]


@dataclass
class NeedFollowUp:
    """One need's state, with the services that wait for the prerequisite (`waiting`) or, once it
    is met (resolved, and the NIK recorded), may now be referred (`ready`)."""

    need: Need
    state: NeedState
    waiting: list[str] = field(default_factory=list)
    ready: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(NEED_STATE_LABELS[self.state])

    @property
    def closed(self) -> bool:
        return self.state in CLOSED_NEED_STATES


def is_prerequisite_for(referral: Referral, need: Need) -> bool:
    """An ADMINDUK referral kept under a need that ADMINDUK does not itself answer."""
    service = referral.service
    return service.code == PREREQUISITE_SERVICE and need.category_code not in (service.needs or ())


def concerned_person_id(case: Case, need: Need) -> int | None:
    """Whom a need concerns: its person, else the case's reporter (as Referral.person_id)."""
    return need.person_id or case.reporter_id


def has_prerequisite(referrals: Iterable[Referral]) -> bool:
    """Does any of these referrals make a prerequisite (so the NIK services must be read)?"""
    return any(r.service.code == PREREQUISITE_SERVICE for r in referrals)


def follow_up(
    case: Case,
    referrals: Iterable[Referral],
    nik_services: NikServices | None = None,
    has_nik: Mapping[int, bool] | None = None,
) -> dict[int, NeedFollowUp]:
    """need id -> its follow-up, from the case's referrals (passed in: the caller has read them).

    `nik_services` (service code -> categories) and `has_nik` (person id -> whether a NIK is
    recorded) are needed only when a prerequisite referral is among `referrals`
    (`has_prerequisite`); without them no need is found waiting or ready. Referrals of the same
    people from other cases may be passed too: only their prerequisites are read.
    """
    referrals = list(referrals)
    nik_services = nik_services or {}
    has_nik = has_nik or {}
    by_need: dict[int, list[Referral]] = {}
    prerequisites: dict[int | None, list[Referral]] = {}
    open_elsewhere: set[tuple[int | None, str]] = set()
    for referral in referrals:
        by_need.setdefault(referral.need_id, []).append(referral)
        if referral.service.code == PREREQUISITE_SERVICE:
            prerequisites.setdefault(referral.person_id, []).append(referral)
        if referral.status not in CLOSED_STATUSES:
            open_elsewhere.add((referral.person_id, referral.service.code))
    out = {}
    for need in case.needs:
        person_id = concerned_person_id(case, need)
        own = [r for r in by_need.get(need.id, []) if not is_prerequisite_for(r, need)]
        own_codes = {r.service.code for r in own}
        nik = [
            code
            for code, categories in nik_services.items()
            if need.category_code in categories and code not in own_codes
        ]
        person_prereqs = prerequisites.get(person_id, [])
        without_nik = person_id is not None and not has_nik.get(person_id, False)
        waits = bool(nik) and without_nik and any(r.status not in CLOSED_STATUSES for r in person_prereqs)
        state = _state(case, need, own, waits)
        item = NeedFollowUp(need, state, waiting=sorted(nik) if waits else [])
        resolved = any(r.status is ReferralStatus.RESOLVED for r in person_prereqs)
        prerequisite_met = resolved and not without_nik
        if prerequisite_met and state not in CLOSED_NEED_STATES:
            item.ready = sorted(code for code in nik if (person_id, code) not in open_elsewhere)
        out[need.id] = item
    return out


def _state(case: Case, need: Need, own: list[Referral], waits: bool) -> NeedState:
    if need.closed_at is not None:
        return NeedState.CLOSED_BY_DESK
    if any(r.status not in CLOSED_STATUSES for r in own):
        return NeedState.REFERRED
    if waits:
        return NeedState.WAITING
    if own:
        return NeedState.CLOSED
    if case.answer:
        return NeedState.ANSWERED
    return NeedState.OPEN


def need_states(
    case: Case,
    referrals: Iterable[Referral],
    nik_services: NikServices | None = None,
    has_nik: Mapping[int, bool] | None = None,
) -> dict[int, NeedState]:
    """need id -> its state (see `follow_up`)."""
    return {nid: item.state for nid, item in follow_up(case, referrals, nik_services, has_nik).items()}


def every_need_answered(
    case: Case,
    referrals: Iterable[Referral],
    nik_services: NikServices | None = None,
    has_nik: Mapping[int, bool] | None = None,
) -> bool:
    """True when every need of the case is in a closed state (so the case may close)."""
    states = need_states(case, referrals, nik_services, has_nik)
    return all(state in CLOSED_NEED_STATES for state in states.values())
