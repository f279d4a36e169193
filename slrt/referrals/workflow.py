"""The referral state machine as data: which transitions exist and which roles may make each.

Plain Python (no Flask, no database): `slrt.referrals.transitions.transition` applies it, the pages
and the API ask it which actions to offer, and the tests generate every case from `TRANSITIONS`.
Scope (which referrals a user may touch at all) is checked by the service with
`slrt.core.access.can_view`: a desk officer only sees its own village's referrals, an agency
officer only those addressed to its agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from slrt.core.permissions import Permission, Role, roles_with
from slrt.referrals.models import ReferralStatus as S

# The sides of the state machine, as the permission table names them.
DESK_SIDE = roles_with(Permission.SEND_REFERRALS)
APPROVERS = roles_with(Permission.APPROVE_REFERRALS)
AGENCY = roles_with(Permission.RECEIVE_REFERRALS)
REOPEN_DAYS = 30  # an appeal is possible within 30 days of closing


@dataclass(frozen=True)
class Rule:
    roles: frozenset
    needs_note: bool = False  # a written note is required (send back, return, cancel)
    needs_reason: bool = False  # a reject reason
    needs_outcome: bool = False  # resolved: granted / service delivered / not granted
    needs_agency: bool = False  # re-send to another agency
    only_with_approval: bool | None = None  # True: only offices that require approval; False: only not


TRANSITIONS: dict[tuple[S, S], Rule] = {
    # The desk sends; an office that requires approval holds it for a coordinator or SLRT manager.
    (S.DRAFT, S.AWAITING_APPROVAL): Rule(frozenset({Role.DESK}), only_with_approval=True),
    (S.DRAFT, S.SENT): Rule(DESK_SIDE),
    (S.DRAFT, S.CANCELLED): Rule(DESK_SIDE, needs_note=True),
    (S.AWAITING_APPROVAL, S.SENT): Rule(APPROVERS),
    (S.AWAITING_APPROVAL, S.DRAFT): Rule(APPROVERS, needs_note=True),
    (S.AWAITING_APPROVAL, S.CANCELLED): Rule(DESK_SIDE, needs_note=True),
    # The addressed agency answers.
    (S.SENT, S.ACCEPTED): Rule(AGENCY),
    (S.SENT, S.REJECTED): Rule(AGENCY, needs_reason=True),
    (S.SENT, S.RETURNED): Rule(AGENCY, needs_note=True),
    (S.SENT, S.CANCELLED): Rule(DESK_SIDE, needs_note=True),
    (S.ACCEPTED, S.IN_PROGRESS): Rule(AGENCY),
    (S.ACCEPTED, S.WAITING_CITIZEN): Rule(AGENCY, needs_note=True),
    (S.ACCEPTED, S.RESOLVED): Rule(AGENCY, needs_outcome=True),
    (S.ACCEPTED, S.RETURNED): Rule(AGENCY, needs_note=True),
    (S.IN_PROGRESS, S.WAITING_CITIZEN): Rule(AGENCY, needs_note=True),
    (S.IN_PROGRESS, S.RESOLVED): Rule(AGENCY, needs_outcome=True),
    (S.IN_PROGRESS, S.RETURNED): Rule(AGENCY, needs_note=True),
    (S.WAITING_CITIZEN, S.IN_PROGRESS): Rule(AGENCY),
    (S.WAITING_CITIZEN, S.RESOLVED): Rule(AGENCY, needs_outcome=True),
    # Back at the desk: re-send to another agency (history kept) or withdraw.
    (S.RETURNED, S.AWAITING_APPROVAL): Rule(
        frozenset({Role.DESK}), needs_agency=True, only_with_approval=True
    ),
    (S.RETURNED, S.SENT): Rule(DESK_SIDE, needs_agency=True),
    (S.RETURNED, S.CANCELLED): Rule(DESK_SIDE, needs_note=True),
    # Appeal (banding): reopen within REOPEN_DAYS of closing; the agency answers again.
    (S.RESOLVED, S.SENT): Rule(frozenset({Role.DESK, Role.COORDINATOR}), needs_note=True),
    (S.REJECTED, S.SENT): Rule(frozenset({Role.DESK, Role.COORDINATOR}), needs_note=True),
}

REOPENING = frozenset({(S.RESOLVED, S.SENT), (S.REJECTED, S.SENT)})


def within_reopen_window(closed_at: datetime | None, today: date) -> bool:
    """A closed referral may be reopened (appealed) until REOPEN_DAYS after the day it closed."""
    closed = closed_at.date() if closed_at else None
    return closed is not None and (today - closed).days <= REOPEN_DAYS


# Every role that makes some transition; the others are offered none.
ACTORS = frozenset().union(*(rule.roles for rule in TRANSITIONS.values()))


def rule_for(current: S, to: S, role: Role, requires_approval: bool) -> Rule | None:
    """The rule that lets `role` move a referral from `current` to `to`, or None."""
    rule = TRANSITIONS.get((current, to))
    if rule is None or role not in rule.roles:
        return None
    if rule.only_with_approval is not None and rule.only_with_approval != requires_approval:
        return None
    # A desk officer at an office that requires approval cannot send on its own.
    if role is Role.DESK and to is S.SENT and requires_approval and current in (S.DRAFT, S.RETURNED):
        return None
    return rule


def resolve_target(current: S, to: S, role: Role, requires_approval: bool) -> S:
    """'Send' means 'ask for approval' for a desk officer at an office that requires approval."""
    if to is S.SENT and role is Role.DESK and requires_approval and current in (S.DRAFT, S.RETURNED):
        return S.AWAITING_APPROVAL
    return to


def allowed_targets(current: S, role: Role, requires_approval: bool) -> list[S]:
    return [
        to
        for (frm, to) in TRANSITIONS
        if frm is current and rule_for(current, to, role, requires_approval) is not None
    ]
