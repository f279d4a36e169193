"""The route page: suggestions per need with reasons, and draft referrals from the choices."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from slrt.accounts.services import ValidationFailed
from slrt.core.access import get_or_404
from slrt.core.permissions import Permission, has, requires
from slrt.core.transaction import discard
from slrt.directory.models import Service
from slrt.extensions import db
from slrt.intake import provenance
from slrt.intake.models import Case, CaseStatus
from slrt.intake.provenance import DTSEN_FACTS, Provenance
from slrt.referrals.drafts import Selection, create_draft_referrals
from slrt.referrals.models import Referral
from slrt.routing import reasons
from slrt.routing.facts import COUNT_FACTS, PERSON_FACTS
from slrt.routing.forms import RouteForm
from slrt.routing.household import answered_referrals, need_for_find, open_referrals
from slrt.routing.services import CaseRouting, agency_suggester, suggest_for_case

bp = Blueprint("routing", __name__)


@bp.route("/cases/<int:case_id>/route", methods=["GET", "POST"])
@requires(Permission.ROUTE_CASES)
def case_route(case_id: int) -> Any:
    case = get_or_404(Case, case_id)
    routing = suggest_for_case(case)
    form = RouteForm()
    form.manual_need_id.choices = [(n.id, n.category.name) for n in case.needs]
    services = db.session.scalars(
        sa.select(Service).where(Service.active.is_(True)).order_by(Service.code)
    ).all()
    form.manual_service.choices = [("", _("— tidak ada —"))] + [
        (s.code, f"{s.code} · {s.name}") for s in services
    ]
    chosen = set(request.form.getlist("choose"))
    errors: list[str] = []
    referred = _referred(routing)
    answered = _answered(routing, case.id)
    if form.validate_on_submit():
        by_key = {cs.key: cs for cs in routing.suggestions}
        selections = []
        for key in request.form.getlist("choose"):
            cs = by_key.get(key)
            if cs is None or cs.suggestion.waits_for or cs.suggestion.received:
                continue  # a waiting service is referred from "Tindak lanjut" once its prerequisite is met
            need = cs.need or need_for_find(case, cs.person, cs.suggestion.service.needs)
            selections.append(
                Selection(
                    need_id=need.id,
                    service_code=cs.suggestion.service.code,
                    reason=reasons.summary(cs.suggestion),
                    prerequisite_of=next(iter(cs.suggestion.prerequisite_of), None),
                )
            )
        if form.manual_service.data:
            selections.append(
                Selection(
                    need_id=form.manual_need_id.data,
                    service_code=form.manual_service.data,
                    reason=form.manual_reason.data,
                    manual=True,
                )
            )
        try:
            created = create_draft_referrals(case, selections, current_user, agency_suggester())
        except ValidationFailed as failed:
            discard()
            for field, messages in failed.errors.items():
                target = getattr(form, f"manual_{field}", None) if field else None
                if target is not None:
                    target.errors = list(target.errors) + messages
                else:
                    errors.extend(messages)
            routing = suggest_for_case(case)
            referred = _referred(routing)
        else:
            flash(
                ngettext("%(num)d draf rujukan dibuat.", "%(num)d draf rujukan dibuat.", len(created)),
                "success",
            )
            return redirect(url_for("intake.case_detail", case_id=case.id))
    elif request.method == "GET":
        chosen = {
            cs.key
            for cs in routing.by_need
            if cs.suggestion.result == "eligible"
            and not cs.suggestion.waits_for
            and not cs.suggestion.received
            and cs.key not in referred
            and cs.key not in answered
        }
    return render_template(
        "routing/route.html",
        case=case,
        routing=routing,
        form=form,
        chosen=chosen,
        errors=errors,
        reasons=reasons,
        referred=referred,
        answered=answered,
        fact_links=fact_links,
        fact_provenance=fact_provenance,
        is_open=case.status is CaseStatus.OPEN,
    )


def _referred(routing: CaseRouting) -> dict[str, Referral]:
    """Suggestion key -> the open referral of that person and service, in any case."""
    open_by = open_referrals(cs.person.id for cs in routing.suggestions if cs.person is not None)
    return {
        cs.key: open_by[(cs.person.id, cs.suggestion.service.code)]
        for cs in routing.suggestions
        if cs.person is not None and (cs.person.id, cs.suggestion.service.code) in open_by
    }


def _answered(routing: CaseRouting, case_id: int) -> dict[str, Referral]:
    """Suggestion key -> this case's closed referral of that person and service."""
    closed = answered_referrals(case_id)
    return {
        cs.key: closed[(cs.person.id, cs.suggestion.service.code)]
        for cs in routing.suggestions
        if cs.person is not None and (cs.person.id, cs.suggestion.service.code) in closed
    }


# Which form records a missing fact: the person's, the household's, or its DTSEN check.
_FACT_FORMS = {
    **dict.fromkeys(PERSON_FACTS, "person"),
    **dict.fromkeys(DTSEN_FACTS, "dtsen"),
    "house_uninhabitable": "household",
    **dict.fromkeys(COUNT_FACTS, "members"),
}
_LINK_LABELS = {
    "person": _l("Lengkapi data warga"),
    "dtsen": _l("Catat hasil cek DTSEN"),
    "household": _l("Catat hasil verifikasi rumah"),
    "members": _l("Lengkapi data anggota keluarga"),
}


def fact_links(cs: Any, outcome: Any, stale: bool = False) -> list[dict[str, str]]:
    """Links from an open criterion to the forms that record its missing facts (with `stale`,
    from a criterion settled by an old DTSEN check to a new check), each with a `next` back to
    this route page, which evaluates the suggestions again when it is shown."""
    person = cs.person
    if person is None or not has(current_user, Permission.CORRECT_FACTS):
        return []
    back = request.path
    names = [n for n in outcome.values if n in DTSEN_FACTS] if stale else list(outcome.missing)
    links: dict[str, dict[str, str]] = {}
    for name in names:
        form = _FACT_FORMS.get(name)
        if form is None or (form != "person" and person.household_id is None):
            continue
        if form == "person":
            url = url_for("facts.person_edit", person_id=person.id, next=back)
        elif form == "dtsen":
            url = url_for("facts.dtsen_check", household_id=person.household_id, next=back)
        elif form == "household":
            url = url_for("facts.household_edit", household_id=person.household_id, next=back)
        else:
            url = url_for("intake.household_detail", household_id=person.household_id)
        label = _("Cek ulang DTSEN") if stale else str(_LINK_LABELS[form])
        links.setdefault(url, {"url": url, "label": label})
    return list(links.values())


def fact_provenance(cs: Any, outcome: Any) -> Provenance | None:
    """Where a settled criterion's DTSEN facts come from (date, source, officer; stale or not)."""
    person = cs.person
    if person is None or not any(n in DTSEN_FACTS for n in outcome.values):
        return None
    return provenance.dtsen(person.household)
