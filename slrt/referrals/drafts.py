"""Draft referrals from the officer's choices on the route page: one per chosen service, with its
first history row. Routing suggests the services and names the agency; this creates the rows.
Only flushes: the caller commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from slrt.accounts.models import User
from slrt.accounts.services import ValidationFailed
from slrt.core.audit import audit
from slrt.directory.models import Agency, Service
from slrt.extensions import db
from slrt.intake.models import Case, CaseStatus, Need
from slrt.referrals.models import CLOSED_STATUSES, Referral, ReferralEvent, ReferralStatus


@dataclass
class Selection:
    """One referral to create: from a suggestion (reason from the engine) or by hand."""

    need_id: int
    service_code: str
    reason: str | None = None
    prerequisite_of: str | None = None
    manual: bool = False


def _person_of(case: Case, need: Need) -> int | None:
    return need.person_id or case.reporter_id


def create_draft_referrals(
    case: Case,
    selections: list[Selection],
    actor: User | None,
    agency_code_for: Callable[[str, str], str | None],
) -> list[Referral]:
    """Creates one draft referral per selection, with its first history row and an audit row.

    Agency and urgency come from the directory, never from the form: `agency_code_for(service
    code, village code)` is the routing's answer (slrt.routing.services.agency_suggester).
    Never twice: a service with an open referral for the same person, in any case, is refused
    (and the database's partial unique index refuses the second of two submits made at once).
    An ADMINDUK referral chosen as a prerequisite points at the referral of the service it
    unlocks (created in the same batch, or already open on the case). Raises ValidationFailed
    with every problem.
    """
    errors: dict[str | None, list[str]] = {}
    if case.status is not CaseStatus.OPEN:
        errors.setdefault(None, []).append(_("Kasus sudah selesai; rujukan baru tidak dapat dibuat."))
    if not selections:
        errors.setdefault(None, []).append(_("Pilih minimal satu layanan untuk dirujuk."))
    needs = {n.id: n for n in case.needs}
    codes = {s.service_code for s in selections}
    services = (
        {s.code: s for s in db.session.scalars(sa.select(Service).where(Service.code.in_(codes)))}
        if codes
        else {}
    )
    people = {_person_of(case, n) for n in needs.values()} - {None}
    open_pairs = {
        (person_id, service_id)
        for person_id, service_id in db.session.execute(
            sa.select(Referral.person_id, Referral.service_id).where(
                Referral.person_id.in_(people), Referral.status.not_in(CLOSED_STATUSES)
            )
        )
    }
    seen: set[tuple[int | None, str]] = set()
    for sel in selections:
        service = services.get(sel.service_code)
        if sel.need_id not in needs:
            errors.setdefault("need_id", []).append(_("Kebutuhan yang dipilih bukan bagian dari kasus ini."))
            continue
        if service is None or not service.active:
            errors.setdefault("service_code", []).append(
                _("Layanan %(c)s tidak dikenal atau tidak aktif.", c=sel.service_code)
            )
            continue
        if sel.manual and not (sel.reason or "").strip():
            errors.setdefault("reason", []).append(
                _("Tulis alasan untuk layanan %(c)s yang ditambahkan manual.", c=service.code)
            )
        person_id = _person_of(case, needs[sel.need_id])
        if (person_id, service.id) in open_pairs or (person_id, service.code) in seen:
            errors.setdefault(None, []).append(
                _(
                    "Rujukan %(c)s untuk kebutuhan %(n)s sudah ada.",
                    c=service.code,
                    n=needs[sel.need_id].category.display_name,
                )
            )
        seen.add((person_id, service.code))
    if errors:
        raise ValidationFailed(errors)
    created: list[Referral] = []
    by_service: dict[str, Referral] = {}
    for sel in selections:
        service = services[sel.service_code]
        agency_code = agency_code_for(service.code, case.village_code)
        agency = (
            db.session.scalar(sa.select(Agency).where(Agency.code == agency_code)) if agency_code else None
        )
        reason = (sel.reason or "").strip()
        if sel.manual:
            reason = _("Ditambahkan manual oleh petugas: %(r)s", r=reason)
        referral = Referral(
            case_id=case.id,
            need_id=sel.need_id,
            person_id=_person_of(case, needs[sel.need_id]),
            service_id=service.id,
            agency_id=agency.id if agency else None,
            office_id=case.office_id,
            village_code=case.village_code,
            status=ReferralStatus.DRAFT,
            urgent=service.urgent or case.urgent,
            reason=reason or None,
            created_by_id=getattr(actor, "id", None),
        )
        created.append(referral)
        by_service.setdefault(service.code, referral)
    try:
        # A savepoint, so the loser of two submits at once gets the same message as above.
        with db.session.begin_nested():
            db.session.add_all(created)
    except sa.exc.IntegrityError as exc:
        if "uq_referrals_open_person_service" not in str(exc.orig) and "person_id" not in str(exc.orig):
            raise
        raise ValidationFailed(
            {None: [_("Layanan ini sudah dirujuk untuk warga yang sama; muat ulang halaman.")]}
        ) from exc
    for sel, referral in zip(selections, created, strict=True):
        if sel.prerequisite_of:
            target = by_service.get(sel.prerequisite_of) or db.session.scalar(
                sa.select(Referral)
                .join(Service, Referral.service_id == Service.id)
                .where(
                    Referral.case_id == case.id,
                    Service.code == sel.prerequisite_of,
                    Referral.status.not_in(CLOSED_STATUSES),
                    Referral.id != referral.id,
                )
                .order_by(Referral.id)
            )
            referral.prerequisite_of_id = target.id if target else None
        db.session.add(
            ReferralEvent(
                referral_id=referral.id,
                from_status=None,
                to_status=ReferralStatus.DRAFT,
                actor_id=getattr(actor, "id", None),
                note=_("Draf dibuat dari pilihan layanan rujukan."),
            )
        )
        audit(
            "referral.draft",
            referral,
            actor=actor,
            detail={"case": case.id, "service": sel.service_code, "manual": sel.manual},
        )
    db.session.flush()
    return created
