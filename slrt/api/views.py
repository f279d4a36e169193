from typing import Any

from flask import Blueprint, jsonify

from slrt.api.openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/openapi.json")
def openapi() -> Any:
    return jsonify(document())
