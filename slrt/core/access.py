"""Access rules, in one place. Every list and every load of people, households, cases and
referrals goes through `scope_clause`; a record outside the user's scope answers 404.

Scope is a region prefix: a desk officer's village, a coordinator's village or regency, an SLRT
officer's regency, an administrator's province (or the whole country when it is empty). Agency
officers see only referrals addressed to their agency (once sent) and what those referrals need.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from slrt.accounts.models import Role, User
from slrt.extensions import db
from slrt.intake.models import Case, Household, Need, Person
from slrt.referrals.models import Referral, ReferralStatus


class _Record(Protocol):
    id: Any  # Mapped[int] on the models: the column on the class, an int on a row


M = TypeVar("M", bound=_Record)  # a model with an integer `id`

# Referrals an agency never sees: still being written or approved at the desk.
UNSENT = (ReferralStatus.DRAFT, ReferralStatus.AWAITING_APPROVAL)


def region_clause(column: Any, prefix: str | None) -> sa.ColumnElement[bool]:
    """`column` lies in region `prefix` (the region itself or anything below it)."""
    if not prefix:
        return sa.true()
    return sa.or_(column == prefix, column.startswith(prefix + ".", autoescape=True))


def _agency_referrals(user: User) -> sa.Select:
    return sa.select(Referral.case_id).where(
        Referral.agency_id == user.agency_id, Referral.status.not_in(UNSENT)
    )


def scope_clause(model: type, user: User) -> sa.ColumnElement[bool]:
    """The WHERE clause that keeps `model` rows to what `user` may see."""
    if not user.is_authenticated or not user.active:
        return sa.false()
    if user.role is Role.AGENCY:
        if user.agency_id is None:
            return sa.false()
        cases = _agency_referrals(user)
        if model is Referral:
            return sa.and_(Referral.agency_id == user.agency_id, Referral.status.not_in(UNSENT))
        if model is Case:
            return Case.id.in_(cases)
        if model is Need:
            return Need.case_id.in_(cases)
        if model is Household:
            named = sa.select(Case.household_id).where(Case.id.in_(cases), Case.anonymous.is_(False))
            return Household.id.in_(named)
        if model is Person:
            # An anonymous case hides every person in it from the agency, not only the reporter:
            # the person a need concerns is often the reporter or their child.
            named = sa.select(Case.id).where(Case.id.in_(cases), Case.anonymous.is_(False))
            reporters = sa.select(Case.reporter_id).where(Case.id.in_(named))
            concerned = sa.select(Need.person_id).where(Need.case_id.in_(named))
            return sa.or_(Person.id.in_(reporters), Person.id.in_(concerned))
        raise LookupError(f"no scope rule for {model.__name__}")
    prefix = user.scope_region_code
    if model is Need:
        return Need.case_id.in_(sa.select(Case.id).where(region_clause(Case.village_code, prefix)))
    column = getattr(model, "village_code", None)
    if column is None:
        raise LookupError(f"no scope rule for {model.__name__}")
    return region_clause(column, prefix)


def visible(model: type[M], user: User | None = None) -> sa.Select[M]:
    """`select(model)` filtered to the user's scope: start every list query here."""
    user = user or current_user
    return sa.select(model).where(scope_clause(model, user))


def can_view(user: User, obj: Any) -> bool:
    model = type(obj)
    return (
        db.session.scalar(sa.select(model.id).where(model.id == obj.id, scope_clause(model, user)))
        is not None
    )


def get_or_404(model: type[M], ident: Any, user: User | None = None) -> M:
    """Loads one record in the user's scope; outside it, or missing, is the same 404."""
    user = user or current_user
    obj = db.session.scalar(visible(model, user).where(model.id == ident))
    if obj is None:
        abort(404)
    return obj


def roles_required(*roles: Role) -> Callable:
    """View decorator: the logged-in user must have one of these roles (else 403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                from slrt.extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# Who may reveal a full NIK or No. KK (UU 24/2013: population data is confidential; UU 27/2022:
# minimal processing). Desk officers, coordinators and the regency's SLRT serve the person
# and check the number against documents, so they may, within their scope. An agency officer
# only when a referral addressed to their agency concerns the person and its service needs a
# NIK (health insurance, PKH, PIP) or is Dukcapil's identity-document service: the agency cannot do its work
# without it. Administrators manage the system, not the people in it: never.
REVEAL_ROLES = (Role.DESK, Role.COORDINATOR, Role.SLRT)
IDENTITY_DOCUMENT_SERVICE = "ADMINDUK"  # Dukcapil replaces lost KTP/KK: it needs the numbers


def can_reveal_identity(user: User, obj: Person | Household) -> bool:
    """May `user` see the full NIK (person) or No. KK (household) of `obj`, after giving a reason?"""
    if not user.is_authenticated or not can_view(user, obj):
        return False
    if user.role in REVEAL_ROLES:
        return True
    if user.role is not Role.AGENCY or not isinstance(obj, Person):
        return False
    from slrt.directory.models import Service

    needing = (
        sa.select(Referral.id)
        .join(Service, Service.id == Referral.service_id)
        .join(Case, Case.id == Referral.case_id)
        .where(
            Referral.agency_id == user.agency_id,
            Referral.status.not_in(UNSENT),
            sa.or_(Service.needs_nik.is_(True), Service.code == IDENTITY_DOCUMENT_SERVICE),
            Case.anonymous.is_(False),
            sa.or_(
                Case.reporter_id == obj.id,
                Referral.need_id.in_(sa.select(Need.id).where(Need.person_id == obj.id)),
            ),
        )
    )
    return db.session.scalar(needing.limit(1)) is not None


def in_scope_region(user: User, code: str | None) -> bool:
    """Region `code` (None: the whole country) lies within the user's region scope."""
    scope = user.scope_region_code
    if not scope:
        return True
    return code is not None and (code == scope or code.startswith(scope + "."))


def can_see_personal_data(user: User, referral: Referral | None = None) -> bool:
    """Names, phone numbers and addresses, on pages and in exports. Desks, coordinators and SLRT
    work with the people themselves; an agency officer only on its own sent referrals of cases
    that are not anonymous; administrators manage the system and never see them. NIK and No. KK
    are never exported by anyone."""
    if not user.is_authenticated or not user.active:
        return False
    if user.role in (Role.DESK, Role.COORDINATOR, Role.SLRT):
        return True
    if user.role is Role.AGENCY:
        return (
            referral is not None
            and user.agency_id is not None
            and referral.agency_id == user.agency_id
            and referral.status not in UNSENT
            and not referral.case.anonymous
        )
    return False
