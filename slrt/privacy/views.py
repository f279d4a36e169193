"""Privacy pages: reveal a protected number, a person's privacy page (consent, withdrawal,
erasure request and decision, data-subject export) and the erasure request list.
Thin views: scope through `get_or_404`, one service call, one commit."""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from slrt.accounts.services import ValidationFailed
from slrt.core.access import get_or_404
from slrt.core.audit import audit
from slrt.core.crypto import mask
from slrt.core.permissions import Permission, has, requires
from slrt.core.transaction import discard, write_apart
from slrt.extensions import db
from slrt.intake import models as m
from slrt.privacy import consent, erasure, export_pdf, revealing, subject_export
from slrt.privacy.consent_text import purpose_text
from slrt.privacy.forms import ErasureDecisionForm, ErasureRequestForm, ExportForm, RevealForm, WithdrawForm
from slrt.privacy.models import (
    CONSENT_BY_LABELS,
    CONSENT_METHOD_LABELS,
    ERASURE_STATUS_LABELS,
    ErasureStatus,
)
from slrt.referrals.access import can_reveal_identity

bp = Blueprint("privacy", __name__)

SESSION_KEY = "revealed"


# --- revealing, remembered for a few minutes in the signed session (ids only, never numbers) ---


def _reveal_key(obj: m.Person | m.Household) -> str:
    return f"{obj.__tablename__}:{obj.id}"


def is_revealed(obj: m.Person | m.Household) -> bool:
    until = (session.get(SESSION_KEY) or {}).get(_reveal_key(obj))
    return bool(until and until > time.time()) and can_reveal_identity(current_user, obj)


def shown_number(obj: m.Person | m.Household | None) -> str:
    """The NIK (person) or No. KK (household) as the page may show it: masked, unless this user
    revealed it within the last few minutes."""
    if obj is None:
        return ""
    number = obj.nik if isinstance(obj, m.Person) else obj.kk_number
    if not number:
        return ""
    return number if is_revealed(obj) else mask(number)


def _reveal(obj: m.Person | m.Household, back: str) -> Any:
    form = RevealForm()
    if not form.validate():
        abort(400)
    try:
        revealing.reveal(current_user, obj, form.reason.data or "")
    except revealing.RevealRefused:
        abort(403)
    except ValidationFailed as exc:
        discard()
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(back)
    minutes = current_app.config["REVEAL_MINUTES"]
    now = time.time()
    revealed = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if v > now}
    revealed[_reveal_key(obj)] = now + minutes * 60
    session[SESSION_KEY] = revealed
    flash(_("Nomor lengkap ditampilkan selama %(n)d menit. Pembukaan ini tercatat.", n=minutes), "info")
    return redirect(back)


