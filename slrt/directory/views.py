"""Directory pages: services with their criteria, agencies, the routing table, the history.

Every logged-in user may read them (the desk needs to know what a programme asks for);
only administrators change them.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from slrt.accounts.services import ValidationFailed
from slrt.core.access import in_region, region_clause
from slrt.core.forms import EmptyForm, apply_errors
from slrt.core.permissions import Permission, has, requires
from slrt.core.transaction import discard
from slrt.core.workdays import local_today
from slrt.directory import criteria_builder as builder
from slrt.directory import services as ops
from slrt.directory.forms import AgencyForm, OfficeForm, RuleForm, ServiceForm
from slrt.directory.models import (
    AGENCY_CONTACT_LABELS,
    COMBINE_LABELS,
    Agency,
    NeedCategory,
    Office,
    RoutingRule,
    Service,
)
from slrt.extensions import db
from slrt.routing.facts import FACT_TYPES
from slrt.routing.reasons import fact_label

bp = Blueprint("directory", __name__, url_prefix="/directory")

EXTRA_CRITERIA_ROWS = 2


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"field_labels": ops.FIELD_LABELS}


def _apply_errors(form: Any, errors: dict[str | None, list[str]]) -> None:
    """Puts each service error on its field; `criteria.<i>.<field>` on that criterion's row."""

    def criterion_field(key: str) -> Any:
        if not key.startswith("criteria."):
            return None
        _, index, name = key.split(".")
        rows = _criteria_rows(form)
        return getattr(rows[int(index)].form, name) if int(index) < len(rows) else None

    apply_errors(form, errors, criterion_field)


def _criteria_rows(form: ServiceForm) -> list[Any]:
    """The criteria rows to save: not marked for removal and not left blank."""
    return [
        row
        for row in form.criteria
        if not row.form.remove.data
        and ((row.form.name.data or "").strip() or (row.form.expression.data or "").strip())
    ]


def _get(model: type, ident: int) -> Any:
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


# -- services ----------------------------------------------------------------------------


@bp.route("/services")
@login_required
def services() -> Any:
    rows = db.session.scalars(
        sa.select(Service).options(selectinload(Service.criteria)).order_by(Service.code)
    ).all()
    needs = {n.code: n.name for n in db.session.scalars(sa.select(NeedCategory))}
    return render_template("directory/services.html", services=rows, needs=needs)


@bp.route("/services/<int:service_id>")
@login_required
def service_detail(service_id: int) -> Any:
    service = _get(Service, service_id)
    rules = db.session.scalars(
        sa.select(RoutingRule).where(RoutingRule.service_id == service.id).order_by(RoutingRule.region_code)
    ).all()
    needs = {n.code: n.name for n in db.session.scalars(sa.select(NeedCategory))}
    return render_template(
        "directory/service_detail.html",
        service=service,
        rules=rules,
        needs=needs,
        combine_labels=COMBINE_LABELS,
        agency_contact_labels=AGENCY_CONTACT_LABELS,
        changes=ops.history("service", service.id, limit=50),
    )


def _service_form(service: Service | None) -> ServiceForm:
    form = ServiceForm(obj=service) if request.method == "GET" and service else ServiceForm()
    form.needs.choices = [
        (n.code, n.name) for n in db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.position))
    ]
    if request.method == "GET":
        if service is not None:
            form.required_documents.data = "\n".join(service.required_documents or [])
            form.needs.data = list(service.needs or [])
            form.combine.data = service.combine.value
            form.agency_contact.data = service.agency_contact.value
        while len(form.criteria) > 0:
            form.criteria.pop_entry()
        for c in service.criteria if service else []:
            fact, op, value = builder.parse(c.expression) or (builder.EXPERT, "", "")
            built = c.expression if fact else ""
            form.criteria.append_entry(
                {
                    "name": c.name,
                    "expression": c.expression,
                    "fact": fact,
                    "op": op,
                    "value": value,
                    "built": built,
                }
            )
        for _i in range(EXTRA_CRITERIA_ROWS):
            form.criteria.append_entry()
    fact_choices = [(builder.EXPERT, _("– tulis ekspresi sendiri –"))]
    fact_choices += [(name, fact_label(name)) for name in builder.builder_facts()]
    op_choices = [("", "–")] + [(code, str(words)) for code, words in builder.all_operators()]
    for row in form.criteria:
        row.form.fact.choices = fact_choices
        row.form.op.choices = op_choices
    form.example.choices = [(e.key, str(e.label)) for e in builder.examples(local_today())]
    return form


