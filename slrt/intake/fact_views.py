"""The fact pages: correct a person or a household, add, remove or move a member, and record a
DTSEN check. Thin: scope through `get_or_404`, one service call, the form shown again with its
errors (nothing changed) or a redirect to a safe local `next` (the route page's "?" links)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from slrt.accounts.services import ValidationFailed
from slrt.core.access import get_or_404
from slrt.core.crypto import mask
from slrt.core.forms import EmptyForm, apply_errors
from slrt.core.permissions import Permission, requires
from slrt.core.transaction import discard
from slrt.core.web import is_safe_next, without_numbers
from slrt.core.workdays import local_today
from slrt.intake import corrections
from slrt.intake import models as m
from slrt.intake.fact_forms import DtsenCheckForm, HouseholdForm, MoveForm, PersonForm

bp = Blueprint("facts", __name__)


def _next(default: str) -> str:
    """Where to go after saving: a local `next` (never another site), else `default`."""
    target = request.args.get("next")
    return without_numbers(target) if is_safe_next(target) else default


def _save(form: Any, save: Any) -> bool:
    """Runs `save` on a valid POST; on refusal, rolls back and puts the problems on the form."""
    if not form.validate_on_submit():
        return False
    try:
        save()
    except ValidationFailed as failed:
        discard()
        apply_errors(form, failed.errors)
        return False
    return True


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
@requires(Permission.CORRECT_FACTS)
def person_edit(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    form = PersonForm()
    if request.method == "GET":
        form.fill(person)
    if _save(form, lambda: corrections.correct_person(person, form.data, current_user)):
        flash(_("Data warga disimpan."), "success")
        return redirect(_next(url_for("intake.person_detail", person_id=person.id)))
    return render_template(
        "facts/person_form.html",
        person=person,
        form=form,
        nik_masked=mask(person.nik),
        back=_next(url_for("intake.person_detail", person_id=person.id)),
    )


@bp.route("/households/<int:household_id>/edit", methods=["GET", "POST"])
@requires(Permission.CORRECT_FACTS)
def household_edit(household_id: int) -> Any:
    household = get_or_404(m.Household, household_id)
    form = HouseholdForm()
    if request.method == "GET":
        form.fill(household)
    if _save(form, lambda: corrections.correct_household(household, form.data, current_user)):
        flash(_("Data keluarga disimpan."), "success")
        return redirect(_next(url_for("intake.household_detail", household_id=household.id)))
    return render_template(
        "facts/household_form.html",
        household=household,
        form=form,
        kk_masked=mask(household.kk_number),
        back=_next(url_for("intake.household_detail", household_id=household.id)),
    )


@bp.route("/households/<int:household_id>/dtsen-check", methods=["GET", "POST"])
@requires(Permission.CORRECT_FACTS)
def dtsen_check(household_id: int) -> Any:
    household = get_or_404(m.Household, household_id)
    form = DtsenCheckForm()
    form.programmes.choices = [(p, p) for p in corrections.dtsen_programme_choices(household)]
    if request.method == "GET":
        form.checked_on.data = local_today().isoformat()
        form.programmes.data = list(household.programmes or [])
    if _save(form, lambda: corrections.record_dtsen_check(household, form.data, current_user)):
        flash(_("Hasil cek DTSEN dicatat."), "success")
        return redirect(_next(url_for("intake.household_detail", household_id=household.id)))
    return render_template(
        "facts/dtsen_check.html",
        household=household,
        form=form,
        today=local_today(),
        checks=corrections.dtsen_checks(household),
        back=_next(url_for("intake.household_detail", household_id=household.id)),
    )


@bp.route("/households/<int:household_id>/members/new", methods=["GET", "POST"])
@requires(Permission.CORRECT_FACTS)
def member_add(household_id: int) -> Any:
    household = get_or_404(m.Household, household_id)
    form = PersonForm()
    if request.method == "GET":
        form.disability.data = m.Disability.NONE.value
    if _save(form, lambda: corrections.add_member(household, form.data, current_user)):
        flash(_("Anggota keluarga ditambahkan."), "success")
        return redirect(_next(url_for("intake.household_detail", household_id=household.id)))
    return render_template(
        "facts/person_form.html",
        person=None,
        household=household,
        form=form,
        nik_masked="",
        back=_next(url_for("intake.household_detail", household_id=household.id)),
    )


@bp.route("/persons/<int:person_id>/move", methods=["GET", "POST"])
@requires(Permission.CORRECT_FACTS)
def member_move(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    form = MoveForm()
    moved: list[m.Household] = []
    if _save(form, lambda: moved.append(corrections.move_member(person, form.data, current_user))):
        flash(_("Warga dipindahkan ke keluarga lain."), "success")
        return redirect(url_for("intake.household_detail", household_id=moved[0].id))
    return render_template(
        "facts/move.html",
        person=person,
        form=form,
        remove_form=EmptyForm(formdata=None),
        back=url_for("intake.person_detail", person_id=person.id),
    )


@bp.route("/persons/<int:person_id>/leave-household", methods=["POST"])
@requires(Permission.CORRECT_FACTS)
def member_remove(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    household_id = person.household_id
    form = EmptyForm()
    if _save(form, lambda: corrections.remove_member(person, current_user)):
        flash(_("Warga dikeluarkan dari keluarga ini; datanya tetap tersimpan."), "success")
    else:
        for message in form.form_errors:
            flash(message, "error")
    if household_id is None:
        return redirect(url_for("intake.person_detail", person_id=person.id))
    return redirect(url_for("intake.household_detail", household_id=household_id))
