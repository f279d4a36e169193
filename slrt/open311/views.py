"""Open311 GeoReport v2 endpoints under /open311/v2/, JSON only.

Errors are the standard's array `[{"code": 404, "description": "..."}]`, with the same HTTP
status. Reading needs no key; filing a report needs an API token as `api_key`. `.xml` is not
offered: asking for it answers 400.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from slrt.accounts.models import ApiToken
from slrt.accounts.services import ValidationFailed, token_for
from slrt.core import tracking
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.transaction import write_apart
from slrt.core.web import no_store
from slrt.extensions import limiter
from slrt.open311 import services

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")

FORMAT = "json"


def error(status: int, *descriptions: str) -> Any:
    response = jsonify([{"code": status, "description": d} for d in descriptions])
    return response, status


def _wrong_format(fmt: str) -> Any | None:
    if fmt != FORMAT:
        return error(400, _("Format %(fmt)s tidak tersedia; gunakan .json.", fmt=fmt[:10]))
    return None


def _api_key_or_ip() -> str:
    key = request.form.get("api_key") or request.args.get("api_key")
    return "key:" + ApiToken.hash(key) if key else "ip:" + (request.remote_addr or "")


# Every read shares the public status lookups' budget per IP address: one budget for everything
# anonymous that answers about a single case.
read_limit = limiter.shared_limit(lambda: current_app.config["SLRT_STATUS_RATE_LIMIT"], scope="public-status")
# Reports come from a few known systems (chat bots, SMS gateways), each from one address for
# many citizens: limited per key, not per IP.
post_limit = limiter.limit(
    lambda: current_app.config["SLRT_OPEN311_POST_RATE_LIMIT"], key_func=_api_key_or_ip, methods=["POST"]
)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Any:
    code = exc.code or 500
    if code == 429:
        return error(429, _("Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi."))
    if code == 405:
        return error(405, _("Metode ini tidak tersedia untuk alamat ini."))
    return error(code, _("Permintaan tidak dapat diproses."))


bp.after_request(no_store)


@bp.route("/services.<fmt>")
@read_limit
def service_list(fmt: str) -> Any:
    return _wrong_format(fmt) or jsonify(services.service_list())


@bp.route("/services/<code>.<fmt>")
@read_limit
def service_definition(code: str, fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    definition = services.service_definition(code)
    if definition is None:
        return error(404, _("service_code %(code)s tidak dikenal.", code=code[:40]))
    return jsonify(definition)


@bp.route("/requests.<fmt>", methods=["GET"])
@read_limit
def request_list(fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    try:
        query = services.parse_query(request.args.to_dict(), utcnow())
    except services.BadQuery as exc:
        return error(400, *exc.problems)
    return jsonify(services.find_requests(query))


@bp.route("/requests.<fmt>", methods=["POST"])
@post_limit
def create_request(fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    params = request.form.to_dict()
    key = (params.get("api_key") or request.args.get("api_key") or "").strip()
    token = token_for(key) if key else None
    # An api_key is a token of /admin/tokens holding the open311:report scope.
    user = token.user if token is not None and "open311:report" in (token.scopes or []) else None
    if user is None:
        path = request.path  # kept although the 403 rolls the request back
        write_apart(lambda: audit("api.denied", detail={"path": path}))
        return error(403, _("api_key tidak ada, tidak sah, kedaluwarsa atau dicabut."))
    try:
        case = services.file_request(params, user)
    except ValidationFailed as exc:
        return error(
            400, *(f"{key}: {msg}" if key else msg for key, msgs in exc.errors.items() for msg in msgs)
        )
    notice = _(
        "Laporan diterima dan masuk antrean Puskesos desa. Simpan kode %(code)s untuk melihat "
        "perkembangannya di halaman status.",
        code=tracking.display(case.tracking_code),
    )
    body = [{"service_request_id": services.public_id(case.id), "service_notice": notice}]
    return jsonify(body), 201


@bp.route("/requests/<code>.<fmt>")
@read_limit
def request_detail(code: str, fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    found = services.find_request(code)
    if found is None:
        # Unknown, mistyped and confidential give the same answer.
        return error(404, _("service_request_id %(id)s tidak ditemukan.", id=code[:40]))
    # The standard answers a single request as a list of one.
    return jsonify([found])


@bp.route("/<path:rest>")
def unknown(rest: str) -> Any:
    return error(404, _("Alamat Open311 ini tidak ada. Lihat services.json dan requests.json."))
