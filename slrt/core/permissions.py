"""What each role may do, in one table. Views ask it (`@requires`), services ask it (`has`),
templates ask it (`can('...')`) and the API gets the same answers through the services.

Which records a user may see at all is the other half of access, written once in
`slrt.core.access` (scope): a permission says what a role may do, scope says to which rows.
A few permissions also hold for an agency officer on one referral's records only (personal data,
a NIK); those object rules sit beside the scope rules (`slrt.referrals.access`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user


class Role(enum.StrEnum):
    DESK = "desk"  # Puskesos officer, one village
    COORDINATOR = "coordinator"  # approves at a Puskesos or SLRT
    SLRT = "slrt"  # regency-wide: manager, supervisor, facilitator
    AGENCY = "agency"  # only referrals addressed to its agency
    ADMIN = "admin"  # a province or the whole country


ROLE_LABELS = {
    Role.DESK: _l("Petugas Puskesos"),
    Role.COORDINATOR: _l("Koordinator"),
    Role.SLRT: _l("SLRT Kabupaten/Kota"),
    Role.AGENCY: _l("Petugas Lembaga Penerima"),
    Role.ADMIN: _l("Administrator"),
}


class Permission(enum.StrEnum):
    # The desk's work with people and cases
    REGISTER_CASES = "register_cases"  # the new-case flow
    SEE_WHOLE_CASE = "see_whole_case"  # search; the whole case, not only what a referral needs
    ROUTE_CASES = "route_cases"  # pick services and agencies for a case's needs
    CORRECT_FACTS = "correct_facts"  # edit persons and households, record DTSEN checks
    # The visitor queue (antrean): hand out numbers, call the next visitor, end a ticket
    RUN_QUEUE = "run_queue"
    SEE_PERSONAL_DATA = "see_personal_data"  # names, phones, addresses on pages and in exports
    REVEAL_IDENTITY = "reveal_identity"  # a full NIK or No. KK, after giving a reason
    # Referrals
    SEND_REFERRALS = "send_referrals"  # the desk side of the state machine (referrals/workflow.py)
    APPROVE_REFERRALS = "approve_referrals"
    SEE_APPROVALS = "see_approvals"  # the queue of referrals awaiting approval
    RECEIVE_REFERRALS = "receive_referrals"  # the agency's inbox
    WRITE_REFERRAL_NOTES = "write_referral_notes"
    INFORM_CITIZEN = "inform_citizen"  # record that the citizen was told the outcome
    SEE_REPORTS = "see_reports"  # the dashboard, the overdue list, list downloads
    # Suspected duplicates reviewed side by side, merged (with undo) or marked two people: it
    # rewrites whose cases and referrals are whose, so a coordinator or the SLRT decides.
    MERGE_PERSONS = "merge_persons"
    # A family that moves to another village (SIKS-NG's "pemindahan wilayah"): the desk it
    # leaves asks, the desk whose area covers the new village accepts or refuses (intake/moves.py).
    MOVE_HOUSEHOLDS = "move_households"
    # Privacy (UU 27/2022)
    HANDLE_PRIVACY_REQUESTS = "handle_privacy_requests"  # consent, requests for erasure
    # A person's full data export holds everything, from every village: the regency's SLRT and
    # coordinators make it (and hand it over), not every desk officer.
    EXPORT_SUBJECT_DATA = "export_subject_data"
    DECIDE_ERASURE = "decide_erasure"
    # Running the system
    MANAGE_DIRECTORY = "manage_directory"  # agencies, services, the regional referral table
    MANAGE_HOLIDAYS = "manage_holidays"
    MANAGE_USERS = "manage_users"
    MANAGE_SECURITY = "manage_security"  # the audit log, API tokens


P = Permission
# Desks, coordinators and the regency's SLRT serve the people themselves; an agency officer works
# on the referrals addressed to its agency; administrators run the system and never see people's
# data (UU 27/2022: minimal processing).
_DESK_SIDE = {
    P.SEE_WHOLE_CASE,
    P.REGISTER_CASES,
    P.RUN_QUEUE,
    P.CORRECT_FACTS,
    P.ROUTE_CASES,
    P.SEE_PERSONAL_DATA,
    P.REVEAL_IDENTITY,
    P.SEND_REFERRALS,
    P.WRITE_REFERRAL_NOTES,
    P.INFORM_CITIZEN,
    P.SEE_REPORTS,
    P.HANDLE_PRIVACY_REQUESTS,
    P.MOVE_HOUSEHOLDS,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.DESK: frozenset(_DESK_SIDE),
    Role.COORDINATOR: frozenset(
        _DESK_SIDE | {P.APPROVE_REFERRALS, P.SEE_APPROVALS, P.EXPORT_SUBJECT_DATA, P.MERGE_PERSONS}
    ),
    Role.SLRT: frozenset(
        _DESK_SIDE
        | {P.APPROVE_REFERRALS, P.SEE_APPROVALS, P.EXPORT_SUBJECT_DATA, P.DECIDE_ERASURE, P.MERGE_PERSONS}
    ),
    Role.AGENCY: frozenset({P.RECEIVE_REFERRALS, P.WRITE_REFERRAL_NOTES}),
    Role.ADMIN: frozenset(
        {
            P.SEE_WHOLE_CASE,
            P.SEE_APPROVALS,  # watches the queue; approving is the coordinators' and SLRT's
            P.SEE_REPORTS,
            P.MANAGE_DIRECTORY,
            P.MANAGE_HOLIDAYS,
            P.MANAGE_USERS,
            P.MANAGE_SECURITY,
        }
    ),
}


def has(user: Any, permission: Permission | str) -> bool:
    """May `user`'s role do `permission`? A name that is no permission raises ValueError, so a
    misspelt check in a template fails loudly instead of hiding an action."""
    permission = Permission(permission)
    if not user or not user.is_authenticated:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles holding `permission` (for tables that are written per role, like the workflow)."""
    return frozenset(role for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions)


def requires(permission: Permission) -> Callable:
    """View decorator: a signed-in user whose role holds `permission` (else 403; signed out: the
    login page)."""
    Permission(permission)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from slrt.extensions import login_manager

                return login_manager.unauthorized()
            if not has(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def can(permission: Permission | str) -> bool:
    """Template global: may the signed-in user do `permission`? (`{% if can('manage_users') %}`)."""
    return has(current_user, permission)