def _build_criteria(form: ServiceForm) -> bool:
    """Rows written with the builder get their expression (and a name in words if none was
    given); False when a row's builder fields do not fit, its message at the field."""
    fine = True
    for row in form.criteria:
        crit = row.form
        if crit.remove.data or not crit.fact.data:
            continue
        try:
            composed = builder.compose(crit.fact.data, crit.op.data, crit.value.data)
        except builder.BuilderError as exc:
            target = crit.value if crit.op.data in builder.operators(crit.fact.data) else crit.op
            target.errors = [*target.errors, str(exc)]
            fine = False
            continue
        typed = (crit.expression.data or "").strip()
        if crit.built.data and composed == crit.built.data and typed != crit.built.data:
            continue  # the builder untouched, the expression edited by hand: the expert's wins
        crit.expression.data = composed
        if not (crit.name.data or "").strip():
            crit.name.data = builder.sentence(crit.fact.data, crit.op.data, crit.value.data)
    return fine


def _trial(form: ServiceForm) -> builder.Trial | None:
    """ "Coba pada keluarga contoh": the criteria as typed, judged on the chosen example."""
    chosen = {e.key: e for e in builder.examples(local_today())}.get(form.example.data or "")
    if chosen is None:
        return None
    criteria = [
        ((row.form.name.data or "").strip(), (row.form.expression.data or "").strip())
        for row in _criteria_rows(form)
        if (row.form.expression.data or "").strip()
    ]
    return builder.try_criteria(criteria, form.combine.data or "all", chosen, local_today())


def _service_data(form: ServiceForm) -> dict[str, Any]:
    return {
        "code": form.code.data or "",
        "name": form.name.data,
        "description": form.description.data,
        "required_documents": (form.required_documents.data or "").splitlines(),
        "needs": form.needs.data or [],
        "sla_respond_days": form.sla_respond_days.data,
        "sla_resolve_days": form.sla_resolve_days.data,
        "needs_nik": form.needs_nik.data,
        "agency_contact": form.agency_contact.data,
        "urgent": form.urgent.data,
        "active": form.active.data,
        "default_agency_code": form.default_agency_code.data,
        "combine": form.combine.data,
        "criteria": [
            (row.form.name.data or "", row.form.expression.data or "") for row in _criteria_rows(form)
        ],
    }


def _service_page(service: Service | None) -> Any:
    # Long on purpose: the editor's three answers (try on an example, save, show again with the
    # problems) share the one form and its rows; the builder and the trial are in criteria_builder.
    form = _service_form(service)
    trial = None
    if request.method == "POST" and "try" in request.form:
        # Trying saves nothing: the criteria as typed, on an example household.
        if form.validate() and _build_criteria(form):
            trial = _trial(form)
    elif form.validate_on_submit() and _build_criteria(form):
        try:
            saved = ops.save_service(service, **_service_data(form), actor=current_user)
        except ValidationFailed as failed:
            discard()
            _apply_errors(form, failed.errors)
        else:
            flash(_("Layanan %(c)s disimpan.", c=saved.code), "success")
            return redirect(url_for("directory.service_detail", service_id=saved.id))
    facts = [(name, fact_label(name), FACT_TYPES[name].name.lower()) for name in sorted(FACT_TYPES)]
    has_errors = (
        bool(form.form_errors)
        or any(f.errors for f in form if f.name != "criteria")
        or any(any(sub.errors for sub in row.form) for row in form.criteria)
    )
    return render_template(
        "directory/service_form.html",
        form=form,
        service=service,
        facts=facts,
        has_errors=has_errors,
        trial=trial,
        fact_label=fact_label,
        fact_kinds={name: builder.kind_of(name) for name in FACT_TYPES},
    )


