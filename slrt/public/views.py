"""Citizen pages (no login): status by tracking code, online report, survey; and the public
status API. Thin views: validate, call one service, commit once, redirect."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from sqlalchemy.exc import IntegrityError

from slrt.accounts.services import ValidationFailed
from slrt.core import tracking
from slrt.core.forms import apply_errors
from slrt.core.transaction import discard
from slrt.core.web import error_response, no_store, public_status_url
from slrt.directory.models import NeedCategory
from slrt.extensions import db, limiter
from slrt.intake import models as m
from slrt.public import guard, services
from slrt.public.forms import ReportForm, SurveyForm
from slrt.public.labels import public_label
from slrt.referrals import verification
from slrt.regions import services as regions
from slrt.regions.models import LEVEL_VILLAGE

bp = Blueprint("public", __name__)
api = Blueprint("public_api", __name__, url_prefix="/api/v1/public")

SESSION_KEY = "public_report_code"
CONFIRMATION_SECONDS = 30 * 60
DIGITS_VILLAGE = re.compile(r"^\d{10}$")


def _invalid_text() -> str:
    return _("Kode tidak valid, periksa kembali.")


def _not_found_text() -> str:
    return _("Kode tidak ditemukan. Periksa kembali kode pada tanda terima Anda.")


def _no_lookup() -> bool:
    # Opening the empty form is not a lookup and must never be limited.
    return (
        request.endpoint in ("public.status", "public.verify_form")
        and not (request.args.get("code") or "").strip()
    )


# One budget per IP address for every kind of lookup (page, JSON, survey), so switching between
# them does not multiply it.
status_limit = limiter.shared_limit(
    lambda: current_app.config["SLRT_STATUS_RATE_LIMIT"], scope="public-status", exempt_when=_no_lookup
)


@bp.errorhandler(429)
def too_many(exc: Exception) -> Any:
    return render_template("public/limited.html"), 429


# A status answer changes as officers work, and a shared computer must not keep it.
bp.after_request(no_store)


@bp.route("/status")
@status_limit
def status() -> Any:
    text = (request.args.get("code") or "").strip()[:40]
    result = None
    problem = None
    code = 200
    if text:
        try:
            result = services.public_status(text)
        except tracking.InvalidCode:
            problem, code = _invalid_text(), 400
        else:
            if result is None:
                problem, code = _not_found_text(), 404
            else:
                text = tracking.display(result.code)
    survey_form = SurveyForm(code=result.code) if result and result.survey_open else None
    return _render_status(text, result, problem, survey_form), code


@bp.route("/verifikasi")
@status_limit
def verify_form() -> Any:
    """The verification form: a code typed from a letter whose QR cannot be scanned."""
    text = (request.args.get("code") or "").strip()[:40]
    if text:
        return verify_letter(text)
    return render_template("public/verify.html", text="", result=None, problem=None)


@bp.route("/verifikasi/<code>")
@status_limit
def verify_letter(code: str) -> Any:
    """Is this referral letter genuine? What the letter's QR opens: number, date, office,
    service, agency, current status and the PDF's digest, never the citizen."""
    text = code.strip()[:40]
    result, problem, status = None, None, 200
    try:
        result = verification.verify(text)
    except tracking.InvalidCode:
        problem, status = (
            _("Kode verifikasi tidak valid. Periksa kembali kode yang tercetak di kaki surat."),
            400,
        )
    else:
        if result is None:
            problem, status = (
                _("Surat dengan kode ini tidak terdaftar. Surat yang Anda pegang mungkin tidak asli."),
                404,
            )
    return render_template("public/verify.html", text=text, result=result, problem=problem), status


def _render_status(text: str, result: Any, problem: str | None, survey_form: Any) -> str:
    return render_template(
        "public/status.html", text=text, result=result, problem=problem, survey_form=survey_form
    )


@bp.route("/status/survei", methods=["POST"])
@status_limit
def survey() -> Any:
    form = SurveyForm()
    try:
        result = services.public_status(form.code.data or "")
    except tracking.InvalidCode:
        abort(404)
    if result is None:
        abort(404)
    back = url_for(".status", code=tracking.display(result.code)) + "#survei"
    if form.validate_on_submit():
        try:
            services.record_survey(result, form.rating.data, form.comment.data)
            db.session.flush()  # a second answer sent at the same moment fails here, not at the commit
        except services.SurveyAlreadyAnswered:
            flash(_("Penilaian untuk laporan ini sudah pernah dikirim. Terima kasih."), "warning")
            return redirect(back)
        except IntegrityError:
            discard()
            flash(_("Penilaian untuk laporan ini sudah pernah dikirim. Terima kasih."), "warning")
            return redirect(back)
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        else:
            flash(_("Terima kasih, penilaian Anda sudah kami terima."), "success")
            return redirect(back)
    return _render_status(tracking.display(result.code), result, None, form), 400