@bp.route("/persons/<int:person_id>/reveal", methods=["POST"])
@login_required
def reveal_nik(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    return _reveal(person, url_for("intake.person_detail", person_id=person.id))


@bp.route("/households/<int:household_id>/reveal", methods=["POST"])
@login_required
def reveal_kk(household_id: int) -> Any:
    household = get_or_404(m.Household, household_id)
    return _reveal(household, url_for("intake.household_detail", household_id=household.id))


# --- the person's privacy page ----------------------------------------------------------------


def _privacy_page(person: m.Person, status: int = 200, **forms: Any) -> Any:
    # Kept when the page answers 422 (a refused withdrawal or erasure), which rolls back.
    write_apart(lambda: audit("person.view", person, detail={"page": "privacy"}))
    consents = consent.consents_of(person)
    return (
        render_template(
            "privacy/person.html",
            person=person,
            consents=consents,
            withdrawn=consent.consent_withdrawn(person.id),
            erasure=erasure.pending_request(person),
            open_cases=erasure.open_case_ids(person),
            withdraw_form=forms.get("withdraw_form") or WithdrawForm(),
            request_form=forms.get("request_form") or ErasureRequestForm(),
            decision_form=forms.get("decision_form") or ErasureDecisionForm(),
            export_form=ExportForm(),
            can_export=has(current_user, Permission.EXPORT_SUBJECT_DATA),
            can_decide=has(current_user, Permission.DECIDE_ERASURE),
            purpose_text=purpose_text,
            consent_by_labels=CONSENT_BY_LABELS,
            method_labels=CONSENT_METHOD_LABELS,
            erasure_labels=ERASURE_STATUS_LABELS,
            ErasureStatus=ErasureStatus,
        ),
        status,
    )


@bp.route("/persons/<int:person_id>/privacy")
@requires(Permission.HANDLE_PRIVACY_REQUESTS)
def person_privacy(person_id: int) -> Any:
    return _privacy_page(get_or_404(m.Person, person_id))


def _errors_to(form: Any, errors: dict[str | None, list[str]]) -> None:
    from slrt.core.forms import apply_errors

    apply_errors(form, errors)


@bp.route("/persons/<int:person_id>/consent/withdraw", methods=["POST"])
@requires(Permission.HANDLE_PRIVACY_REQUESTS)
def withdraw_consent(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    form = WithdrawForm()
    if not form.validate():
        abort(400)
    consent_id = int(form.consent_id.data) if (form.consent_id.data or "").isdecimal() else None
    try:
        consent.withdraw_consent(
            person, consent_id, form.method.data or "", form.note.data or "", current_user
        )
    except ValidationFailed as exc:
        discard()
        _errors_to(form, exc.errors)
        return _privacy_page(person, 422, withdraw_form=form)
    flash(_("Penarikan persetujuan tercatat. Data warga ini tidak lagi dikirim ke lembaga."), "success")
    return redirect(url_for("privacy.person_privacy", person_id=person.id))


@bp.route("/persons/<int:person_id>/erasure", methods=["POST"])
@requires(Permission.HANDLE_PRIVACY_REQUESTS)
def request_erasure(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    form = ErasureRequestForm()
    if not form.validate():
        abort(400)
    try:
        erasure.request_erasure(person, form.reason.data or "", current_user)
    except ValidationFailed as exc:
        discard()
        _errors_to(form, exc.errors)
        return _privacy_page(person, 422, request_form=form)
    flash(_("Permintaan penghapusan tercatat dan menunggu keputusan SLRT kabupaten/kota."), "success")
    return redirect(url_for("privacy.person_privacy", person_id=person.id))


@bp.route("/persons/<int:person_id>/erasure/decide", methods=["POST"])
@requires(Permission.DECIDE_ERASURE)
def decide_erasure(person_id: int) -> Any:
    person = get_or_404(m.Person, person_id)
    form = ErasureDecisionForm()
    if not form.validate():
        abort(400)
    approve = form.decision.data == "approve"
    try:
        erasure.decide_erasure(person, approve, form.note.data or "", current_user)
    except ValidationFailed as exc:
        discard()
        _errors_to(form, exc.errors)
        return _privacy_page(person, 422, decision_form=form)
    if approve:
        flash(
            _(
                "Penghapusan disetujui. Data warga ini dianonimkan pada proses retensi berikutnya "
                "(setiap malam)."
            ),
            "success",
        )
    else:
        flash(_("Permintaan penghapusan ditolak."), "success")
    return redirect(url_for("privacy.person_privacy", person_id=person.id))


@bp.route("/persons/<int:person_id>/export", methods=["POST"])
@requires(Permission.EXPORT_SUBJECT_DATA)
def export(person_id: int) -> Any:
    """Everything held about the person plus who processed it, as JSON or PDF (audited)."""
    person = get_or_404(m.Person, person_id)
    form = ExportForm()
    if not form.validate():
        abort(400)
    kind = form.format.data if form.format.data in ("json", "pdf") else "json"
    data = subject_export.subject_export(person, current_user)
    name = f"data-warga-{person.id}"
    headers = {"Cache-Control": "private, no-store"}
    if kind == "pdf":
        headers["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return Response(export_pdf.render(data), mimetype="application/pdf", headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}.json"'
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers=headers)


@bp.route("/privacy/erasure")
@requires(Permission.HANDLE_PRIVACY_REQUESTS)
def erasure_list() -> Any:
    requests = db.paginate(erasure.erasure_requests_for(current_user), per_page=50, error_out=False)
    return render_template(
        "privacy/erasure_list.html", requests=requests, erasure_labels=ERASURE_STATUS_LABELS
    )
