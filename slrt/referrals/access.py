"""The scope rules of the records the features own (people, households, cases, needs,
referrals), written together and registered with `slrt.core.access` (which applies them to every
list and every load), and the two permissions an agency officer holds on one referral's records
only: personal data and a NIK.

They live here, not in core, because an agency's scope is made of referrals: an agency officer
sees the referrals sent to its agency and what those referrals need.
"""

from __future__ import annotations

import sqlalchemy as sa

from slrt.accounts.models import Role, User
from slrt.core.access import can_view, region_clause, scope_rule
from slrt.core.permissions import Permission, has
from slrt.directory.models import AgencyContact, Service
from slrt.extensions import db
from slrt.intake.models import Case, Household, Need, Person
from slrt.referrals.models import Referral, ReferralStatus

# Referrals an agency never sees: still being written or approved at the desk.
UNSENT = (ReferralStatus.DRAFT, ReferralStatus.AWAITING_APPROVAL)


def _agency_referrals(user: User) -> sa.Select:
    return sa.select(Referral.case_id).where(
        Referral.agency_id == user.agency_id, Referral.status.not_in(UNSENT)
    )


@scope_rule(Referral, Case, Need, Household, Person)
def record_scope(model: type, user: User) -> sa.ColumnElement[bool]:
    """Agency officers: through the referrals sent to their agency. Everyone else: by region."""
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
        # Person. An anonymous case hides every person in it from the agency, not only the
        # reporter: the person a need concerns is often the reporter or their child.
        named = sa.select(Case.id).where(Case.id.in_(cases), Case.anonymous.is_(False))
        reporters = sa.select(Case.reporter_id).where(Case.id.in_(named))
        concerned = sa.select(Need.person_id).where(Need.case_id.in_(named))
        return sa.or_(Person.id.in_(reporters), Person.id.in_(concerned))
    prefix = user.scope_region_code
    if model is Need:
        return Need.case_id.in_(sa.select(Case.id).where(region_clause(Case.village_code, prefix)))
    return region_clause(model.village_code, prefix)  # type: ignore[attr-defined]  # every other scoped model has one


# Who may reveal a full NIK or No. KK (UU 24/2013: population data is confidential; UU 27/2022:
# minimal processing). Desk officers, coordinators and the regency's SLRT serve the person
# and check the number against documents, so they may, within their scope (REVEAL_IDENTITY). An
# agency officer only when a referral addressed to their agency concerns the person and its
# service needs a NIK (health insurance, PKH, PIP) or is Dukcapil's identity-document service: the
# agency cannot do its work without it. Administrators manage the system, not the people in it: never.
IDENTITY_DOCUMENT_SERVICE = "ADMINDUK"  # Dukcapil replaces lost KTP/KK: it needs the numbers


def can_reveal_identity(user: User, obj: Person | Household) -> bool:
    """May `user` see the full NIK (person) or No. KK (household) of `obj`, after giving a reason?"""
    if not user.is_authenticated or not can_view(user, obj):
        return False
    if has(user, Permission.REVEAL_IDENTITY):
        return True
    if user.role is not Role.AGENCY or not isinstance(obj, Person):
        return False
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


def can_see_personal_data(user: User, referral: Referral | None = None) -> bool:
    """Names, phone numbers and addresses, on pages and in exports. Desks, coordinators and SLRT
    work with the people themselves (SEE_PERSONAL_DATA); an agency officer only on its own sent
    referrals of cases that are not anonymous; administrators manage the system and never see
    them. NIK and No. KK are never exported by anyone."""
    if not user.is_authenticated or not user.active:
        return False
    if has(user, Permission.SEE_PERSONAL_DATA):
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


# What each service's agency may see of the citizen's contact (Service.agency_contact).
CONTACT_PARTS = {
    AgencyContact.FULL: frozenset({"phone", "address", "documents"}),
    AgencyContact.PHONE: frozenset({"phone", "documents"}),
    AgencyContact.NAME: frozenset(),
}
EVERY_PART = CONTACT_PARTS[AgencyContact.FULL]


def contact_shown(user: User, referral: Referral) -> frozenset[str]:
    """Which of the citizen's phone, address and attached documents `user` sees on `referral`:
    all of them for the desks and SLRT; for the receiving agency, what the referral's service
    allows (a violence case's agency gets the phone, not the home address); else none."""
    if not can_see_personal_data(user, referral):
        return frozenset()
    if has(user, Permission.SEE_PERSONAL_DATA):
        return EVERY_PART
    return CONTACT_PARTS[referral.service.agency_contact]


def may_open_documents(user: User, case: Case) -> bool:
    """The attached scans of a case in the user's scope: the desks and SLRT; an agency officer when
    a named referral of the case to its agency is of a service that shares documents."""
    if not sees_people(user):
        return False
    if user.role is not Role.AGENCY:
        return True
    sharing = [a for a, parts in CONTACT_PARTS.items() if "documents" in parts]
    shared = (
        sa.select(Referral.id)
        .join(Service, Service.id == Referral.service_id)
        .where(
            Referral.case_id == case.id,
            Referral.agency_id == user.agency_id,
            Referral.status.not_in(UNSENT),
            Service.agency_contact.in_(sharing),
        )
    )
    return not case.anonymous and db.session.scalar(shared.limit(1)) is not None


def sees_people(user: User) -> bool:
    """`can_see_personal_data` for pages that show the records a user can load (person, household,
    search, attachments): an agency officer's scope already holds only the people of its own sent,
    named referrals, so the rule reduces to the role. Administrators never see them."""
    return user.is_authenticated and (user.role is Role.AGENCY or can_see_personal_data(user))
