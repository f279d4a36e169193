"""Where a returned referral may be re-sent: an agency that offers its service in the case's
region by the routing table, or elsewhere only on an SLRT officer's written reason (audited).
Before, any agency in the country could be chosen, and it then saw the citizen's contacts."""

from __future__ import annotations

from flask_babel import gettext as _

from slrt.accounts.models import Role, User
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import audit
from slrt.directory.models import Agency
from slrt.referrals.models import Referral


def check_resend_target(referral: Referral, agency: Agency, actor: User, reason: str | None) -> None:
    """Raises ValidationFailed unless `agency` may receive the re-sent `referral`."""
    from slrt.routing.services import load_directory

    directory = load_directory()
    spec = directory.services.get(referral.service.code) if referral.service else None
    village = referral.case.village_code
    if spec is not None and agency.code in directory.agencies_offering(spec, village):
        return
    if actor.role is Role.SLRT and reason:
        audit(
            "referral.resend_override",
            referral,
            actor=actor,
            detail={"agency": agency.code, "village": village, "reason": reason[:500]},
        )
        return
    raise ValidationFailed(
        {
            "agency_id": [
                _(
                    "Lembaga %(a)s tidak melayani layanan ini di wilayah kasus. Pilih lembaga sesuai "
                    "tabel rujukan, atau minta manajer SLRT mengirimnya dengan alasan tertulis.",
                    a=agency.name,
                )
            ]
        }
    )