@bp.route("/services/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_DIRECTORY)
def service_new() -> Any:
    return _service_page(None)


@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@requires(Permission.MANAGE_DIRECTORY)
def service_edit(service_id: int) -> Any:
    return _service_page(_get(Service, service_id))


# -- agencies ----------------------------------------------------------------------------


@bp.route("/agencies")
@login_required
def agencies() -> Any:
    rows = db.session.scalars(sa.select(Agency).order_by(Agency.code)).all()
    return render_template("directory/agencies.html", agencies=rows)


def _area_list(text: str | None) -> list[str]:
    return [p for p in re.split(r"[\s,;]+", text or "") if p]


def _agency_page(agency: Agency | None) -> Any:
    form = AgencyForm(obj=agency) if request.method == "GET" and agency else AgencyForm()
    if request.method == "GET" and agency is not None:
        form.service_area.data = ", ".join(agency.service_area or [])
    if form.validate_on_submit():
        try:
            saved = ops.save_agency(
                agency,
                code=form.code.data,
                name=form.name.data,
                address=form.address.data,
                phone=form.phone.data,
                email=form.email.data,
                hours=form.hours.data,
                service_area=_area_list(form.service_area.data),
                active=form.active.data,
                actor=current_user,
            )
        except ValidationFailed as failed:
            discard()
            _apply_errors(form, failed.errors)
        else:
            flash(_("Lembaga %(c)s disimpan.", c=saved.code), "success")
            return redirect(url_for("directory.agencies"))
    changes = ops.history("agency", agency.id, limit=50) if agency else []
    return render_template("directory/agency_form.html", form=form, agency=agency, changes=changes)


@bp.route("/agencies/new", methods=["GET", "POST"])
@requires(Permission.MANAGE_DIRECTORY)
def agency_new() -> Any:
    return _agency_page(None)


@bp.route("/agencies/<int:agency_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_DIRECTORY)
def agency_edit(agency_id: int) -> Any:
    return _agency_page(_get(Agency, agency_id))


# -- offices (the letterhead) -------------------------------------------------------------


def _office_in_scope(office_id: int) -> Office:
    office = _get(Office, office_id)
    if not in_region(office.region_code, current_user.scope_region_code):
        abort(404)
    return office


@bp.route("/offices")
@requires(Permission.MANAGE_DIRECTORY)
def offices() -> Any:
    query = sa.select(Office).order_by(Office.region_code, Office.code)
    if current_user.scope_region_code:
        query = query.where(region_clause(Office.region_code, current_user.scope_region_code))
    return render_template("directory/offices.html", offices=db.session.scalars(query).all())


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@requires(Permission.MANAGE_DIRECTORY)
def office_edit(office_id: int) -> Any:
    office = _office_in_scope(office_id)
    form = OfficeForm(obj=office) if request.method == "GET" else OfficeForm()
    if form.validate_on_submit():
        upload = form.logo.data
        try:
            ops.save_office(
                office,
                name=form.name.data,
                address=form.address.data,
                phone=form.phone.data,
                email=form.email.data,
                hours=form.hours.data,
                head_title=form.head_title.data,
                tembusan=form.tembusan.data,
                logo=upload.read() if upload and getattr(upload, "filename", "") else None,
                remove_logo=form.remove_logo.data,
                actor=current_user,
            )
        except ValidationFailed as failed:
            discard()
            _apply_errors(form, failed.errors)
        else:
            flash(_("Kop surat %(c)s disimpan.", c=office.code), "success")
            return redirect(url_for("directory.offices"))
    changes = ops.history("office", office.id, limit=50)
    return render_template("directory/office_form.html", form=form, office=office, changes=changes)


@bp.route("/offices/<int:office_id>/logo")
@requires(Permission.MANAGE_DIRECTORY)
def office_logo(office_id: int) -> Any:
    office = _office_in_scope(office_id)
    if not office.logo:
        abort(404)
    return Response(office.logo, mimetype=office.logo_type or "image/png")


# -- routing table -----------------------------------------------------------------------


@bp.route("/routing", methods=["GET", "POST"])
@login_required
def rules() -> Any:
    form = RuleForm()
    form.service_code.choices = [
        (s.code, f"{s.code} · {s.name}")
        for s in db.session.scalars(sa.select(Service).order_by(Service.code))
    ]
    form.agency_code.choices = [
        (a.code, f"{a.code} · {a.name}")
        for a in db.session.scalars(sa.select(Agency).where(Agency.active.is_(True)).order_by(Agency.code))
    ]
    if request.method == "POST":
        if not has(current_user, Permission.MANAGE_DIRECTORY):
            abort(403)
        if form.validate_on_submit():
            try:
                ops.save_rule(
                    service_code=form.service_code.data,
                    region_code=form.region_code.data,
                    agency_code=form.agency_code.data,
                    actor=current_user,
                )
            except ValidationFailed as failed:
                discard()
                _apply_errors(form, failed.errors)
            else:
                flash(_("Aturan rujukan disimpan."), "success")
                return redirect(url_for("directory.rules"))
    rows = db.session.scalars(
        sa.select(RoutingRule)
        .join(Service, RoutingRule.service_id == Service.id)
        .order_by(Service.code, RoutingRule.region_code)
    ).all()
    return render_template("directory/rules.html", form=form, rules=rows, delete_form=EmptyForm())


@bp.route("/routing/<int:rule_id>/delete", methods=["POST"])
@requires(Permission.MANAGE_DIRECTORY)
def rule_delete(rule_id: int) -> Any:
    rule = _get(RoutingRule, rule_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        ops.delete_rule(rule, actor=current_user)
    except ValidationFailed as failed:
        discard()
        for messages in failed.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(url_for("directory.rules"))
    flash(_("Aturan rujukan dihapus."), "success")
    return redirect(url_for("directory.rules"))


@bp.route("/history")
@requires(Permission.MANAGE_DIRECTORY)
def history() -> Any:
    return render_template("directory/history.html", changes=ops.history(limit=300))
