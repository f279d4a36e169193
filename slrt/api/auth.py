"""Bearer-token authentication for the JSON API (`Authorization: Bearer <token>`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, jsonify, request

from slrt.accounts.services import user_for_token
from slrt.core.audit import audit
from slrt.core.db import utcnow
from slrt.extensions import db


def api_error(status: int, message: str, problems: list[Any] | None = None) -> Any:
    body: dict[str, Any] = {"error": message, "status": status}
    if problems is not None:
        body["problems"] = problems
    return jsonify(body), status


def token_required(view: Callable) -> Callable:
    """The request must carry a valid, unexpired, unrevoked token; `g.api_user` is its user.

    The user is also the request's `current_user` for this request only, so the same access
    rules (`slrt.core.access`) apply to the API as to the pages. Not through `login_user`: that
    writes the user into the session, and the answer then carried a signed session cookie, a
    browser login obtained with a token that outlived the token's revocation.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            audit("api.denied", detail={"path": request.path})
            db.session.commit()
            response, status = api_error(401, "missing, invalid, expired or revoked bearer token")
            response.headers["WWW-Authenticate"] = 'Bearer realm="slrt"'
            return response, status
        g._login_user = user  # where Flask-Login keeps the request's user (flask_login.utils._get_user)
        g.api_user = user
        g.api_request_started = utcnow()
        return view(*args, **kwargs)

    return wrapped
