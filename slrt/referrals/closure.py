"""The desk closes a need, or a whole case, on purpose and says why (issue 16: a case closes
only when every need has an answer, or when the desk decides so in writing). Both are audited
and only flush(): the request commits."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.access import can_view
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.errors import Invalid
from slrt.core.permissions import Permission, has
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus, Need
from slrt.referrals.models import CLOSED_STATUSES, Referral
from slrt.referrals.needs_state import is_prerequisite_for

REASON_MAX = 1000


class ClosingNotAllowed(Invalid):
    """The need or case cannot be closed now (422): a referral of it is still open."""


def _reason(text: str | None) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise ValidationFailed({"reason": [_("Tuliskan alasan penutupan: warga akan menanyakannya.")]})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": [_("Alasan penutupan paling panjang %(n)d huruf.", n=REASON_MAX)]})
    return reason


def _check(actor: User, case: Case) -> None:
    if not can_view(actor, case):
        raise LookupError("case outside the actor's scope")
    if not has(actor, Permission.ROUTE_CASES):
        raise ClosingNotAllowed(_("Hanya petugas desk yang menutup kebutuhan atau kasus."))
    if case.status is not CaseStatus.OPEN:
        raise ClosingNotAllowed(_("Kasus ini sudah selesai."))


def _open_referrals(case: Case) -> list[Referral]:
    return list(
        db.session.scalars(
            sa.select(Referral)
            .where(Referral.case_id == case.id, Referral.status.not_in(CLOSED_STATUSES))
            .order_by(Referral.id)
        )
    )


def close_need(need: Need, actor: User, reason: str | None) -> Need:
    """Closes one need of an open case with the desk's reason; the case closes with it when every
    other need is closed too. A need with an open referral of its own is refused: cancel the
    referral first (its own history says why). Raises ValidationFailed (reason), ClosingNotAllowed."""
    case = need.case
    _check(actor, case)
    text = _reason(reason)
    if need.closed_at is not None:
        raise ClosingNotAllowed(_("Kebutuhan ini sudah ditutup."))
    if any(r.need_id == need.id and not is_prerequisite_for(r, need) for r in _open_referrals(case)):
        raise ClosingNotAllowed(
            _(
                "Kebutuhan ini masih punya rujukan yang berjalan. Batalkan dulu rujukannya bila tidak "
                "dilanjutkan."
            )
        )
    _close(need, actor, text)
    audit("need.close", case, actor=actor, detail={"need": need.id, "category": need.category_code})
    from slrt.referrals.transitions import _sync_case

    _sync_case(case, utcnow(), without_referrals=True)
    db.session.flush()
    return need


def close_case(case: Case, actor: User, reason: str | None) -> Case:
    """Closes the whole case on purpose with the desk's reason: every need not closed yet is
    closed by the desk with the same reason. Refused while a referral of the case is open (the
    agency is still working on it: cancel it first). Raises ValidationFailed, ClosingNotAllowed."""
    _check(actor, case)
    text = _reason(reason)
    if _open_referrals(case):
        raise ClosingNotAllowed(
            _(
                "Kasus ini masih punya rujukan yang berjalan. Tunggu hasilnya, atau batalkan dulu "
                "rujukan yang tidak dilanjutkan."
            )
        )
    closed = [n for n in case.needs if n.closed_at is None]
    for need in closed:
        _close(need, actor, text)
    now = utcnow()
    case.status = CaseStatus.CLOSED
    case.outcome = _("Ditutup desk: %(reason)s", reason=text)
    case.closed_at = now
    audit("case.close", case, actor=actor, detail={"needs_closed": [n.id for n in closed]})
    db.session.flush()
    return case


def _close(need: Need, actor: User, reason: str) -> None:
    need.closed_reason = reason
    need.closed_at = utcnow()
    need.closed_by_id = actor.id
