"""Request-wide behaviour: error pages (HTML or JSON), template helpers, safe redirects."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask_babel import format_date, format_datetime
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from slrt.core import tracking
from slrt.extensions import db

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: (
        _l("Permintaan tidak valid"),
        _l("Data yang dikirim tidak dapat diproses. Periksa kembali isian Anda."),
    ),
    403: (_l("Akses ditolak"), _l("Anda tidak memiliki hak untuk membuka halaman ini.")),
    404: (
        _l("Tidak ditemukan"),
        _l("Halaman atau data yang Anda cari tidak ada, atau di luar wilayah Anda."),
    ),
    405: (_l("Metode tidak diizinkan"), _l("Aksi ini tidak dapat dilakukan dengan cara tersebut.")),
    409: (
        _l("Data telah berubah"),
        _l("Data ini baru saja diubah orang lain. Muat ulang halaman lalu coba lagi."),
    ),
    413: (_l("Berkas terlalu besar"), _l("Berkas yang dikirim melebihi batas ukuran.")),
    422: (_l("Tidak dapat diproses"), _l("Permintaan tidak dapat dijalankan pada keadaan data saat ini.")),
    429: (
        _l("Terlalu banyak permintaan"),
        _l("Anda terlalu sering mencoba. Tunggu sebentar lalu coba lagi."),
    ),
    500: (
        _l("Terjadi kesalahan"),
        _l(
            "Maaf, terjadi kesalahan di sistem. Kesalahan ini sudah dicatat untuk petugas teknis; "
            "coba lagi nanti."
        ),
    ),
}

REDIRECTS = (301, 302, 303, 307, 308)
JSON_PREFIXES = ("/api/", "/hsds/", "/open311/")


def wants_json() -> bool:
    if request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(code: int, message: str | None = None) -> Any:
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if wants_json():
        return jsonify({"error": str(title), "message": message or str(text), "status": code}), code
    return render_template("errors/error.html", code=code, title=title, text=message or text), code


def is_safe_next(target: str | None) -> bool:
    """Only local paths may be redirect targets (no scheme, no host, no `//evil`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        message = exc.description if code in (400, 409, 422) and isinstance(exc.description, str) else None
        if code in (400, 409, 422) and exc.description and exc.description.startswith("The browser"):
            message = None  # Werkzeug's English default text
        response = error_response(code if code in ERROR_TEXT else 500 if code >= 500 else 400, message)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return error_response(
            400, str(_l("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi."))
        )

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> Any:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)

    @app.after_request
    def redirect_as_json_for_fetch(response: Any) -> Any:
        """A form sent by script (static/js/draft.js) gets its redirect as JSON.

        fetch() would follow a redirect itself and use up the flash message meant for the next
        page; answering the address lets the script open that page. Changed in place, so the
        session cookie and every other header stay."""
        if request.headers.get("X-Requested-With") == "fetch" and response.status_code in REDIRECTS:
            location = response.headers.pop("Location", None)
            response.status_code = 200
            response.set_data(json.dumps({"redirect": location}))
            response.mimetype = "application/json"
        return response

    @app.template_filter("tracking")
    def tracking_filter(code: str | None) -> str:
        return tracking.display(code) if code else ""

    @app.template_filter("date")
    def date_filter(value: Any, fmt: str = "medium") -> str:
        return format_date(value, fmt) if value else "–"

    @app.template_filter("datetime")
    def datetime_filter(value: Any, fmt: str = "medium") -> str:
        return format_datetime(value, fmt) if value else "–"

    @app.template_filter("label")
    def label_filter(value: Any, labels: dict) -> str:
        return str(labels.get(value, value)) if value is not None else "–"

    @app.context_processor
    def globals_() -> dict[str, Any]:
        from slrt.accounts.forms import EmptyForm
        from slrt.accounts.models import ROLE_LABELS, Role
        from slrt.intake import models as intake
        from slrt.referrals.models import REFERRAL_STATUS_LABELS

        return {
            "LANGUAGES": app.config["LANGUAGES"],
            "has_endpoint": app.view_functions.__contains__,
            "Role": Role,
            "empty_form": EmptyForm,
            "labels": {
                "role": ROLE_LABELS,
                "sex": intake.SEX_LABELS,
                "disability": intake.DISABILITY_LABELS,
                "schooling": intake.SCHOOLING_LABELS,
                "relationship": intake.RELATIONSHIP_LABELS,
                "channel": intake.CHANNEL_LABELS,
                "case_type": intake.CASE_TYPE_LABELS,
                "case_status": intake.CASE_STATUS_LABELS,
                "referral_status": REFERRAL_STATUS_LABELS,
            },
        }
