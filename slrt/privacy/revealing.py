"""Revealing a protected number (NIK or No. KK): who may, why, and the audit row it leaves.

Services validate, change and audit in the caller's transaction; they only `flush()`.
"""

from __future__ import annotations

from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import audit
from slrt.extensions import db
from slrt.intake import models as m
from slrt.referrals.access import can_reveal_identity

MIN_REASON = 10


class RevealRefused(Exception):
    """The user's role or scope does not allow revealing this number."""


def reveal(user: User, obj: m.Person | m.Household, reason: str) -> str:
    """Audits that `user` revealed the NIK (person) or No. KK (household) of `obj` and why, and
    returns the number. Raises RevealRefused or ValidationFailed (no reason)."""
    if not can_reveal_identity(user, obj):
        raise RevealRefused()
    reason = " ".join((reason or "").split())[:500]
    if len(reason) < MIN_REASON:
        raise ValidationFailed({"reason": [_("Tuliskan alasan membuka nomor ini (minimal 10 huruf).")]})
    number = obj.nik if isinstance(obj, m.Person) else obj.kk_number
    if not number:
        raise ValidationFailed({"reason": [_("Tidak ada nomor yang dapat ditampilkan.")]})
    field_name = "nik" if isinstance(obj, m.Person) else "kk_number"
    audit(f"{obj.__tablename__[:-1]}.reveal_{field_name}", obj, actor=user, detail={"reason": reason})
    db.session.flush()
    return number
