"""Open311 GeoReport v2 under /open311/v2/, in JSON and XML, and its discovery document at
/open311/discovery.json (.xml).

Every endpoint answers in the format its address ends with (`services.xml`, `requests.json`),
errors included: the standard's array `[{"code": 404, "description": "..."}]` (in XML
`<errors><error>...`), with the same HTTP status. Reading needs no key; filing a report needs an
API token as `api_key`, and reads that carry one get the integration's own budget.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from slrt.accounts.models import ApiToken
from slrt.accounts.services import ValidationFailed, token_for
from slrt.core import tracking
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.core.errors import DomainError
from slrt.core.transaction import write_apart
from slrt.core.web import no_store
from slrt.extensions import limiter
from slrt.open311 import services, xml

bp = Blueprint("open311", __name__, url_prefix="/open311")

FORMATS = {"json": "application/json", "xml": "text/xml"}
SCOPE = "open311:report"  # an api_key is a token of /admin/tokens holding this scope


def _format() -> str:
    """The format the caller asked for: the route's `.<fmt>`, or the address's ending."""
    fmt = (request.view_args or {}).get("fmt") or request.path.rpartition(".")[2]
    return fmt if fmt in FORMATS else "json"


def answer(body: Any, root: str, status: int = 200) -> Any:
    """`body` in the requested format, as (response, status); `root` names the XML document
    element."""
    if _format() == "xml":
        return Response(xml.document(root, body), content_type="text/xml; charset=utf-8"), status
    return jsonify(body), status


def error(status: int, *descriptions: str) -> Any:
    return answer([{"code": status, "description": d} for d in descriptions], "errors", status)


def _wrong_format(fmt: str) -> Any | None:
    if fmt not in FORMATS:
        return error(400, _("Format %(fmt)s tidak tersedia; gunakan .json atau .xml.", fmt=fmt[:10]))
    return None


def _given_key() -> str:
    return (request.form.get("api_key") or request.args.get("api_key") or "").strip()


def _integration() -> ApiToken | None:
    """The live token holding the Open311 scope that came as `api_key`, once per request."""
    if "open311_token" not in g:
        key = _given_key()
        token = token_for(key) if key else None
        g.open311_token = token if token is not None and SCOPE in (token.scopes or []) else None
    return g.open311_token


def _api_key_or_ip() -> str:
    key = _given_key()
    return "key:" + ApiToken.hash(key) if key else "ip:" + (request.remote_addr or "")


# Anonymous reads share the public status lookups' budget per IP address: one budget for
# everything anonymous that answers about a single case. A city app polling for updates comes
# with its api_key and gets a budget of its own per key (SLRT_OPEN311_KEY_READ_RATE_LIMIT),
# spent on its reads only.
read_limit = limiter.shared_limit(
    lambda: current_app.config["SLRT_STATUS_RATE_LIMIT"],
    scope="public-status",
    exempt_when=lambda: _integration() is not None,
)
key_read_limit = limiter.limit(
    lambda: current_app.config["SLRT_OPEN311_KEY_READ_RATE_LIMIT"],
    key_func=_api_key_or_ip,
    methods=["GET"],
    exempt_when=lambda: _integration() is None,
)
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


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> Any:
    return error(exc.status, exc.message or _("Permintaan tidak dapat diproses."))


bp.after_request(no_store)


@bp.route("/discovery.<fmt>")
@read_limit
@key_read_limit
def discovery(fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    root = url_for("open311.service_list", fmt="json", _external=True).rpartition("/")[0]
    return answer(services.discovery(root, FORMATS.values()), "discovery")


@bp.route("/v2/services.<fmt>")
@read_limit
@key_read_limit
def service_list(fmt: str) -> Any:
    return _wrong_format(fmt) or answer(services.service_list(), "services")


@bp.route("/v2/services/<code>.<fmt>")
@read_limit
@key_read_limit
def service_definition(code: str, fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    definition = services.service_definition(code)
    if definition is None:
        return error(404, _("service_code %(code)s tidak dikenal.", code=code[:40]))
    return answer(definition, "service_definition")


@bp.route("/v2/requests.<fmt>", methods=["GET"])
@read_limit
@key_read_limit
def request_list(fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    try:
        query = services.parse_query(request.args.to_dict(), utcnow())
    except services.BadQuery as exc:
        return error(400, *exc.problems)
    return answer(services.find_requests(query), "service_requests")


@bp.route("/v2/requests.<fmt>", methods=["POST"])
@post_limit
def create_request(fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    token = _integration()
    if token is None:
        path = request.path  # kept although the 403 rolls the request back
        write_apart(lambda: audit("api.denied", detail={"path": path}))
        return error(403, _("api_key tidak ada, tidak sah, kedaluwarsa atau dicabut."))
    try:
        # An unknown service_code raises NotFound: answered 404 by domain_error above.
        case = services.file_request(request.form.to_dict(), token.user)
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
    return answer(body, "service_requests", 201)


@bp.route("/v2/requests/<code>.<fmt>")
@read_limit
@key_read_limit
def request_detail(code: str, fmt: str) -> Any:
    if wrong := _wrong_format(fmt):
        return wrong
    found = services.find_request(code)
    if found is None:
        # Unknown, mistyped and confidential give the same answer.
        return error(404, _("service_request_id %(id)s tidak ditemukan.", id=code[:40]))
    # The standard answers a single request as a list of one.
    return answer([found], "service_requests")


@bp.route("/<path:rest>")
def unknown(rest: str) -> Any:
    return error(404, _("Alamat Open311 ini tidak ada. Lihat services.json dan requests.json."))
