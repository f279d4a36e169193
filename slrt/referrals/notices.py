"""Who is told what when a referral changes: outbox rows for the agency, the citizen and the
SLRT supervisors, and the links they carry."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from slrt.accounts.models import Role, User
from slrt.core.access import in_region
from slrt.core.web import public_status_url
from slrt.directory.models import Agency
from slrt.extensions import db
from slrt.notifications.models import NotificationChannel
from slrt.notifications.services import enqueue
from slrt.referrals.models import (
    OUTCOME_LABELS,
    REFERRAL_STATUS_LABELS,
    Outcome,
    Referral,
)
from slrt.referrals.models import ReferralStatus as S
from slrt.referrals.queries import office_of

# Citizens hear about the answers that matter to them.
CITIZEN_TOLD = (S.ACCEPTED, S.REJECTED, S.RESOLVED)


def referral_url(referral: Referral) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/referrals/{referral.id}"


def notify(referral: Referral, to: S, message: str | None) -> None:
    """Outbox rows for the agency (a new referral) and the citizen (accepted/rejected/resolved)."""
    if to is S.SENT and referral.agency is not None:
        data = {
            "letter": referral.letter_number,
            "service": referral.service.name,
            "office": office.name if (office := office_of(referral)) else "",
            "due": referral.respond_due.isoformat() if referral.respond_due else "",
            "url": referral_url(referral),
        }
        for user_id, email in agency_recipients(referral.agency):
            enqueue(
                email,
                NotificationChannel.EMAIL,
                "referral_new",
                data,
                user_id=user_id,
                referral_id=referral.id,
            )
    if to in CITIZEN_TOLD:
        reporter = referral.case.reporter
        # Anonymity hides the reporter from the agency; the citizen is still told.
        if reporter is not None and reporter.phone:
            status = (
                OUTCOME_LABELS[Outcome(referral.outcome)]
                if to is S.RESOLVED and referral.outcome
                else REFERRAL_STATUS_LABELS[to]
            )
            enqueue(
                reporter.phone,
                NotificationChannel.SMS,
                "citizen_update",
                {
                    "service": referral.service.name,
                    "status": str(status),
                    "message": message or "",
                    "code": referral.case.tracking_code,
                    "url": public_status_url(referral.case.tracking_code),
                },
                referral_id=referral.id,
            )


def agency_recipients(agency: Agency) -> list[tuple[int | None, str]]:
    users = db.session.execute(
        sa.select(User.id, User.email).where(
            User.agency_id == agency.id, User.active.is_(True), User.email.is_not(None)
        )
    ).all()
    if users:
        return [(u.id, u.email) for u in users]
    return [(None, agency.email)] if agency.email else []


def supervisor_recipients(village_code: str) -> list[tuple[int, str]]:
    """SLRT users whose regency covers the village."""
    rows = db.session.execute(
        sa.select(User.id, User.email, User.scope_region_code).where(
            User.role == Role.SLRT, User.active.is_(True), User.email.is_not(None)
        )
    ).all()
    return [
        (r.id, r.email) for r in rows if r.scope_region_code and in_region(village_code, r.scope_region_code)
    ]
