"""Request-wide behaviour: error pages (HTML or JSON), security headers, the idle timeout,
the audit of denied requests, template helpers, safe redirects."""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from flask import (
    Flask,
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
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from slrt.core import crypto, tracking
from slrt.core.audit import audit
from slrt.core.forms import EmptyForm
from slrt.core.permissions import ROLE_LABELS, Role, can
from slrt.core.transaction import write_apart
from slrt.extensions import db

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: (
        _l("Permintaan tidak valid"),
        _l("Data yang dikirim tidak dapat diproses. Periksa kembali isian Anda."),
    ),
    401: (_l("Perlu masuk"), _l("Silakan masuk terlebih dahulu.")),
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

# No inline script or style anywhere: every script and stylesheet is a file under static/.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Tracking codes sit in status-page URLs: other sites get our origin at most, never the path.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Route argument (without "_id") -> table, where the plural is not simply "+s".
TABLE_FOR_ARG = {"agency": "agencies", "token": "api_tokens"}
# Session key holding the time (epoch seconds) of the user's last request.
LAST_SEEN = "_last_seen"
# app.extensions key of the labels every template sees (`add_labels`).
LABELS = "slrt.labels"


# Beyond any real list; a larger page number would overflow the database's OFFSET (a 500 found
# by fuzzing /api/v1/referrals?page=3489471983640408752128).
MAX_PAGE = 1_000_000


def page_number() -> int:
    """The `page` query argument: 1 when missing or not a number, at most MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


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


# A NIK, No. KK or phone number: never in a URL, where a shared computer's history keeps it.
PERSONAL_NUMBER = re.compile(r"\d{10,}")


def carries_number(text: str | None) -> bool:
    """True when `text` holds a personal number, however it was typed (spaces, dots, dashes, or
    a URL's encoded spaces)."""
    return bool(PERSONAL_NUMBER.search(re.sub(r"%20|[\s.+-]", "", text or "")))


def hold(key: str, value: Any) -> None:
    """Keep `value` for the next request in the session, encrypted: Flask's session cookie is only
    signed, and a NIK must not be readable from a shared computer's cookies either."""
    session[key] = crypto.encrypt(json.dumps(value))


def held(key: str, default: Any = None) -> Any:
    """What `hold` kept under `key`, or `default` (nothing kept, or kept under a retired key)."""
    token = session.get(key)
    if not isinstance(token, str):
        return default
    try:
        return json.loads(crypto.decrypt(token))
    except (crypto.DecryptionFailed, ValueError):
        return default


def without_numbers(target: str) -> str:
    """`target` (a local path), without its query string when that carries a personal number."""
    path, _sep, query = target.partition("?")
    return path if carries_number(query) else target


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Only local paths may be redirect targets (no scheme, no host, no `//evil`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def public_status_url(tracking_code: str) -> str:
    """The citizen's status page of a case, as printed on receipts and letters and sent in
    messages (an absolute address: it leaves the site)."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/status?code={tracking_code}"


def public_verify_url(letter_code: str) -> str:
    """The public verification page of a referral letter, as its QR code carries it."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/verifikasi/{letter_code}"


def no_store(response: Any) -> Any:
    """`Cache-Control: no-store` unless the view set its own, for a blueprint's `after_request`:
    answers that change as officers work, which a shared computer must not keep."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def add_security_headers(response: Any) -> Any:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    hsts = current_app.config.get("HSTS_SECONDS")
    if hsts:  # production only: over plain HTTP in development it would lock the browser out
        response.headers.setdefault("Strict-Transport-Security", f"max-age={int(hsts)}; includeSubDomains")
    return response


def end_idle_session() -> Any:
    """Logs out a session that has been idle longer than SLRT_IDLE_MINUTES; else slides its clock."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None  # API tokens log in per request and carry no session
    now = int(time.time())
    last_seen = session.get(LAST_SEEN)
    limit = int(current_app.config["IDLE_MINUTES"]) * 60
    if isinstance(last_seen, int) and now - last_seen > limit:
        if current_user.is_authenticated:
            user = current_user._get_current_object()
            detail = {"idle_seconds": now - last_seen}
            # Kept even though a JSON caller gets a 401, which rolls the request back.
            write_apart(lambda: audit("session.expired", user, actor=user, detail=detail))
        logout_user()
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        if wants_json():
            return error_response(401, _("Sesi Anda berakhir. Silakan masuk lagi."))
        flash(
            _("Sesi Anda berakhir karena %(n)d menit tidak ada kegiatan. Silakan masuk lagi.", n=limit // 60),
            "info",
        )
        target = without_numbers(request.full_path.rstrip("?")) if request.method == "GET" else None
        return redirect(url_for("accounts.login", next=target) if target else url_for("accounts.login"))
    if not isinstance(last_seen, int) or now - last_seen >= 30:  # a cookie rewrite at most every 30 s
        session[LAST_SEEN] = now
    return None


def audit_denial(response: Any) -> Any:
    """Records refused requests: every 403, and every 404 on a route that names a record (`*_id`):
    a record outside the user's scope answers 404 and probing for one is worth seeing."""
    code = response.status_code
    args = request.view_args or {}
    # Integer ids name records of ours; HSDS ids and the like are public identifiers.
    record_args = {k: str(v) for k, v in args.items() if k.endswith("_id") and isinstance(v, int)}
    if code == 403 or (code == 404 and record_args):
        # The refusal rolls the request back (slrt.core.transaction): the denial is kept alone.
        path = request.path

        def record() -> None:
            event = audit(
                "access.denied",
                detail={"status": code, "method": request.method, "path": path[:300], **record_args},
            )
            first = next(iter(record_args.items()), None)
            if first:
                name = first[0].removesuffix("_id")
                event.object_type = TABLE_FOR_ARG.get(name, f"{name}s")  # the table name, as audit() writes
                event.object_id = first[1][:64]

        write_apart(record)
    return response


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: an id beyond the database's INTEGER range answers 404 instead
    of overflowing the query (a 500 found by fuzzing /api/v1/referrals/<id>)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _unstorable(value: Any) -> bool:
    """Text no database column can hold: a NUL character (PostgreSQL refuses it) or a lone
    surrogate (not encodable as UTF-8). Walks JSON structures."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_unstorable(k) or _unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unstorable(v) for v in value)
    return False


def refuse_unstorable_text() -> None:
    """One check for every route: such text is refused with a 400 before any view or query sees
    it, rather than reaching the database and failing there (a 500 on PostgreSQL only)."""
    values: list[Any] = [*request.args.values(), *request.args.keys()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [*request.form.values(), *request.form.keys()]
    elif request.is_json:
        values.append(request.get_json(silent=True))
    if _unstorable(values):
        abort(
            400,
            description=str(_l("Isian memuat karakter yang tidak dapat disimpan (misalnya karakter NUL).")),
        )


def init_app(app: Flask) -> None:
    # Long on purpose: one list of every hook, filter and error handler the web layer registers, so what
    # runs around a request is read in one place.
    # Before any blueprint registers a route ("core" is the first feature).
    app.url_map.converters["int"] = RecordIdConverter
    app.config.setdefault("IDLE_MINUTES", 30)
    app.before_request(refuse_unstorable_text)
    app.before_request(end_idle_session)
    app.after_request(audit_denial)
    app.after_request(add_security_headers)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        message = exc.description if code in (400, 409, 422) and isinstance(exc.description, str) else None
        if code in (400, 409, 422) and exc.description and exc.description.startswith("The browser"):
            message = None  # Werkzeug's English default text
        response, status = error_response(
            code if code in ERROR_TEXT else 500 if code >= 500 else 400, message
        )
        valid_methods = getattr(exc, "valid_methods", None)
        if code == 405 and valid_methods:  # RFC 9110: a 405 names the methods the address has
            response.headers["Allow"] = ", ".join(sorted(valid_methods))
        return response, status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return error_response(
            400, str(_l("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi."))
        )

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> Any:
        db.session.rollback()  # before rendering the page: the session may be unusable
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

    app.add_template_filter(local_date, "date")
    app.add_template_filter(local_datetime, "datetime")

    @app.template_filter("label")
    def label_filter(value: Any, labels: dict) -> str:
        return str(labels.get(value, value)) if value is not None else "–"

    add_labels(app, role=ROLE_LABELS)
    app.add_template_global(can)

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {
            "LANGUAGES": app.config["LANGUAGES"],
            "has_endpoint": app.view_functions.__contains__,
            "Role": Role,
            "empty_form": empty_form,
            "without_numbers": without_numbers,
            "labels": app.extensions[LABELS],
        }


# Day before month in every language: CLDR's English "short" wrote 2 December as "12/2/26, 4:13
# AM", which an Indonesian reader takes for 12 February. The named sizes templates already use
# map onto these; any other value is taken as a CLDR pattern ("MMM yyyy").
DATE_PATTERNS = {
    "short": "d MMM yyyy",
    "medium": "d MMM yyyy",
    "long": "d MMMM yyyy",
    "full": "EEEE, d MMMM yyyy",
}
TIME_PATTERN = "HH.mm"


def local_date(value: Any, fmt: str = "medium") -> str:
    """A date (or the local day of a timestamp) in the reader's language, day first: "2 Des 2026"."""
    return format_date(value, DATE_PATTERNS.get(fmt, fmt)) if value else "–"


def local_datetime(value: Any, fmt: str = "medium") -> str:
    """A timestamp in the office's time zone (BABEL_DEFAULT_TIMEZONE), day first, 24-hour:
    "2 Dec 2026 04.13"."""
    if not value:
        return "–"
    pattern = f"{DATE_PATTERNS[fmt]} {TIME_PATTERN}" if fmt in DATE_PATTERNS else fmt
    return format_datetime(value, pattern)


def empty_form() -> EmptyForm:
    """The CSRF-only form of a button. It never reads the request body: the 413 page (a body
    over MAX_CONTENT_LENGTH) failed while rendering the logout button's form."""
    return EmptyForm(formdata=None)


def add_labels(app: Flask, **labels: dict) -> None:
    """Makes enum labels available to every template as `labels.NAME` (each feature adds its own:
    core knows no feature's enums)."""
    app.extensions.setdefault(LABELS, {}).update(labels)
