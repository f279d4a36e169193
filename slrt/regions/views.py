"""Small JSON endpoints behind the region picker. Region names are public data."""

from typing import Any

from flask import Blueprint, jsonify, request

from slrt.extensions import limiter
from slrt.regions import services
from slrt.regions.models import Region

bp = Blueprint("regions", __name__, url_prefix="/regions")


def _as_json(region: Region, path: bool = False) -> dict[str, Any]:
    data = {"code": region.code, "name": region.name, "level": region.level, "kind": region.kind}
    if path:
        data["path"] = [{"code": r.code, "name": r.name} for r in services.region_path(region.code)]
    return data


@bp.route("/children")
@limiter.limit("600/minute")
def children() -> Any:
    parent = (request.args.get("parent") or "").strip() or None
    response = jsonify([_as_json(r) for r in services.children(parent)])
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.route("/search")
@limiter.limit("300/minute")
def search() -> Any:
    q = (request.args.get("q") or "").strip()
    if len(q) < 2:
        return jsonify([])
    level = request.args.get("level", type=int)
    within = (request.args.get("within") or "").strip() or None
    return jsonify([_as_json(r, path=True) for r in services.search(q[:60], level=level, within=within)])


@bp.route("/<code>")
def show(code: str) -> Any:
    region = services.get_region(code)
    if region is None:
        return jsonify({"error": "not found"}), 404
    return jsonify(_as_json(region, path=True))