@bp.route("/lapor", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SLRT_REPORT_RATE_LIMIT"], methods=["POST"])
def report() -> Any:
    form = ReportForm()
    form.category.choices = _category_choices()
    matches: list = []
    refusal = None
    if request.method == "GET":
        form.form_token.data = guard.issue_token()
    elif form.validate_on_submit():
        try:
            key = guard.check(form.form_token.data, form.website.data)
        except guard.Refused as exc:
            refusal = _refusal_text(exc.reason)
            if exc.reason == "expired":
                form.form_token.data = guard.issue_token()
        else:
            village_code, matches = _resolve_village(form)
            try:
                case = services.file_online_report(
                    services.OnlineReport(
                        category_code=form.category.data,
                        case_type=m.CaseType(form.case_type.data),
                        description=form.description.data or "",
                        village_code=village_code,
                        name=form.name.data or "",
                        contact=form.contact.data or "",
                        consent=form.consent.data,
                        confidential=form.confidential.data,
                        anonymous=form.anonymous.data,
                        idempotency_key=key,
                    )
                )
                db.session.flush()  # the other copy of a form sent twice wins here, not at the commit
            except ValidationFailed as exc:
                apply_errors(form, exc.errors)
                if "village_code" in exc.errors:
                    _explain_village(form, matches)
            except IntegrityError:
                # The same form was sent twice at the same moment and the other copy won.
                discard()
                existing = services.case_for_key(key)
                if existing is None:
                    raise
                return _to_confirmation(existing.tracking_code)
            else:
                return _to_confirmation(case.tracking_code)
    status_code = 400 if request.method == "POST" else 200
    return render_template("public/report.html", form=form, matches=matches, refusal=refusal), status_code


def _to_confirmation(code: str) -> Any:
    session[SESSION_KEY] = [code, time.time()]
    return redirect(url_for(".report_done"))


@bp.route("/lapor/terkirim")
def report_done() -> Any:
    # Village offices share computers: the next visitor must not find the last code here.
    code, filed_at = session.get(SESSION_KEY) or (None, 0)
    if time.time() - filed_at > CONFIRMATION_SECONDS:
        code = None
    case = services.find_filed_case(code) if code else None
    if case is None:
        return redirect(url_for(".report"))
    status_url = public_status_url(tracking.display(case.tracking_code))
    return render_template("public/report_done.html", case=case, status_url=status_url)


@api.route("/status/<code>")
@status_limit
def status_json(code: str) -> Any:
    try:
        result = services.public_status(code[:40])
    except tracking.InvalidCode:
        message = _invalid_text()
        response = jsonify(
            {"error": message, "status": 400, "problems": [{"field": "code", "message": message}]}
        )
        return response, 400
    if result is None:
        return error_response(404, _not_found_text())
    response = jsonify(result.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


def _category_choices() -> list[tuple[str, str]]:
    categories = db.session.scalars(
        db.select(NeedCategory).where(NeedCategory.active.is_(True)).order_by(NeedCategory.position)
    ).all()
    return [("", _("– pilih –"))] + [(c.code, public_label(c)) for c in categories]


def _resolve_village(form: ReportForm) -> tuple[str, list]:
    """The village code from the picker, the typed code, or a unique name match.

    Without JavaScript a citizen may type the village's name; several matches come back as a
    list to choose from on the same page.
    """
    picked = (request.form.get("village_pick") or "").strip()
    code = picked or (form.village_code.data or "").strip()
    if DIGITS_VILLAGE.match(code):
        code = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
    if code:
        form.village_code.data = code
        return code, []
    query = (form.village_search.data or "").strip()
    if len(query) < 3:
        return "", []
    found = regions.search(query, level=LEVEL_VILLAGE, limit=15)
    if len(found) == 1:
        form.village_code.data = found[0].code
        return found[0].code, []
    return "", [(r.code, _village_label(r.code)) for r in found]


def _explain_village(form: ReportForm, matches: list) -> None:
    """A precise message when the name search found several villages, or none."""
    if matches:
        form.village_code.errors = [_("Ada beberapa desa dengan nama itu: pilih salah satu di bawah.")]
    elif (form.village_search.data or "").strip():
        form.village_code.errors = [
            _("Desa/kelurahan dengan nama itu tidak ditemukan. Periksa ejaannya, atau tulis kodenya.")
        ]


def _village_label(code: str) -> str:
    return ", ".join(r.name for r in reversed(regions.region_path(code)))


def _refusal_text(reason: str) -> str:
    if reason == "too_fast":
        return _(
            "Formulir terkirim terlalu cepat, sehingga sistem mengira ini kiriman otomatis. "
            "Periksa kembali isian Anda, tunggu beberapa detik, lalu tekan Kirim lagi."
        )
    if reason == "expired":
        return _("Formulir sudah terlalu lama terbuka. Periksa isian Anda, lalu tekan Kirim lagi.")
    return _("Maaf, laporan ini tidak dapat diterima. Coba lagi, atau datang langsung ke Puskesos desa Anda.")
